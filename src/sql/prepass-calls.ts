import { SPARK_TYPE_WORDS } from './spark-types.ts';
import { type Locate, sparkSyntaxError, unsupportedSyntax } from './syntax-errors.ts';
import {
  endOf,
  type Group,
  isGroup,
  isParens,
  joinCommas,
  nodeIsSymbol,
  nodeIsWord,
  rawToken,
  splitCommas,
  startOf,
  type TreeNode,
  wordOf,
} from './token-tree.ts';
import type { Token } from './tokenizer.ts';

/**
 * Spark's special forms of function calls, rewritten to ordinary calls DuckDB parses (the
 * function table then translates them like any call):
 *
 * - `substr(s FROM p FOR n)`, `position(a IN b)`, `overlay(s PLACING r FROM p FOR n)` →
 *   argument lists;
 * - `struct(x AS name, …)` → `struct(name => x, …)` (named arguments carry the field names);
 * - `f(…) WITHIN GROUP (ORDER BY o)` → `f(… ORDER BY o)` (listagg, percentile_cont, mode, …);
 * - `f(x) IGNORE NULLS` / `f(x IGNORE NULLS)` → DuckDB's `f(x IGNORE NULLS) OVER …` for window
 *   functions, `first(x, true)` for first / last / any_value; RESPECT NULLS is the default;
 * - names DuckDB reserves but Spark uses as functions (`any`, `some`, `exists`, `window`,
 *   `char`, and the type names of function-style casts `int(x)`, `timestamp(x)`, …) are quoted;
 * - `IDENTIFIER('name')` is the name.
 */

/** Names quoted when called as functions (DuckDB reads them as keywords). */
const QUOTED_CALLS = new Set([
  ...[...SPARK_TYPE_WORDS].filter((w) => !['ARRAY', 'MAP', 'STRUCT', 'INTERVAL'].includes(w)),
  'ANY',
  'SOME',
  'EXISTS',
  'WINDOW',
  'POSITION',
  'SUBSTRING',
  'OVERLAY',
  'BIT',
]);

/** Aggregates whose IGNORE NULLS is their second argument. */
const IGNORE_NULLS_ARGUMENT = new Set(['FIRST', 'LAST', 'ANY_VALUE', 'FIRST_VALUE', 'LAST_VALUE']);

const SUBQUERY_START = new Set(['SELECT', 'WITH', 'VALUES', 'FROM', 'TABLE']);

/** Keywords a parenthesized group may follow without being called (`FROM (t)`, `IN (1, 2)`). */
const NOT_CALLS = new Set([
  'FROM',
  'JOIN',
  'IN',
  'ON',
  'USING',
  'AS',
  'VALUES',
  'OVER',
  'WHERE',
  'AND',
  'OR',
  'NOT',
  'WHEN',
  'THEN',
  'ELSE',
  'BY',
  'SELECT',
  'HAVING',
  'LATERAL',
  'WITHIN',
  'CASE',
  'END',
  'IS',
  'LIKE',
  'ILIKE',
  'RLIKE',
  'REGEXP',
  'BETWEEN',
  'LIMIT',
  'OFFSET',
  'DISTINCT',
  'UNION',
  'INTERSECT',
  'EXCEPT',
  'EXCLUDE',
  'MINUS',
  'WITH',
  'RECURSIVE',
  'QUALIFY',
  'ROLLUP',
  'CUBE',
  'SETS',
  'ESCAPE',
]);

/** A word token standing for `text` at the span of `at`. */
export function wordToken(text: string, at: TreeNode): Token {
  return { kind: 'word', text, value: text, start: startOf(at), end: startOf(at) };
}

function quoted(t: Token): Token {
  return { ...t, kind: 'backtick', value: t.text.toLowerCase() };
}

function withItems(g: Group, items: TreeNode[]): Group {
  return { ...g, items };
}

/** Replaces top-level words of `items` (FROM, FOR, IN, PLACING) by commas; undefined if none. */
function wordsToCommas(items: readonly TreeNode[], words: readonly string[]): TreeNode[] | undefined {
  let found = false;
  const out = items.map((n) => {
    const w = wordOf(n);
    if (w !== undefined && words.includes(w)) {
      found = true;
      return rawToken(',', startOf(n), endOf(n));
    }
    return n;
  });
  return found ? out : undefined;
}

