import { isSymbol, isWord, type Token } from './tokenizer.ts';

/**
 * Spark SQL tokens nested by their brackets — `( … )`, `[ … ]` and `CASE … END` — so the
 * pre-pass rewrites can treat a bracketed part as one unit (an argument list, a subscript, a
 * whole CASE expression) while they look at the tokens around it. A rewrite replaces nodes with
 * other nodes; `raw` tokens carry DuckDB text and the source span they stand for, so positions
 * in the final text still map back to the user's file.
 */
export interface Group {
  readonly kind: 'group';
  /** `(`, `[` or the `CASE` word. */
  readonly open: Token;
  /** `)`, `]` or `END`; undefined when the text ends first (DuckDB then reports it). */
  readonly close: Token | undefined;
  readonly items: TreeNode[];
}

export type TreeNode = Token | Group;

export function isGroup(n: TreeNode | undefined): n is Group {
  return n !== undefined && n.kind === 'group';
}

/** A `( … )` group. */
export function isParens(n: TreeNode | undefined): n is Group {
  return isGroup(n) && n.open.text === '(';
}

/** A `[ … ]` group. */
export function isBrackets(n: TreeNode | undefined): n is Group {
  return isGroup(n) && n.open.text === '[';
}

/** A `CASE … END` group. */
export function isCase(n: TreeNode | undefined): n is Group {
  return isGroup(n) && n.open.kind === 'word';
}

/** True when `n` is the bare word `word` (upper case). */
export function nodeIsWord(n: TreeNode | undefined, word: string): boolean {
  return n !== undefined && !isGroup(n) && isWord(n, word);
}

/** True when `n` is the symbol `sym`. */
export function nodeIsSymbol(n: TreeNode | undefined, sym: string): boolean {
  return n !== undefined && !isGroup(n) && isSymbol(n, sym);
}

/** The upper-cased text of a word token, else undefined. */
export function wordOf(n: TreeNode | undefined): string | undefined {
  return n !== undefined && !isGroup(n) && n.kind === 'word' ? n.text.toUpperCase() : undefined;
}

/** The first source offset a node covers. */
export function startOf(n: TreeNode): number {
  return isGroup(n) ? n.open.start : n.start;
}

/** The source offset just past a node. */
export function endOf(n: TreeNode): number {
  if (!isGroup(n)) return n.end;
  if (n.close) return n.close.end;
  const last = n.items[n.items.length - 1];
  return last ? endOf(last) : n.open.end;
}

/** A token standing for DuckDB text `text`, covering the source span `[start, end)`. */
export function rawToken(text: string, start: number, end: number = start): Token {
  return { kind: 'raw', text, value: text, start, end };
}

/** A raw token covering the source span of `nodes` (or of `at` when `nodes` is empty). */
export function rawOver(text: string, nodes: readonly TreeNode[], at?: TreeNode): Token {
  const first = nodes[0] ?? at;
  const last = nodes[nodes.length - 1] ?? at;
  return rawToken(text, first ? startOf(first) : 0, last ? endOf(last) : 0);
}

/** A `( … )` group around `items`, its parentheses placed at the span of `items`. */
export function parens(items: TreeNode[], at?: TreeNode): Group {
  const start = items[0] ? startOf(items[0]) : at ? startOf(at) : 0;
  const end = items.length > 0 ? endOf(items[items.length - 1]!) : at ? endOf(at) : start;
  return { kind: 'group', open: rawToken('(', start), close: rawToken(')', end), items };
}

function closes(open: Token, t: Token, prev: Token | undefined): boolean {
  if (open.text === '(') return isSymbol(t, ')');
  if (open.text === '[') return isSymbol(t, ']');
  // `window.end` and `AS end` are names, not the end of a CASE.
  return isWord(t, 'END') && !isSymbol(prev, '.') && !isWord(prev, 'AS');
}

function opens(t: Token, prev: Token | undefined): boolean {
  return isSymbol(t, '(') || isSymbol(t, '[') || (isWord(t, 'CASE') && !isSymbol(prev, '.'));
}

/** Nests `tokens` by brackets. A stray closing bracket stays a plain token (DuckDB reports it). */
export function buildTree(tokens: readonly Token[]): TreeNode[] {
  const root: TreeNode[] = [];
  const stack: { open: Token; items: TreeNode[] }[] = [];
  let items = root;
  let prev: Token | undefined;
  for (const t of tokens) {
    const top = stack[stack.length - 1];
    if (top && closes(top.open, t, prev)) {
      stack.pop();
      items = stack[stack.length - 1]?.items ?? root;
      items.push({ kind: 'group', open: top.open, close: t, items: top.items });
    } else if (opens(t, prev)) {
      stack.push({ open: t, items: [] });
      items = stack[stack.length - 1]!.items;
    } else items.push(t);
    prev = t;
  }
  // Unclosed groups: closed at the end, so the text is emitted unchanged.
  while (stack.length > 0) {
    const top = stack.pop()!;
    items = stack[stack.length - 1]?.items ?? root;
    items.push({ kind: 'group', open: top.open, close: undefined, items: top.items });
  }
  return root;
}

/** The tokens of `nodes` in order, brackets included. */
export function flatten(nodes: readonly TreeNode[], out: Token[] = []): Token[] {
  for (const n of nodes) {
    if (!isGroup(n)) {
      out.push(n);
      continue;
    }
    out.push(n.open);
    flatten(n.items, out);
    if (n.close) out.push(n.close);
  }
  return out;
}

/** Splits `items` on top-level `,` tokens (a group's argument list); `[]` for no items. */
export function splitCommas(items: readonly TreeNode[]): TreeNode[][] {
  if (items.length === 0) return [];
  const parts: TreeNode[][] = [[]];
  for (const n of items) {
    if (nodeIsSymbol(n, ',')) parts.push([]);
    else parts[parts.length - 1]!.push(n);
  }
  return parts;
}

/** Joins lists of nodes with `,` tokens placed after each list. */
export function joinCommas(parts: readonly TreeNode[][]): TreeNode[] {
  const out: TreeNode[] = [];
  parts.forEach((p, i) => {
    if (i > 0) {
      const prev = parts[i - 1]!;
      const at = prev.length > 0 ? endOf(prev[prev.length - 1]!) : 0;
      out.push(rawToken(',', at));
    }
    out.push(...p);
  });
  return out;
}
