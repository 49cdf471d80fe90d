/**
 * A windowed aggregation of a watermarked stream, split for state kept across micro-batches
 * (Spark's streaming aggregation in append mode):
 *
 *   SELECT <keys and aggregates> FROM STREAM(x) WATERMARK ts DELAY OF … [WHERE …]
 *   GROUP BY window(ts, …)[, keys] [HAVING …]
 *
 * becomes three queries: `partialSql` aggregates one batch's rows into partial aggregates per
 * key (count, sum, min, max, avg as sum and count), `mergeSql` merges them with the state kept
 * so far (an associative merge: merging batches equals aggregating their rows at once), and
 * `finalSql` turns merged rows of closed windows into the query's rows — its select list and
 * HAVING over the merged keys and finished aggregates. Anything else over a watermarked stream
 * that aggregates is refused with Spark's reason (see {@link StatefulRefusal}).
 */
import type { SourceLocation } from '../errors/index.ts';
import {
  type EventTimeWatermark,
  inputPlaceholder,
  type QueryInput,
  type StatefulRefusal,
  type StreamingAggregate,
  type StreamingDedup,
} from '../model/index.ts';
import {
  type AstNode,
  caseNode,
  castNode,
  contains,
  functionNode,
  isNode,
  type Json,
  nodes,
  operatorFunction,
  queryLocation,
  statementJson,
  str,
  stringConstant,
  walk,
} from './ast.ts';
import type { SqlCodec } from './duckdb-codec.ts';
import {
  isSessionWindow,
  isSlidingIndex,
  isWindowStruct,
  slidingExpansion,
  type WindowParts,
  windowParts,
  windowStructOf,
} from './functions/event-time.ts';
import { AGGREGATES } from './stateful.ts';
import { dedupPlan, withinWatermarkPlan } from './streaming-dedup.ts';
import { conjuncts, latestEventTime, watermarkQuery } from './watermark-input.ts';

/** Relation names the engine binds for the merge and final steps. */
export const STATE_IN = '__sluice_state_in';
export const CLOSED = '__sluice_closed';
/** A session's end (µs since the epoch) in the merged rows and state of a session window aggregation. */
const SESSION_END = '__sluice_end';

const key = (i: number) => `__sluice_k${i}`;
const partial = (j: number) => `__sluice_p${j}`;
const output = (i: number) => `__sluice_o${i}`;

/** How one aggregate call is kept: its partial aggregates, how they merge, how they finish. */
interface AggregateSplit {
  readonly partials: readonly AstNode[];
  /** Per partial: SQL merging the partials of a column (`sum`, `min`… applied to it, or a template). */
  readonly merges: readonly (string | ((column: string) => string))[];
  readonly finish: (columns: readonly AstNode[]) => AstNode;
}

const colRef = (name: string): AstNode => ({
  class: 'COLUMN_REF',
  type: 'COLUMN_REF',
  alias: '',
  query_location: 2 ** 64,
  column_names: [name],
});

function split(call: AstNode): AggregateSplit | string {
  const name = str(call, 'function_name').toLowerCase();
  const args = nodes(call, 'children');
  if (call.distinct === true && name === 'count' && args.length === 1 && !isNode(call.filter))
    return distinctCount(args[0]!);
  if (call.distinct === true) return `${name}(DISTINCT …) other than count(DISTINCT x) of one value`;
  if (call.filter !== null && call.filter !== undefined) return `${name}(…) FILTER (…)`;
  const orders = isNode(call.order_bys) ? nodes(call.order_bys, 'orders') : [];
  if (orders.length > 0) return `${name}(… ORDER BY …)`;
  const fresh = () => structuredClone(call);
  switch (name) {
    case 'count_star':
    case 'count':
      return {
        partials: [fresh()],
        merges: ['sum'],
        finish: ([c]) => castNode(c!, 'BIGINT'),
      };
    case 'sum':
      return { partials: [fresh()], merges: ['sum'], finish: ([c]) => c! };
    case 'min':
    case 'max':
      return { partials: [fresh()], merges: [name], finish: ([c]) => c! };
    case 'avg':
    case 'mean': {
      if (args.length !== 1) return `${name}() with ${args.length} arguments`;
      const sum = functionNode('sum', [structuredClone(args[0]!)]);
      const count = functionNode('count', [structuredClone(args[0]!)]);
      return {
        partials: [sum, count],
        merges: ['sum', 'sum'],
        // avg = sum / count, NULL for a group without a non-NULL value (as avg).
        // (a group whose sum is NULL divides NULL.)
        finish: ([s, c]) => operatorFunction('/', [castNode(s!, 'DOUBLE'), castNode(c!, 'DOUBLE')]),
      };
    }
    default:
      return `${name}() is not one of the aggregates sluice keeps in streaming state (count, sum, min, max, avg)`;
  }
}

