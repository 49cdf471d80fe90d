/**
 * The Lakeflow WATERMARK clause of a streaming relation (`FROM STREAM(x) WATERMARK ts DELAY OF
 * INTERVAL …`, or a computed event time `WATERMARK to_timestamp(s) AS ts DELAY OF …`), read by
 * the clause prepass into extra arguments of the `stream(…)` call, which the translation turns
 * into the input's watermark.
 */
import { SluiceError } from '../errors/index.ts';
import { intervalValueOfText } from './spark-intervals.ts';
import type { Locate } from './syntax-errors.ts';
import {
  endOf,
  type Group,
  isGroup,
  isParens,
  nodeIsSymbol,
  nodeIsWord,
  parens,
  rawToken,
  startOf,
  type TreeNode,
  wordOf,
} from './token-tree.ts';
import type { Token } from './tokenizer.ts';

/** A name token: a word, a `backticked` or "double-quoted" identifier. */
export function isName(n: TreeNode | undefined): n is Token {
  return (
    n !== undefined && !isGroup(n) && (n.kind === 'word' || n.kind === 'backtick' || n.kind === 'dstring')
  );
}

export function watermark(at: Token, locate: Locate): SluiceError {
  const location = locate(at.start);
  return new SluiceError(
    'STREAMING_QUERY_NOT_SUPPORTED',
    'WATERMARK … DELAY OF is only supported on a streaming read (FROM STREAM(x) WATERMARK ts DELAY OF INTERVAL …)',
    { params: { operation: 'watermark' }, ...(location ? { location } : {}) },
  );
}

/** Marks the extra arguments of `stream(x, …)` that carry a WATERMARK clause (see translate.ts). */
export const WATERMARK_ARGUMENT = '__sluice_watermark';

/**
 * Marks the extra arguments of `stream(x, …)` that carry a computed event time: the mark, its
 * name, then the expression itself (see translate.ts).
 */
export const EVENT_TIME_ARGUMENT = '__sluice_event_time';

/**
 * Words after which a name continues an expression instead of naming it (`a AND b`, `NOT b`):
 * a name after anything else ends the expression and is its alias (`AS` is optional in Spark's
 * `namedExpression`).
 */
const CONTINUING_WORDS = new Set([
  'AND',
  'OR',
  'NOT',
  'IS',
  'IN',
  'LIKE',
  'ILIKE',
  'RLIKE',
  'REGEXP',
  'BETWEEN',
  'DIV',
  'ESCAPE',
  'COLLATE',
  'DISTINCT',
  'FROM',
  'AT',
  'ZONE',
  'INTERVAL',
  'TIMESTAMP',
  'TIMESTAMP_NTZ',
  'TIMESTAMP_LTZ',
  'DATE',
]);

/** Whether an expression can end with `n` (so a name after it is an alias). */
function endsExpression(n: TreeNode | undefined): boolean {
  if (n === undefined) return false;
  if (isGroup(n)) return true;
  if (n.kind === 'word') return !CONTINUING_WORDS.has(wordOf(n)!);
  return n.kind !== 'symbol';
}

/**
 * `WATERMARK named_expression DELAY OF INTERVAL …` at `items[k]` (after a streaming relation),
 * read into the extra arguments of the `stream(…)` call:
 * - a column (`WATERMARK ts DELAY OF …`): the column and the delay in microseconds;
 * - an expression with a name (`WATERMARK to_timestamp(s) [AS] ts DELAY OF …`, Spark's
 *   `namedExpression`): the name and the delay, then the name and the expression (its items
 *   rewritten by `rewrite`, the clause prepass of one level), which the translation projects
 *   onto the stream as a column before the watermark applies.
 * The delay must be a positive day-time interval below a month, as Spark requires. An expression
 * without a name and `AS (a, b)` are refused with Spark's codes.
 * @throws SluiceError REQUIRES_EXPLICIT_NAME_IN_WATERMARK_CLAUSE, CANNOT_USE_MULTI_ALIASES_IN_WATERMARK_CLAUSE,
 *   STREAMING_QUERY_NOT_SUPPORTED, WATERMARK_DELAY_INVALID
 */
