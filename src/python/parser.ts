import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type * as TreeSitter from 'web-tree-sitter';
import type { PyComment, PyNode, PythonModule } from './syntax.ts';

/**
 * Python's real grammar: tree-sitter-python's WebAssembly build run by web-tree-sitter (the
 * versions are pinned together in package.json: tree-sitter-python 0.25 is generated for
 * tree-sitter's ABI 15, which web-tree-sitter 0.25 loads). Files are parsed, never evaluated.
 *
 * Owned by whoever opens it (one per lint run or loader); `close()` frees the parser. The wasm
 * files are found through Node's module resolution, so the same code works from the TypeScript
 * sources and from the bundled CLI in `dist/`.
 */
export class PythonParser {
  readonly #parser: TreeSitter.Parser;
  readonly #grammar: Grammar;

  private constructor(parser: TreeSitter.Parser, language: TreeSitter.Language) {
    this.#parser = parser;
    this.#grammar = grammarOf(language);
  }

  /** Loads the runtime and the Python grammar (tens of milliseconds, once per parser). */
  static async open(): Promise<PythonParser> {
    const require = createRequire(import.meta.url);
    // The CommonJS build, loaded at run time: the ES module build reaches Node's modules with
    // import(), which a script run from V8's code cache (the CLI bundle) cannot do.
    const { Language, Parser } = require('web-tree-sitter') as typeof TreeSitter;
    const runtime = require.resolve('web-tree-sitter/tree-sitter.wasm');
    // web-tree-sitter initialises its runtime once per process and reuses it afterwards.
    await Parser.init({ locateFile: () => runtime });
    const grammar = await readFile(require.resolve('tree-sitter-python/tree-sitter-python.wasm'));
    const language = await Language.load(new Uint8Array(grammar));
    const parser = new Parser();
    parser.setLanguage(language);
    return new PythonParser(parser, language);
  }

  /** Parses one file. Syntax errors do not throw: the tree holds ERROR nodes (`hasErrors`). */
  parse(source: string): PythonModule {
    const tree = this.#parser.parse(source);
    if (!tree) throw new Error('tree-sitter returned no tree');
    try {
      const comments: PyComment[] = [];
      const cursor = tree.walk();
      try {
        const root = copyNode(cursor, this.#grammar, source, lineStarts(source), comments);
        return { source, root, comments, hasErrors: tree.rootNode.hasError };
      } finally {
        cursor.delete();
      }
    } finally {
      tree.delete();
    }
  }

  /** Frees the parser. */
  close(): void {
    this.#parser.delete();
  }
}

/**
 * The grammar's node types and field names by id, and which types are named — read once, so
 * copying a node asks the cursor for numbers only.
 */
interface Grammar {
  readonly types: readonly string[];
  readonly named: readonly boolean[];
  readonly fields: readonly (string | null)[];
  readonly commentId: number;
}

function grammarOf(language: TreeSitter.Language): Grammar {
  const types = language.types.map((t) => t ?? 'ERROR');
  return {
    types,
    named: types.map((_, id) => language.nodeTypeIsNamed(id)),
    fields: language.fields,
    commentId: types.indexOf('comment'),
  };
}

function isOwnLine(source: string, offset: number): boolean {
  for (let i = offset - 1; i >= 0; i--) {
    const c = source[i];
    if (c === '\n') return true;
    if (c !== ' ' && c !== '\t' && c !== '\r' && c !== '\f') return false;
  }
  return true;
}

/** Offsets where lines start (line and column are computed here: cheaper than asking the parser). */
function lineStarts(source: string): number[] {
  const starts = [0];
  for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** The 0-based line of `offset`, by binary search over line starts. */
function lineOf(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Copies the cursor's node and its named descendants; comments go to `comments`. Every cursor
 * property is a call into WebAssembly, so each node asks only for what the tree keeps.
 */
function copyNode(
  cursor: TreeSitter.TreeCursor,
  grammar: Grammar,
  source: string,
  starts: readonly number[],
  comments: PyComment[],
): PyNode {
  const children: PyNode[] = [];
  const start = cursor.startIndex;
  const line = lineOf(starts, start);
  const node: PyNode = {
    type: grammar.types[cursor.nodeTypeId] ?? 'ERROR',
    field: grammar.fields[cursor.currentFieldId] ?? undefined,
    start,
    end: cursor.endIndex,
    line: line + 1,
    column: start - starts[line]! + 1,
    children,
  };
  if (cursor.gotoFirstChild()) {
    do {
      const typeId = cursor.nodeTypeId;
      // ERROR (id 65535) is beyond the grammar's symbols, and named.
      if (grammar.named[typeId] === false) continue;
      if (typeId === grammar.commentId) {
        const at = cursor.startIndex;
        const l = lineOf(starts, at);
        comments.push({
          text: source.slice(at, cursor.endIndex),
          line: l + 1,
          column: at - starts[l]! + 1,
          ownLine: isOwnLine(source, at),
        });
      } else children.push(copyNode(cursor, grammar, source, starts, comments));
    } while (cursor.gotoNextSibling());
    cursor.gotoParent();
  }
  return node;
}
