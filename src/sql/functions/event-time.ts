/**
 * Event-time windows: `window(ts, duration[, slide[, start]])` and `window_time(w)`.
 *
 * Spark assigns a timestamp to the windows `[s, s + duration)` whose start `s` is congruent to
 * `start` modulo `slide` and that contain it; the last of them starts at
 * `ts − ((ts − start) mod slide)` (a floor modulo, so instants before 1970 and negative starts
 * fall in the right window). A tumbling window (slide = duration) is that one window, a
 * `struct {start, end}` of timestamps; a NULL timestamp gives a NULL window. Durations are
 * interval strings of fixed length (`'10 seconds'`, `'1 day 2 hours'`): months and years are
 * refused, as Spark refuses them. Sliding windows put each row in several windows: Spark expands
 * the row, and so does {@link expandSlidingWindows} after translation.
 */
import { SluiceError, type SourceLocation } from '../../errors/index.ts';
import { type AstNode, constantText, isNode, type Json, NO_LOCATION, nodes, str } from '../ast.ts';
import { intervalStringValue } from '../spark-intervals.ts';
import { and, cast, col, fn, int, isNotNull, isNull, le, nul, op, or, text, when } from './builders.ts';
import { fail, typeIs } from './expr.ts';
import { arity, type FunctionCall, type FunctionRule, TZ } from './rules.ts';

/** The name of the struct-building call every translated window is (see {@link isWindowStruct}). */
const STRUCT = 'struct_pack';

/** A duration argument in microseconds; `allowZero` for the start offset. */
function micros(c: FunctionCall, i: number, what: string, allowZero: boolean): bigint {
  const arg = c.args[i]!;
  const written = constantText(arg);
  const v = written === undefined ? undefined : intervalStringValue(written);
  if (!v) {
    throw new SluiceError(
      'WINDOW_DURATION_INVALID',
      `the ${what} of window() must be an interval string such as '10 minutes'${written === undefined ? '' : `, not '${written}'`}`,
      { params: { argument: what } },
    );
  }
  if (v.kind !== 'day-time') {
    throw new SluiceError(
      'WINDOW_DURATION_INVALID',
      `the ${what} of window() cannot be months or years (Spark: intervals of months have no fixed length)`,
      { params: { argument: what } },
    );
  }
  if (!allowZero && v.micros <= 0n) {
    throw new SluiceError('WINDOW_DURATION_INVALID', `the ${what} of window() must be greater than 0`, {
      params: { argument: what },
    });
  }
  return v.micros;
}

/** A BIGINT constant of microseconds. */
const us = (n: bigint): AstNode => cast(text(String(n)), 'BIGINT');

function windowRule(c: FunctionCall): AstNode {
  arity(c, 2, 4);
  const duration = micros(c, 1, 'window duration', false);
  const slide = c.args.length > 2 ? micros(c, 2, 'slide duration', false) : duration;
  const start = c.args.length > 3 ? micros(c, 3, 'start time', true) : 0n;
  if (slide > duration) {
    throw new SluiceError(
      'WINDOW_DURATION_INVALID',
      'the slide duration of window() must be less than or equal to the window duration',
      { params: { argument: 'slide duration' } },
    );
  }
  if ((start < 0n ? -start : start) >= slide) {
    throw new SluiceError(
      'WINDOW_DURATION_INVALID',
      'the absolute value of the start time of window() must be less than the slide duration',
      { params: { argument: 'start time' } },
    );
  }
  const ts = instantOf(c.args[0]!, 'window');
  const u = fn('epoch_us', cast(ts, TZ));
  // last start = u − ((u − start) mod slide), with a floor modulo.
  const rem = op('%', op('+', op('%', op('-', u, us(start)), us(slide)), us(slide)), us(slide));
  let first = op('-', structuredClone(u), rem);
  let outside = isNull(structuredClone(ts));
  if (slide !== duration) {
    // Sliding: the i-th window back from the last, i < ceil(duration / slide), taken from the
    // index column the expansion pass joins in (see expandSlidingWindows); a window that does
    // not contain ts (the oldest ones, when slide does not divide duration) is NULL and dropped.
    const count = (duration + slide - 1n) / slide;
    first = op('-', first, op('*', col(slidingIndexColumn(count)), us(slide)));
    outside = or(outside, le(op('+', structuredClone(first), us(duration)), structuredClone(u)));
  }
  const startField = { ...fn('make_timestamptz', first), alias: 'start' };
  const endField = { ...fn('make_timestamptz', op('+', structuredClone(first), us(duration))), alias: 'end' };
  return when([[outside, nul()]], fn(STRUCT, startField, endField));
}

