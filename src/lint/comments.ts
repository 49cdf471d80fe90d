import { extname } from 'node:path';
import { Parser as YamlParser } from 'yaml';
import type { PythonModule } from '../python/index.ts';
import { tokenize } from '../sql/index.ts';

/**
 * The comments of a linted file, found by each language's own lexer (SQL: sluice's tokenizer,
 * YAML: the yaml package's CST, Python: tree-sitter), so a `--` inside a string is never taken
 * for a comment. Suppressions are read from them.
 */

/** One comment. `text` is without its marker (`--`, `#`, `//`, `/*`); lines and columns are 1-based. */
export interface SourceComment {
  readonly text: string;
  readonly line: number;
  readonly column: number;
  /** Nothing but indentation precedes it on its line. */
  readonly ownLine: boolean;
}

/** 1-based line and column of every offset of a text (binary search over line starts). */
export class LineStarts {
  readonly #starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.#starts.push(i + 1);
  }

  at(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.#starts[lo]! + 1 };
  }
}

function ownLine(text: string, offset: number): boolean {
  for (let i = offset - 1; i >= 0; i--) {
    const c = text[i];
    if (c === '\n') return true;
    if (c !== ' ' && c !== '\t' && c !== '\r') return false;
  }
  return true;
}

/** SQL comments: the text between tokens holds only whitespace and comments. */
export function sqlComments(text: string): SourceComment[] {
  const lines = new LineStarts(text);
  const out: SourceComment[] = [];
  const scanGap = (from: number, to: number) => {
    let i = from;
    while (i < to) {
      if (text.startsWith('--', i)) {
        let end = text.indexOf('\n', i);
        if (end < 0 || end > to) end = to;
        out.push({ text: text.slice(i + 2, end), ...lines.at(i), ownLine: ownLine(text, i) });
        i = end;
      } else if (text.startsWith('/*', i)) {
        let end = text.indexOf('*/', i + 2);
        end = end < 0 || end + 2 > to ? to : end + 2;
        out.push({ text: text.slice(i + 2, end - 2), ...lines.at(i), ownLine: ownLine(text, i) });
        i = end;
      } else i++;
    }
  };
  let previous = 0;
  for (const t of tokenize(text)) {
    if (t.kind === 'error') return out;
    scanGap(previous, t.start);
    previous = t.end;
  }
  scanGap(previous, text.length);
  return out;
}

/** Every `{type: 'comment'}` source token of the yaml package's CST, in any nesting. */
function collectYamlComments(node: unknown, out: { offset: number; source: string }[]): void {
  if (Array.isArray(node)) {
    for (const n of node) collectYamlComments(n, out);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const t = node as { type?: unknown; offset?: unknown; source?: unknown };
  if (t.type === 'comment' && typeof t.offset === 'number' && typeof t.source === 'string') {
    out.push({ offset: t.offset, source: t.source });
    return;
  }
  for (const v of Object.values(node)) if (v !== null && typeof v === 'object') collectYamlComments(v, out);
}

/** YAML comments (`# …`), from the yaml package's concrete syntax tree. */
export function yamlComments(text: string): SourceComment[] {
  const found: { offset: number; source: string }[] = [];
  for (const token of new YamlParser().parse(text)) collectYamlComments(token, found);
  const lines = new LineStarts(text);
  return found
    .sort((a, b) => a.offset - b.offset)
    .map((c) => ({
      text: c.source.replace(/^#/, ''),
      ...lines.at(c.offset),
      ownLine: ownLine(text, c.offset),
    }));
}

/** Python comments, as tree-sitter found them. */
export function pythonComments(m: PythonModule): SourceComment[] {
  return m.comments.map((c) => ({
    text: c.text.replace(/^#/, ''),
    line: c.line,
    column: c.column,
    ownLine: c.ownLine,
  }));
}

/**
 * TypeScript comments on lines of their own (`// …`). sluice reads TypeScript pipelines with
 * its own loader, not a lexer: a suppression in a .ts file goes on the line above the finding.
 */
export function tsOwnLineComments(text: string): SourceComment[] {
  const out: SourceComment[] = [];
  let line = 1;
  for (let i = 0; i <= text.length; ) {
    let end = text.indexOf('\n', i);
    if (end < 0) end = text.length;
    let j = i;
    while (j < end && (text[j] === ' ' || text[j] === '\t')) j++;
    if (text.startsWith('//', j))
      out.push({ text: text.slice(j + 2, end).replace(/\r$/, ''), line, column: j - i + 1, ownLine: true });
    i = end + 1;
    line++;
  }
  return out;
}

/** The comments of a SQL, YAML or TypeScript file by its extension (none for other files). */
export function commentsOf(file: string, text: string): SourceComment[] {
  switch (extname(file).toLowerCase()) {
    case '.sql':
      return sqlComments(text);
    case '.yml':
    case '.yaml':
      return yamlComments(text);
    case '.ts':
      return tsOwnLineComments(text);
    default:
      return [];
  }
}