/**
 * count(DISTINCT x), exact: the set of the non-NULL values seen per group is kept (a list
 * without duplicates), sets merge by union, and the count is the size of the set (0 when there is
 * none, as count of nothing).
 */
function distinctCount(arg: AstNode): AggregateSplit {
  const set: AstNode = {
    ...functionNode('list', [structuredClone(arg)]),
    distinct: true,
    filter: {
      class: 'OPERATOR',
      type: 'OPERATOR_IS_NOT_NULL',
      alias: '',
      query_location: 2 ** 64,
      children: [structuredClone(arg)],
    },
  };
  return {
    partials: [set],
    merges: [(c) => `list_distinct(flatten(list(${c})))`],
    finish: ([c]) =>
      castNode(
        caseNode(
          [
            {
              when: {
                class: 'OPERATOR',
                type: 'OPERATOR_IS_NULL',
                alias: '',
                query_location: 2 ** 64,
                children: [c!],
              },
              result: stringConstant('0'),
            },
          ],
          functionNode('len', [structuredClone(c!)]),
        ),
        'BIGINT',
      ),
  };
}

/** JSON of an expression without source positions and its own alias: equal for the same expression. */
function canonical(node: AstNode): string {
  return JSON.stringify({ ...node, alias: '' }, (k, v) => (k === 'query_location' ? undefined : v));
}

const isAggregate = (n: AstNode) =>
  n.class === 'FUNCTION' && AGGREGATES.has(str(n, 'function_name').toLowerCase());

/** The analysis of one query; see the module comment. */
export async function statefulPlanOf(
  codec: SqlCodec,
  root: AstNode,
  inputs: readonly QueryInput[],
  locate: (byteOffset: number | undefined) => SourceLocation | undefined,
): Promise<StreamingAggregate | StreamingDedup | StatefulRefusal | undefined> {
  const marked = inputs.flatMap((input, i) => (input.streaming && input.watermark ? [i] : []));
  if (marked.length === 0) return undefined;
  const aggregates =
    root.type === 'SELECT_NODE' &&
    (nodes(root, 'group_expressions').length > 0 ||
      contains(root.select_list ?? null, isAggregate) ||
      contains(root.having ?? null, isAggregate));
  const location = locate(queryLocation(root));
  const refuse = (
    reason: string,
    operation: StatefulRefusal['operation'] = 'aggregate',
  ): StatefulRefusal => ({
    kind: 'stateful_refusal',
    operation,
    reason,
    ...(location ? { location } : {}),
  });
  const modifiers = root.type === 'SELECT_NODE' ? nodes(root, 'modifiers') : [];
  if (!aggregates && modifiers.some((m) => str(m, 'type') === 'DISTINCT_MODIFIER')) {
    const plan = dedupPlan(root, inputs, marked, (reason) => refuse(reason, 'distinct'));
    if (plan.kind !== 'streaming_dedup' || !isNode(root.where_clause)) return plan;
    const watermarkSql = await codec.deserialize(statementJson(watermarkQuery(root, plan.watermark)));
    return Object.freeze({ ...plan, watermarkSql });
  }
  if (!aggregates && isNode(root.qualify)) {
    const within = withinWatermarkPlan(root, inputs, marked);
    if (within) return within;
  }
  if (!aggregates) {
    // A stateless query over a watermarked stream runs batch by batch (the watermark is unused,
    // as in Spark); aggregations nested deeper are refused.
    return contains(
      root,
      (n) => n.type === 'SELECT_NODE' && n !== root && nodes(n, 'group_expressions').length > 0,
    )
      ? refuse(
          'aggregates a watermarked stream inside a subquery; only a top-level GROUP BY is kept in state',
        )
      : undefined;
  }
  if (marked.length > 1)
    return refuse('reads several watermarked streams; stream–stream joins are not supported yet');
  const shape = aggregationShape(root, marked[0]!, inputs[marked[0]!]!.watermark as EventTimeWatermark);
  if (typeof shape === 'string') return refuse(shape);
  const splits = splitAggregates(root);
  if (typeof splits === 'string') return refuse(`${splits}: not supported in a streaming aggregation yet`);
  const final = finalQuery(root, shape, splits);
  if (typeof final === 'string') return refuse(final);
  const partialRoot = partialQuery(root, shape, splits);
  const watermarkRoot = watermarkQuery(root, shape.watermark);
  const mergeSql = (shape.window.kind === 'session' ? sessionMergeSql : mergeSqlOf)(shape, splits);
  // Only fixed windows run fused batches (sessions merge by what each batch saw). When the
  // partial aggregates see every row with an event time, their groups carry their latest event
  // time and the watermark needs no read of the input of its own.
  const fused = shape.window.kind === 'fixed';
  const carried = fused && seesEveryEventTime(root, shape);
  const partialByBatch = byBatch(partialRoot);
  if (carried)
    partialByBatch.select_list = [...nodes(partialByBatch, 'select_list'), latestEventTime(shape.watermark)];
  const [partialSql, finalSql, watermarkSql, partialByBatchSql, watermarkByBatchSql] = await Promise.all([
    codec.deserialize(statementJson(partialRoot)),
    codec.deserialize(statementJson(final)),
    codec.deserialize(statementJson(watermarkRoot)),
    fused ? codec.deserialize(statementJson(partialByBatch)) : undefined,
    fused && !carried ? codec.deserialize(statementJson(byBatch(watermarkRoot))) : undefined,
  ]);
  return Object.freeze({
    kind: 'streaming_aggregate',
    input: shape.input,
    watermark: shape.watermark,
    keyCount: shape.keys.length,
    partialCount: splits.count,
    windowKey: shape.windowKey,
    windowKind: shape.window.kind,
    windowMicros: Number(shape.window.durationMicros),
    partialSql,
    watermarkSql,
    mergeSql,
    finalSql,
    ...(partialByBatchSql ? { partialByBatchSql } : {}),
    ...(watermarkByBatchSql ? { watermarkByBatchSql } : {}),
  });
}