/**
 * The event time of a window as an instant. Spark keeps a TIMESTAMP_NTZ event time's window
 * bounds TIMESTAMP_NTZ; sluice's are instants (TIMESTAMP): a different column type, so an NTZ
 * column is refused when the query runs.
 */
function instantOf(ts: AstNode, name: string): AstNode {
  return when(
    [
      [
        typeIs(ts, ['TIMESTAMP']),
        fail(
          `${name}() of a TIMESTAMP_NTZ column is not supported (its bounds would be TIMESTAMP_NTZ in Spark)`,
        ),
      ],
    ],
    ts,
  );
}

const SLIDING_INDEX = /^__sluice_wi_(\d+)$/;

/** Whether a column name is the window index a sliding window's expansion adds. */
export function isSlidingIndex(name: string): boolean {
  return SLIDING_INDEX.test(name);
}

/** The column holding the window index of a sliding window with `count` windows per row. */
function slidingIndexColumn(count: bigint): string {
  return `__sluice_wi_${count}`;
}

/**
 * Spark's TimeWindowing: a query level using `window()` keeps only the rows with a time (its
 * window is not NULL), and a sliding window expands each row into one row per window it falls
 * in. For every SELECT whose own expressions use a window this adds `WHERE window IS NOT NULL`;
 * for a sliding one (translated with an index column, see windowRule) it also joins
 * `range(0, n) AS __sluice_w(__sluice_wi_n)` to its FROM, so the rows kept are those whose
 * window contains their time. One window definition per SELECT (Spark refuses several), and no
 * `*` beside a sliding one (the index column would show).
 * @throws SluiceError UNSUPPORTED_SPARK_FUNCTION for the forms above
 */
export function expandSlidingWindows(root: AstNode): void {
  const visit = (v: Json): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    if (!isNode(v)) return;
    if (v.type === 'SELECT_NODE') expandSelect(v);
    for (const x of Object.values(v)) if (x !== null && typeof x === 'object') visit(x);
  };
  visit(root);
}

/** The index count of a sliding window expression (the `n` of its `__sluice_wi_n`), if it is one. */
function slidingCount(window: AstNode): string | undefined {
  let index: string | undefined;
  const scan = (x: Json): void => {
    if (Array.isArray(x)) x.forEach(scan);
    else if (isNode(x) && index === undefined) {
      const name = x.class === 'COLUMN_REF' && Array.isArray(x.column_names) ? String(x.column_names[0]) : '';
      const m = SLIDING_INDEX.exec(name);
      if (m) index = m[1];
      else Object.values(x).forEach(scan);
    }
  };
  scan(window);
  return index;
}

function expandSelect(select: AstNode): void {
  const windows = new Map<string, AstNode>();
  let count: string | undefined;
  const find = (v: Json): void => {
    if (Array.isArray(v)) {
      for (const x of v) find(x);
      return;
    }
    if (!isNode(v) || v.type === 'SELECT_NODE' || v.class === 'SUBQUERY') return;
    if (isWindowStruct(v)) {
      const key = JSON.stringify({ ...v, alias: '' }, (k, x) => (k === 'query_location' ? undefined : x));
      windows.set(key, v);
      count ??= slidingCount(v);
      return;
    }
    for (const x of Object.values(v)) if (x !== null && typeof x === 'object') find(x);
  };
  for (const part of ['select_list', 'where_clause', 'group_expressions', 'having', 'qualify'])
    find(select[part] ?? null);
  if (windows.size === 0) return;
  const fail = (reason: string): never => {
    throw new SluiceError(
      'UNSUPPORTED_SPARK_FUNCTION',
      `Spark function 'window' cannot be translated: ${reason}`,
      {
        params: { function: 'window' },
      },
    );
  };
  // Spark: several window definitions in one query level would be a cartesian product.
  if (windows.size > 1) fail('a query level can use one window definition');
  if (count !== undefined && nodes(select, 'select_list').some((i) => i.class === 'STAR'))
    fail('a sliding window cannot be selected beside * (write the columns out)');
  const window = [...windows.values()][0]!;
  nameWindowColumn(select, window);
  // Spark drops the rows without a time (or outside a sliding window) from the query level.
  const kept = isNotNull({ ...structuredClone(window), alias: '' });
  if (count !== undefined) {
    const range: AstNode = {
      type: 'TABLE_FUNCTION',
      alias: '__sluice_w',
      sample: null,
      query_location: NO_LOCATION,
      function: fn('range', int(0), int(Number(count))),
      column_name_alias: [slidingIndexColumn(BigInt(count))],
      with_ordinality: 'WITHOUT_ORDINALITY',
    };
    select.from_table = {
      type: 'JOIN',
      alias: '',
      sample: null,
      query_location: NO_LOCATION,
      left: select.from_table ?? null,
      right: range,
      condition: null,
      join_type: 'INNER',
      ref_type: 'CROSS',
      using_columns: [],
      delim_flipped: false,
      duplicate_eliminated_columns: [],
    };
  }
  select.where_clause = isNode(select.where_clause) ? and(select.where_clause, kept) : kept;
}