export function watermarkClause(
  items: readonly TreeNode[],
  k: number,
  locate: Locate,
  rewrite: (items: readonly TreeNode[]) => TreeNode[],
): { args: TreeNode[]; end: number } {
  const at = items[k] as Token;
  type Code =
    | 'STREAMING_QUERY_NOT_SUPPORTED'
    | 'WATERMARK_DELAY_INVALID'
    | 'REQUIRES_EXPLICIT_NAME_IN_WATERMARK_CLAUSE'
    | 'CANNOT_USE_MULTI_ALIASES_IN_WATERMARK_CLAUSE';
  const fail = (code: Code, message: string, node: TreeNode = at) => {
    const location = locate(startOf(node));
    return new SluiceError(code, message, {
      params: { operation: 'watermark' },
      ...(location ? { location } : {}),
    });
  };
  let d = k + 1;
  while (
    d < items.length &&
    !(nodeIsWord(items[d], 'DELAY') && nodeIsWord(items[d + 1], 'OF')) &&
    !nodeIsSymbol(items[d], ',')
  )
    d++;
  const named = items.slice(k + 1, d);
  if (named.length === 0 || !nodeIsWord(items[d], 'DELAY')) {
    throw fail(
      'STREAMING_QUERY_NOT_SUPPORTED',
      'WATERMARK takes an event time and a delay: WATERMARK ts DELAY OF INTERVAL …, or WATERMARK expr AS ts DELAY OF INTERVAL …',
    );
  }
  const delay = items[d + 2];
  const v = delay && !isGroup(delay) && delay.kind === 'raw' ? intervalValueOfText(delay.value) : undefined;
  if (!v) {
    throw fail(
      'WATERMARK_DELAY_INVALID',
      'WATERMARK … DELAY OF takes an interval literal (INTERVAL 10 SECONDS)',
    );
  }
  if (v.kind !== 'day-time' || v.micros <= 0n || v.micros >= 31n * 86_400_000_000n) {
    throw fail(
      'WATERMARK_DELAY_INVALID',
      'the watermark delay must be a positive interval less than a month (Spark refuses months and years, which have no fixed length)',
    );
  }
  const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;
  const span = rawToken('', startOf(at), endOf(delay!));
  const marks = (name: string) => `, '${WATERMARK_ARGUMENT}', ${quote(name)}, '${v.micros}'`;
  if (named.length === 1 && isName(named[0])) {
    return { args: [{ ...span, text: marks(named[0].value), value: marks(named[0].value) }], end: d + 3 };
  }
  const last = named[named.length - 1]!;
  const beforeLast = named[named.length - 2];
  if (nodeIsWord(beforeLast, 'AS') && isParens(last)) {
    throw fail(
      'CANNOT_USE_MULTI_ALIASES_IN_WATERMARK_CLAUSE',
      'WATERMARK takes one event-time column: a multi-column alias AS (a, b) is not allowed (Spark: CANNOT_USE_MULTI_ALIASES_IN_WATERMARK_CLAUSE)',
      beforeLast!,
    );
  }
  let name: Token | undefined;
  let expression: TreeNode[] = named;
  if (isName(last) && nodeIsWord(beforeLast, 'AS') && named.length >= 3) {
    name = last;
    expression = named.slice(0, -2);
  } else if (isName(last) && named.length >= 2 && endsExpression(beforeLast)) {
    name = last;
    expression = named.slice(0, -1);
  }
  if (!name) {
    throw fail(
      'REQUIRES_EXPLICIT_NAME_IN_WATERMARK_CLAUSE',
      'a computed event time needs a name: WATERMARK expr AS name DELAY OF INTERVAL … (Spark: REQUIRES_EXPLICIT_NAME_IN_WATERMARK_CLAUSE)',
      named[0],
    );
  }
  const text = `${marks(name.value)}, '${EVENT_TIME_ARGUMENT}', ${quote(name.value)}`;
  const args: TreeNode[] = [
    { ...span, text, value: text },
    rawToken(',', startOf(expression[0]!)),
    parens(rewrite(expression)),
  ];
  return { args, end: d + 3 };
}

export function withWatermark(g: TreeNode, args: TreeNode[]): Group {
  const group = g as Group;
  return { ...group, items: [...group.items, ...args] };
}