/**
 * Whether every input row with an event time is in the partial aggregates, so that the latest
 * event time of their rows is the one the watermark sees: no filter but the window's own (rows
 * without a time — and a sliding window's candidate windows that do not hold the row; the
 * newest always does, as the slide is at most the duration), over the watermark column itself.
 */
function seesEveryEventTime(root: AstNode, shape: AggregationShape): boolean {
  const windowCanon = canonical(shape.keys[shape.windowKey]!);
  const where = isNode(root.where_clause) ? conjuncts(root.where_clause) : [];
  const windowOnly = where.every((c) => {
    const operand = c.type === 'OPERATOR_IS_NOT_NULL' ? nodes(c, 'children')[0] : undefined;
    return operand !== undefined && canonical(operand) === windowCanon;
  });
  // The window is NULL when its time is (`time IS NULL`, first of an OR for a sliding window);
  // its time is the column itself, or the column checked for its type (`CASE … ELSE ts END`).
  let test: AstNode | undefined = shape.window.outside;
  while (test?.type === 'CONJUNCTION_OR') test = nodes(test, 'children')[0];
  let time = test?.type === 'OPERATOR_IS_NULL' ? nodes(test, 'children')[0] : undefined;
  if (time?.class === 'CASE' && isNode(time.else_expr)) time = time.else_expr;
  const names = time?.class === 'COLUMN_REF' && Array.isArray(time.column_names) ? time.column_names : [];
  return (
    windowOnly &&
    names.length > 0 &&
    String(names.at(-1)).toLowerCase() === shape.watermark.column.toLowerCase()
  );
}

/** The input's batch tag (BIGINT) when several batches are read in one pass (see {@link byBatch}). */
const BATCH_TAG = '__sluice_b';

/**
 * `query` (one grouping set, or none) per batch: the input's batch tag selected first and
 * grouped by first, so the rows of different batches never share a group. The input's own
 * columns never start with `__sluice_`, so the unqualified tag names the input's.
 */