/**
 * Spark names the window of a query level `window`: `SELECT window.start, count(*) … GROUP BY
 * window(ts, …)` reads it as a column. References to `window` / `window.<field>` in the select
 * list, HAVING and ORDER BY become the window expression (an unaliased item is named as Spark
 * names it: `window`, or the field).
 */
function nameWindowColumn(select: AstNode, window: AstNode): void {
  const replace = (v: Json, top: boolean): Json => {
    if (Array.isArray(v)) return v.map((x) => replace(x, top));
    if (!isNode(v) || v.type === 'SELECT_NODE' || v.class === 'SUBQUERY') return v;
    const names = v.class === 'COLUMN_REF' && Array.isArray(v.column_names) ? v.column_names.map(String) : [];
    if (names.length > 0 && names.length <= 2 && names[0]!.toLowerCase() === 'window') {
      const alias = str(v, 'alias') || (top ? (names[1] ?? 'window') : '');
      const expr = { ...structuredClone(window), alias: '' };
      const out = names.length === 1 ? expr : fn('struct_extract', expr, text(names[1]!));
      return { ...out, alias };
    }
    const out: AstNode = {};
    for (const [k, x] of Object.entries(v)) out[k] = replace(x, false);
    return out;
  };
  select.select_list = nodes(select, 'select_list').map((item) => replace(item, true));
  if (isNode(select.having)) select.having = replace(select.having, false);
  for (const m of nodes(select, 'modifiers')) {
    if (str(m, 'type') !== 'ORDER_MODIFIER') continue;
    for (const o of nodes(m, 'orders')) o.expression = replace(o.expression ?? null, false);
  }
}

/** The relation under the index range joined by {@link expandSlidingWindows}, if `from` is one. */
export function slidingExpansion(from: AstNode): AstNode | undefined {
  if (from.type !== 'JOIN' || !isNode(from.right) || str(from.right, 'alias') !== '__sluice_w')
    return undefined;
  return isNode(from.left) ? from.left : undefined;
}

/** `window_time(w)`: the last instant of a window, `w.end − 1 µs`. */
function windowTimeRule(c: FunctionCall): AstNode {
  arity(c, 1);
  const end = fn('struct_extract', c.args[0]!, text('end'));
  return fn('make_timestamptz', op('-', fn('epoch_us', end), int(1)));
}

/**
 * `session_window(ts, gap)`: each row's own session `[ts, ts + gap)`, which a streaming
 * aggregation merges with the sessions of its group that it overlaps or touches (Spark merges
 * when a session starts at or before the current one's end). Translated to the row's session
 * struct, marked as a session by the schema of its struct call (`main.struct_pack`, which binds
 * as struct_pack): only a streaming aggregation grouping by it (sql/streaming-aggregate.ts) runs
 * it; any other query is refused after translation (see {@link sessionWindowRefusal}), since a
 * plain GROUP BY over it would not merge sessions. The gap must be an interval string.
 * @throws SluiceError SESSION_WINDOW_DYNAMIC_GAP for a gap that is an expression; WINDOW_DURATION_INVALID
 */
function sessionWindowRule(c: FunctionCall): AstNode {
  arity(c, 2);
  if (constantText(c.args[1]!) === undefined) {
    throw new SluiceError(
      'SESSION_WINDOW_DYNAMIC_GAP',
      "the gap of session_window() must be an interval string such as '5 minutes': sessions with a gap computed per row are not supported",
      {},
    );
  }
  const gap = micros(c, 1, 'session gap', false);
  const ts = instantOf(c.args[0]!, 'session_window');
  const u = fn('epoch_us', cast(ts, TZ));
  return when([[isNull(structuredClone(ts)), nul()]], {
    ...windowStructOf(u, op('+', structuredClone(u), us(gap))),
    schema: SESSION_SCHEMA,
  });
}

/** The schema of the struct call of a session window (see sessionWindowRule). */
const SESSION_SCHEMA = 'main';