/**
 * Rewrites the call whose name is `items[i]` and argument group `items[i + 1]`; returns the
 * nodes to emit and how many of `items` they replace, or undefined when it is no special form.
 */
export function rewriteCall(
  items: readonly TreeNode[],
  i: number,
  locate: Locate,
): { nodes: TreeNode[]; consumed: number } | undefined {
  const nameNode = items[i];
  let args = items[i + 1];
  if (nameNode === undefined || isGroup(nameNode) || !isParens(args)) return undefined;
  if (nameNode.kind !== 'word' && nameNode.kind !== 'backtick') return undefined;
  const prev = items[i - 1];
  if (nodeIsSymbol(prev, '.')) return undefined;
  const name = nameNode.kind === 'word' ? nameNode.text.toUpperCase() : nameNode.value.toUpperCase();
  if (nameNode.kind === 'word' && NOT_CALLS.has(name)) return undefined;
  if (name === 'FILTER' && nodeIsWord(args.items[0], 'WHERE')) return undefined;
  if (nameNode.kind === 'word' && name === 'IDENTIFIER') return identifierClause(nameNode, args, locate);
  let nameOut: Token = nameNode;
  switch (name) {
    case 'SUBSTR':
    case 'SUBSTRING':
      args = withItems(args, wordsToCommas(args.items, ['FROM', 'FOR']) ?? args.items);
      break;
    case 'POSITION':
      args = withItems(args, wordsToCommas(args.items, ['IN']) ?? args.items);
      break;
    case 'OVERLAY':
      args = withItems(args, wordsToCommas(args.items, ['PLACING', 'FROM', 'FOR']) ?? args.items);
      break;
    case 'STRUCT':
      args = withItems(args, structArguments(args.items));
      break;
    case 'EXISTS':
      if (SUBQUERY_START.has(wordOf(args.items[0]) ?? '') || isParens(args.items[0])) return undefined;
      break;
    case 'ANY':
    case 'SOME':
    case 'ALL':
      // `x LIKE ANY ('a%', 'b%')` is a quantifier, not a call.
      if (nodeIsWord(prev, 'LIKE') || nodeIsWord(prev, 'ILIKE')) return undefined;
      break;
    case 'ARRAY':
      // Spark's array(…) function; DuckDB reads `ARRAY(` as an array subquery.
      if (nameNode.kind === 'word') nameOut = { ...nameNode, text: 'list_value', value: 'list_value' };
      break;
    default:
      break;
  }
  if (nameNode.kind === 'word' && QUOTED_CALLS.has(name)) nameOut = quoted(nameNode);
  const tail = callTail(items, i + 2, name, args, locate);
  return { nodes: [nameOut, tail.args, ...tail.after], consumed: tail.end - i };
}

/** `struct(x AS a, y)` → `struct(a => x, y)`. */
function structArguments(items: readonly TreeNode[]): TreeNode[] {
  const parts = splitCommas(items).map((part) => {
    const n = part.length;
    const alias = part[n - 1];
    if (
      n >= 3 &&
      nodeIsWord(part[n - 2], 'AS') &&
      alias &&
      !isGroup(alias) &&
      (alias.kind === 'word' || alias.kind === 'backtick')
    ) {
      return [alias, rawToken('=>', startOf(part[n - 2]!)), ...part.slice(0, n - 2)];
    }
    return part;
  });
  return joinCommas(parts);
}

/**
 * What follows a call: `WITHIN GROUP (ORDER BY …)`, `FILTER (WHERE …)`, `IGNORE | RESPECT NULLS`
 * and `OVER …`, normalized (see the module comment). Returns the argument group, the nodes to
 * emit after it and the index just past what was read.
 */