function byBatch(query: AstNode): AstNode {
  const tag = (): AstNode => ({
    class: 'COLUMN_REF',
    type: 'COLUMN_REF',
    alias: '',
    query_location: 2 ** 64,
    column_names: [BATCH_TAG],
  });
  const groups = nodes(query, 'group_expressions');
  const sets = Array.isArray(query.group_sets) ? (query.group_sets as number[][]) : [];
  return {
    ...structuredClone(query),
    select_list: [{ ...tag(), alias: BATCH_TAG }, ...structuredClone(nodes(query, 'select_list'))],
    group_expressions: [tag(), ...structuredClone(groups)],
    group_sets: [[0, ...(sets[0] ?? []).map((i) => i + 1)]],
  };
}

/** The merged partials of the aggregates and the rows, as a select list over `STATE_IN`. */
function mergedColumns(splits: Splits): string[] {
  const merges = splits.list.flatMap((s) =>
    s.split.merges.map((m, i) => {
      const c = partial(s.first + i);
      return `${typeof m === 'string' ? `${m}(${c})` : m(c)} AS ${c}`;
    }),
  );
  return [...merges, 'CAST(sum(__sluice_rows) AS BIGINT) AS __sluice_rows'];
}

/** Window aggregation: rows of the same keys (window start among them) merge. */
function mergeSqlOf(shape: AggregationShape, splits: Splits): string {
  const keyList = shape.keys.map((_, i) => key(i)).join(', ');
  return `SELECT ${[keyList, ...mergedColumns(splits)].join(', ')} FROM ${STATE_IN} GROUP BY ${keyList}`;
}

/**
 * Session windows: `STATE_IN` holds sessions (the open ones of the state, and one per batch row
 * `[ts, ts + gap)` grouped by keys and start) with their end in `__sluice_end`. Per group, in
 * start order, a session starting after every session that started earlier has ended opens a new
 * merged session (Spark merges a session starting at or before the current end); the merged
 * session spans the earliest start to the latest end of its parts.
 */
function sessionMergeSql(shape: AggregationShape, splits: Splits): string {
  const start = key(shape.windowKey);
  const others = shape.keys.flatMap((_, i) => (i === shape.windowKey ? [] : [key(i)]));
  const partition = others.length > 0 ? `PARTITION BY ${others.join(', ')} ` : '';
  // RANGE frames over the start: rows with equal starts see the same frame, so they get the same
  // session whatever their order.
  const order = `${partition}ORDER BY ${start} RANGE BETWEEN UNBOUNDED PRECEDING AND`;
  const ordered = `SELECT *, max(${SESSION_END}) OVER (${order} 1 PRECEDING) AS __sluice_reach FROM ${STATE_IN}`;
  const numbered = `SELECT *, sum(CASE WHEN __sluice_reach IS NULL OR ${start} > __sluice_reach THEN 1 ELSE 0 END) OVER (${order} CURRENT ROW) AS __sluice_session FROM (${ordered})`;
  const keys = shape.keys.map((_, i) => (i === shape.windowKey ? `min(${start}) AS ${start}` : key(i)));
  return `SELECT ${[...keys, `max(${SESSION_END}) AS ${SESSION_END}`, ...mergedColumns(splits)].join(', ')} FROM (${numbered}) GROUP BY ${[...others, '__sluice_session'].join(', ')}`;
}

/** The grouping of a streaming aggregation: its keys, the window among them and its parts. */
interface AggregationShape {
  readonly input: number;
  readonly watermark: EventTimeWatermark;
  /** The GROUP BY expressions, positions and window aliases resolved. */
  readonly keys: readonly AstNode[];
  readonly windowKey: number;
  readonly window: WindowParts;
}

const isWindowLike = (n: AstNode) => isWindowStruct(n) || isSessionWindow(n);