export const EVENT_TIME_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  window: windowRule,
  window_time: windowTimeRule,
  session_window: sessionWindowRule,
};

/**
 * A translated window (see {@link isWindowStruct}) taken apart: `start` is its start in
 * microseconds since the epoch (BIGINT), `outside` the condition under which it is NULL (no
 * time, or a sliding window that does not contain it), `durationMicros` its length — so
 * `CASE WHEN outside THEN NULL ELSE start END` keys the same rows as the struct, with
 * `end = start + durationMicros`.
 */
export interface WindowParts {
  /** A window of window() (`fixed`), or one row's session of session_window() (gap = duration). */
  readonly kind: 'fixed' | 'session';
  readonly start: AstNode;
  readonly outside: AstNode;
  readonly durationMicros: bigint;
}

/** The parts of a window or session struct written by windowRule / sessionWindowRule; else undefined. */
export function windowParts(node: AstNode): WindowParts | undefined {
  const session = isSessionWindow(node);
  if (!session && !isWindowStruct(node)) return undefined;
  const checks = Array.isArray(node.case_checks) ? node.case_checks : [];
  const outside = isNode(checks[0]) && isNode(checks[0].when_expr) ? checks[0].when_expr : undefined;
  const [startField, endField] = nodes(node.else_expr as AstNode, 'children');
  const start = nodes(startField!, 'children')[0];
  // end = start + duration
  const endSum = nodes(endField!, 'children')[0];
  const width = endSum && str(endSum, 'function_name') === '+' ? nodes(endSum, 'children')[1] : undefined;
  const widthText = width && isNode(width.child) ? constantText(width.child) : undefined;
  if (!outside || !start || checks.length !== 1 || widthText === undefined || !/^\d+$/.test(widthText))
    return undefined;
  return { kind: session ? 'session' : 'fixed', start, outside, durationMicros: BigInt(widthText) };
}

/** The window struct `{start, end}` of BIGINT bounds in microseconds since the epoch. */
export function windowStructOf(start: AstNode, end: AstNode): AstNode {
  const startField = { ...fn('make_timestamptz', start), alias: 'start' };
  const endField = { ...fn('make_timestamptz', end), alias: 'end' };
  return fn(STRUCT, startField, endField);
}

/** Whether a translated expression is a row's session of session_window() (see sessionWindowRule). */
export function isSessionWindow(node: AstNode): boolean {
  if (str(node, 'class') !== 'CASE') return false;
  const otherwise = node.else_expr;
  return (
    isNode(otherwise) &&
    str(otherwise, 'function_name') === STRUCT &&
    str(otherwise, 'schema') === SESSION_SCHEMA
  );
}

/**
 * session_window() used outside a streaming aggregation that groups by it (a batch query, a
 * stateless stream, anything `consumed` is false for): refused, since only the streaming
 * aggregation merges sessions.
 */
export function sessionWindowRefusal(
  root: AstNode,
  consumed: boolean,
  location?: SourceLocation,
): SluiceError | undefined {
  if (consumed) return undefined;
  let found = false;
  const visit = (v: Json): void => {
    if (found) return;
    if (Array.isArray(v)) v.forEach(visit);
    else if (isNode(v)) {
      if (isSessionWindow(v)) found = true;
      else for (const x of Object.values(v)) if (x !== null && typeof x === 'object') visit(x);
    }
  };
  visit(root);
  if (!found) return undefined;
  return new SluiceError(
    'UNSUPPORTED_SPARK_FUNCTION',
    "Spark function 'session_window' cannot be translated: session windows are supported only as a GROUP BY key of a streaming aggregation over a watermarked stream (their bounds depend on the rows that arrive later); use window() or aggregate in a streaming table",
    { params: { function: 'session_window' }, ...(location ? { location } : {}) },
  );
}

/**
 * Whether a translated expression is an event-time window (what `window()` translates to):
 * `CASE WHEN ts IS NULL THEN NULL ELSE struct_pack(start := …, end := …) END`.
 */
export function isWindowStruct(node: AstNode): boolean {
  if (str(node, 'class') !== 'CASE') return false;
  const otherwise = node.else_expr;
  if (!isNode(otherwise) || str(otherwise, 'function_name') !== STRUCT) return false;
  if (str(otherwise, 'schema') === SESSION_SCHEMA) return false;
  const fields = nodes(otherwise, 'children').map((f) => str(f, 'alias'));
  return fields.length === 2 && fields[0] === 'start' && fields[1] === 'end';
}
