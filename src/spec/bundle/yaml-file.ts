import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { type Document, isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { SluiceError, type SourceLocation } from '../../errors/index.ts';

/** One YAML file of a bundle, parsed, with the means to point at its nodes. */
export interface YamlFile {
  /** Absolute path. */
  readonly path: string;
  /** Path relative to the bundle root, as errors name it. */
  readonly name: string;
  readonly value: Record<string, unknown>;
  /** The location of the node at `path` (for a missing node: its nearest ancestor). */
  locate(path: readonly (string | number)[]): SourceLocation;
}

/** Reads and parses a bundle YAML file. @throws SluiceError BUNDLE_INVALID when it is not a YAML mapping. */
export async function readYamlFile(path: string, root: string): Promise<YamlFile> {
  const text = await readFile(path, 'utf8');
  const name = relative(root, path).split('\\').join('/');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = lines.linePos(e.pos[0]);
    throw new SluiceError('BUNDLE_INVALID', `${name} is not valid YAML: ${e.message.split('\n')[0]}`, {
      location: { file: name, line: pos.line, column: pos.col },
    });
  }
  const value = doc.toJS() ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new SluiceError('BUNDLE_INVALID', `${name} must be a YAML mapping`, {
      location: { file: name, line: 1 },
    });
  }
  return { path, name, value, locate: (p) => locateNode(doc, lines, name, p) };
}

function locateNode(
  doc: Document,
  lines: LineCounter,
  file: string,
  path: readonly (string | number)[],
): SourceLocation {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as unknown[], true);
    // A key's own position reads better than its value's for a mapping entry.
    const parent = depth === 0 ? undefined : doc.getIn(path.slice(0, depth - 1) as unknown[], true);
    if (depth > 0 && isMap(parent)) {
      const key = String(path[depth - 1]);
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
      if (pair && isScalar(pair.key) && pair.key.range) return position(lines, file, pair.key.range[0]);
    }
    if (node && typeof node === 'object' && 'range' in node && Array.isArray(node.range))
      return position(lines, file, node.range[0] as number);
  }
  return { file, line: 1 };
}

function position(lines: LineCounter, file: string, offset: number): SourceLocation {
  const pos = lines.linePos(offset);
  return { file, line: pos.line, column: pos.col };
}