/** The keys of a single-stream GROUP BY by an event-time window on the watermark column, or why not. */
function aggregationShape(
  root: AstNode,
  input: number,
  watermark: EventTimeWatermark,
): AggregationShape | string {
  const written = isNode(root.from_table) ? root.from_table : undefined;
  // A sliding window's expansion joins an index range to the stream (functions/event-time.ts).
  const from = written ? (slidingExpansion(written) ?? written) : undefined;
  if (!from || from.type !== 'BASE_TABLE' || str(from, 'table_name') !== inputPlaceholder(input))
    return 'aggregates a watermarked stream joined with other relations; only a single stream is supported';
  const cte = isNode(root.cte_map) ? nodes(root.cte_map, 'map') : [];
  if (cte.length > 0 || nodes(root, 'modifiers').length > 0 || root.qualify)
    return 'uses WITH, DISTINCT, ORDER BY, LIMIT or QUALIFY around a streaming aggregation';
  if (contains(root, (n) => n.class === 'SUBQUERY' || n.class === 'WINDOW'))
    return 'uses a subquery or a window function in a streaming aggregation';
  const sets = Array.isArray(root.group_sets) ? root.group_sets : [];
  if (sets.length > 1) return 'uses GROUPING SETS, CUBE or ROLLUP on a stream';

  const items = nodes(root, 'select_list');
  if (items.some((i) => i.class === 'STAR')) return 'selects * in a streaming aggregation';
  const resolveKey = (g: AstNode): AstNode => {
    if (g.class === 'CONSTANT' && isNode(g.value) && typeof g.value.value === 'number') {
      const item = items[g.value.value - 1];
      if (item) return { ...item, alias: '' };
    }
    if (g.class === 'COLUMN_REF' && Array.isArray(g.column_names) && g.column_names.length === 1) {
      const name = String(g.column_names[0]).toLowerCase();
      const item = items.find((i) => str(i, 'alias').toLowerCase() === name && isWindowLike(i));
      if (item) return { ...item, alias: '' };
    }
    return g;
  };
  const keys = nodes(root, 'group_expressions').map(resolveKey);
  const windowKey = keys.findIndex(isWindowLike);
  if (keys.filter(isWindowLike).length > 1)
    return 'groups by several event-time windows; Spark allows one window or session window per query level';
  if (windowKey < 0)
    return `groups a watermarked stream without an event-time window on '${watermark.column}': Spark refuses this in append mode (a group never closes); GROUP BY window(${watermark.column}, …)`;
  const timeColumns = new Set<string>();
  walk(keys[windowKey]!, (n) => {
    if (
      n.class === 'COLUMN_REF' &&
      Array.isArray(n.column_names) &&
      !isSlidingIndex(String(n.column_names[0]))
    )
      timeColumns.add(String(n.column_names.at(-1)).toLowerCase());
    return true;
  });
  if (timeColumns.size !== 1 || !timeColumns.has(watermark.column.toLowerCase()))
    return `windows a column other than the watermark column '${watermark.column}': Spark needs the window on the watermarked event time in append mode`;
  const window = windowParts(keys[windowKey]!);
  if (!window) return 'groups by a window expression sluice cannot take apart';
  return { input, watermark, keys, windowKey, window };
}

/** The aggregate calls of the select list and HAVING, each split into partials (or why not). */
interface Splits {
  readonly list: readonly { call: string; split: AggregateSplit; first: number }[];
  /** The number of partial aggregate columns. */
  readonly count: number;
}

function splitAggregates(root: AstNode): Splits | string {
  const list: { call: string; split: AggregateSplit; first: number }[] = [];
  let failure: string | undefined;
  let count = 0;
  const collect = (v: Json) =>
    walk(v, (n) => {
      if (!isAggregate(n)) return true;
      if (contains(n.children ?? null, isAggregate)) failure ??= 'nests an aggregate inside another';
      const c = canonical(n);
      if (list.some((s) => s.call === c)) return false;
      const s = split(n);
      if (typeof s === 'string') failure ??= s;
      else {
        list.push({ call: c, split: s, first: count });
        count += s.partials.length;
      }
      return false;
    });
  collect(root.select_list ?? null);
  collect(root.having ?? null);
  return failure ?? { list, count };
}

/** The end of a merged row's window, in µs: its start + duration, or the session's own end. */
function windowEnd(shape: AggregationShape): AstNode {
  if (shape.window.kind === 'session') return colRef(SESSION_END);
  const duration = castNode(stringConstant(String(shape.window.durationMicros)), 'BIGINT');
  return operatorFunction('+', [colRef(key(shape.windowKey)), duration]);
}

/**
 * The final step: the select list and HAVING over the merged keys and finished aggregates of
 * relation `__sluice_closed`, the window rebuilt as its struct from its start; or why not.
 */