function callTail(
  items: readonly TreeNode[],
  start: number,
  name: string,
  argsIn: Group,
  locate: Locate,
): { args: Group; after: TreeNode[]; end: number } {
  let args = argsIn;
  let j = start;
  let nulls: Token | undefined;
  // f(x IGNORE NULLS): Spark's form for first / last / any_value.
  const inner = args.items;
  if (
    nodeIsWord(inner[inner.length - 1], 'NULLS') &&
    (nodeIsWord(inner[inner.length - 2], 'IGNORE') || nodeIsWord(inner[inner.length - 2], 'RESPECT'))
  ) {
    nulls = inner[inner.length - 2] as Token;
    args = withItems(args, inner.slice(0, -2));
  }
  if (nodeIsWord(items[j], 'WITHIN') && nodeIsWord(items[j + 1], 'GROUP') && isParens(items[j + 2])) {
    const order = (items[j + 2] as Group).items;
    if (!nodeIsWord(order[0], 'ORDER'))
      throw sparkSyntaxError('expected WITHIN GROUP (ORDER BY …)', items[j] as Token, locate);
    args = withItems(args, [...args.items, ...order]);
    j += 3;
  }
  const after: TreeNode[] = [];
  if (nodeIsWord(items[j], 'FILTER') && isParens(items[j + 1])) {
    after.push(items[j]!, items[j + 1]!);
    j += 2;
  }
  if (
    (nodeIsWord(items[j], 'IGNORE') || nodeIsWord(items[j], 'RESPECT')) &&
    nodeIsWord(items[j + 1], 'NULLS')
  ) {
    nulls = items[j] as Token;
    j += 2;
  }
  if (nulls && wordOf(nulls) === 'IGNORE') {
    if (nodeIsWord(items[j], 'OVER')) {
      args = withItems(args, [...args.items, wordToken('IGNORE', nulls), wordToken('NULLS', nulls)]);
    } else if (IGNORE_NULLS_ARGUMENT.has(name) && splitCommas(args.items).length === 1) {
      args = withItems(args, [
        ...args.items,
        rawToken(',', nulls.start),
        rawToken('true', nulls.start, nulls.end),
      ]);
    } else {
      throw unsupportedSyntax(
        'IGNORE NULLS',
        `IGNORE NULLS is not supported for ${name.toLowerCase()}() outside a window`,
        nulls,
        locate,
      );
    }
  }
  return { args, after, end: j };
}

/** `IDENTIFIER('a.b')` → the name `a`.`b`; only a string literal argument is supported. */
function identifierClause(word: Token, args: Group, locate: Locate): { nodes: TreeNode[]; consumed: number } {
  const [only, ...rest] = args.items;
  if (!only || rest.length > 0 || isGroup(only) || (only.kind !== 'string' && only.kind !== 'dstring')) {
    throw unsupportedSyntax(
      'IDENTIFIER',
      'IDENTIFIER(…) is supported only with a string literal',
      word,
      locate,
    );
  }
  const parts = splitIdentifier(only.value);
  if (!parts) throw sparkSyntaxError(`'${only.value}' is not a valid identifier`, only, locate);
  const nodes: TreeNode[] = [];
  parts.forEach((p, k) => {
    if (k > 0) nodes.push(rawToken('.', only.start));
    nodes.push({ kind: 'backtick', text: p, value: p, start: only.start, end: only.end });
  });
  return { nodes, consumed: 2 };
}

/** Spark's multi-part identifier text: `a.b`, `` `a.b`.c `` (doubled backticks escape one). */
export function splitIdentifier(text: string): string[] | undefined {
  const parts: string[] = [];
  let i = 0;
  const s = text.trim();
  while (i <= s.length) {
    if (s[i] === '`') {
      let part = '';
      let j = i + 1;
      for (;;) {
        if (j >= s.length) return undefined;
        if (s[j] === '`' && s[j + 1] === '`') {
          part += '`';
          j += 2;
        } else if (s[j] === '`') break;
        else part += s[j++];
      }
      parts.push(part);
      i = j + 1;
    } else {
      const m = /^[\p{L}\p{N}_]+/u.exec(s.slice(i));
      if (!m) return undefined;
      parts.push(m[0]);
      i += m[0].length;
    }
    if (i === s.length) return parts;
    if (s[i] !== '.') return undefined;
    i++;
  }
  return undefined;
}