function finalQuery(root: AstNode, shape: AggregationShape, splits: Splits): AstNode | string {
  const keyCanon = shape.keys.map(canonical);
  let unmatched: string | undefined;
  const finish = (v: AstNode): AstNode => {
    const k = keyCanon.indexOf(canonical(v));
    if (k === shape.windowKey) return windowStructOf(colRef(key(k)), windowEnd(shape));
    if (k >= 0) return colRef(key(k));
    if (isAggregate(v)) {
      const s = splits.list.find((x) => x.call === canonical(v))!;
      return s.split.finish(s.split.partials.map((_, i) => colRef(partial(s.first + i))));
    }
    if (v.class === 'COLUMN_REF') {
      unmatched ??= (v.column_names as string[]).join('.');
      return v;
    }
    const out: AstNode = {};
    for (const [name, x] of Object.entries(v)) out[name] = finishJson(x);
    return out;
  };
  const finishJson = (x: Json): Json => {
    if (Array.isArray(x)) return x.map(finishJson);
    if (isNode(x) && typeof x.class === 'string') return finish(x);
    if (isNode(x)) {
      const out: AstNode = {};
      for (const [name, y] of Object.entries(x)) out[name] = finishJson(y);
      return out;
    }
    return x;
  };
  const finalItems = nodes(root, 'select_list').map((item, i) => ({ ...finish(item), alias: output(i) }));
  const having = isNode(root.having) ? finish(root.having) : null;
  if (unmatched) return `selects '${unmatched}', which is neither grouped nor aggregated`;
  const closed: AstNode = {
    type: 'BASE_TABLE',
    alias: '',
    sample: null,
    query_location: 2 ** 64,
    schema_name: '',
    table_name: CLOSED,
    column_name_alias: [],
    catalog_name: '',
    at_clause: null,
  };
  return {
    ...structuredClone(root),
    select_list: finalItems,
    from_table: closed,
    where_clause: having,
    group_expressions: [],
    group_sets: [],
    having: null,
  };
}

/**
 * The per-batch step: keys and partial aggregates of the batch's rows, grouped on the window's
 * start in microseconds (a BIGINT: cheaper to compute, hash and keep than the struct, which only
 * emitted rows get), rows without a window left out as Spark leaves them out. `outside` is never
 * NULL (it is TRUE when the time is NULL), so NOT outside keeps exactly the rows with a window.
 */
function partialQuery(root: AstNode, shape: AggregationShape, splits: Splits): AstNode {
  const windowCanon = canonical(shape.keys[shape.windowKey]!);
  // Rows whose window is NULL are left out, so the key is the start itself.
  const startKey = () => structuredClone(shape.window.start);
  const hasTime = (): AstNode => ({
    class: 'OPERATOR',
    type: 'OPERATOR_NOT',
    alias: '',
    query_location: 2 ** 64,
    children: [structuredClone(shape.window.outside)],
  });
  // `window IS NOT NULL` (the filter the window's translation adds) tests the window's parts.
  const byStart = (x: Json): Json => {
    if (Array.isArray(x)) return x.map(byStart);
    if (!isNode(x)) return x;
    const operand = x.type === 'OPERATOR_IS_NOT_NULL' ? nodes(x, 'children')[0] : undefined;
    if (operand && canonical(operand) === windowCanon) return hasTime();
    const out: AstNode = {};
    for (const [name, y] of Object.entries(x)) out[name] = byStart(y);
    return out;
  };
  const keys = shape.keys.map((k, i) => (i === shape.windowKey ? startKey() : structuredClone(k)));
  const where = isNode(root.where_clause) ? (byStart(root.where_clause) as AstNode) : undefined;
  const filtered = where && contains(where, (n) => canonical(n) === canonical(hasTime()));
  return {
    ...structuredClone(root),
    select_list: [
      ...keys.map((k, i) => ({ ...structuredClone(k), alias: key(i) })),
      ...splits.list.flatMap((s) => s.split.partials.map((p, i) => ({ ...p, alias: partial(s.first + i) }))),
      { ...functionNode('count_star', []), alias: '__sluice_rows' },
    ],
    where_clause: filtered
      ? where
      : where
        ? {
            class: 'CONJUNCTION',
            type: 'CONJUNCTION_AND',
            alias: '',
            query_location: 2 ** 64,
            children: [where, hasTime()],
          }
        : hasTime(),
    group_expressions: keys.map((k) => structuredClone(k)),
    group_sets: [keys.map((_, i) => i)],
    having: null,
  };
}
