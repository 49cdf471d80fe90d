/**
 * A join of two watermarked streams (Spark's stream–stream join in append mode), analysed for
 * state kept across micro-batches:
 *
 *   SELECT … FROM STREAM(a) WATERMARK a_ts DELAY OF … AS a
 *   [LEFT | RIGHT] JOIN STREAM(b) WATERMARK b_ts DELAY OF … AS b
 *   ON a.id = b.id AND b.b_ts BETWEEN a.a_ts AND a.a_ts + INTERVAL 1 MINUTE [WHERE …]
 *
 * The ON condition's top-level conjuncts that compare the two watermark columns (each plus or
 * minus a day-time interval literal) bound `a_ts − b_ts`; from those bounds follows when a
 * buffered row of each side can no longer match a row the other side may still deliver (one after
 * the global watermark): see {@link StreamJoinSide}. What sluice cannot run exactly as Spark does
 * is refused with a code: shapes (full outer, semi / anti, a third relation, aggregation over the
 * join, no equality) with STREAM_JOIN_NOT_SUPPORTED; a join whose state could never be evicted
 * (no watermark on a side, no range condition bounding both sides) with
 * STREAM_JOIN_STATE_UNBOUNDED — Spark runs some of those (inner joins with unbounded state),
 * sluice does not.
 */
import type { SourceLocation } from '../errors/index.ts';
import {
  inputPlaceholder,
  type QueryInput,
  type StatefulOperation,
  type StatefulRefusal,
  type StreamJoin,
} from '../model/index.ts';
import {
  type AstNode,
  contains,
  isNode,
  type Json,
  nodes,
  queryLocation,
  statementJson,
  str,
} from './ast.ts';
import type { SqlCodec } from './duckdb-codec.ts';
import { intervalLiteral } from './operators.ts';
import { pushedFilters, type Side } from './stream-join-filters.ts';
import { VOLATILE_FUNCTIONS } from './volatility.ts';

/** An event-time term: a side's watermark column plus a fixed offset (µs). */
interface TimeTerm {
  readonly side: 0 | 1;
  readonly offset: number;
}

/** A bound on `left time − right time`. */
interface Bound {
  readonly lower: boolean;
  readonly value: number;
  readonly strict: boolean;
}

/** The top-level AND-ed conjuncts of a condition. */
function conjuncts(c: AstNode): AstNode[] {
  if (c.class === 'CONJUNCTION' && str(c, 'type') === 'CONJUNCTION_AND')
    return nodes(c, 'children').flatMap(conjuncts);
  return [c];
}

/**
 * Which side a column reference reads: `alias.column` by the alias, a bare name by the sides'
 * watermark columns (when only one side has it); undefined when it cannot be told.
 */
function sideOfColumn(
  ref: AstNode,
  aliases: readonly [string, string],
  times: readonly [string, string],
): 0 | 1 | undefined {
  const names = Array.isArray(ref.column_names) ? ref.column_names.map((n) => String(n).toLowerCase()) : [];
  if (names.length >= 2) {
    const i = aliases.findIndex((a) => a.toLowerCase() === names[0]);
    return i === 0 || i === 1 ? i : undefined;
  }
  if (names.length === 1) {
    const hits = times.flatMap((t, i) => (t.toLowerCase() === names[0] ? [i] : []));
    return hits.length === 1 ? (hits[0] as 0 | 1) : undefined;
  }
  return undefined;
}

/** The sides whose columns an expression reads (undefined when a column's side is unknown). */
function sidesOf(
  e: Json,
  aliases: readonly [string, string],
  times: readonly [string, string],
): Set<0 | 1> | undefined {
  const out = new Set<0 | 1>();
  let unknown = false;
  const visit = (v: Json): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    if (!isNode(v)) return;
    if (v.class === 'COLUMN_REF') {
      const s = sideOfColumn(v, aliases, times);
      if (s === undefined) unknown = true;
      else out.add(s);
      return;
    }
    for (const x of Object.values(v)) if (x !== null && typeof x === 'object') visit(x);
  };
  visit(e);
  return unknown ? undefined : out;
}

/** `col`, `col ± interval`, `interval + col` over a side's watermark column, else undefined. */
function timeTerm(
  e: AstNode,
  aliases: readonly [string, string],
  times: readonly [string, string],
): TimeTerm | undefined {
  if (e.class === 'COLUMN_REF') {
    const side = sideOfColumn(e, aliases, times);
    const names = Array.isArray(e.column_names) ? e.column_names : [];
    if (side === undefined || String(names.at(-1)).toLowerCase() !== times[side].toLowerCase())
      return undefined;
    return { side, offset: 0 };
  }
  const name = str(e, 'function_name');
  const [a, b] = nodes(e, 'children');
  if (e.class !== 'FUNCTION' || (name !== '+' && name !== '-') || !a || !b) return undefined;
  const micros = (n: AstNode) => {
    const i = intervalLiteral(n);
    return i?.kind === 'micros' ? Number(i.value) : undefined;
  };
  const t = timeTerm(a, aliases, times);
  const c = micros(b);
  if (t && c !== undefined) return { side: t.side, offset: t.offset + (name === '+' ? c : -c) };
  const t2 = timeTerm(b, aliases, times);
  const c2 = micros(a);
  if (name === '+' && t2 && c2 !== undefined) return { side: t2.side, offset: t2.offset + c2 };
  return undefined;
}

const COMPARISONS: Readonly<Record<string, { lower: boolean; upper: boolean; strict: boolean }>> = {
  COMPARE_GREATERTHAN: { lower: true, upper: false, strict: true },
  COMPARE_GREATERTHANOREQUALTO: { lower: true, upper: false, strict: false },
  COMPARE_LESSTHAN: { lower: false, upper: true, strict: true },
  COMPARE_LESSTHANOREQUALTO: { lower: false, upper: true, strict: false },
  COMPARE_EQUAL: { lower: true, upper: true, strict: false },
};

/** Bounds on `left time − right time` that `x <type> y` states, if it compares the two event times. */
function comparisonBounds(
  type: string,
  x: AstNode,
  y: AstNode,
  aliases: readonly [string, string],
  times: readonly [string, string],
): Bound[] {
  const cmp = COMPARISONS[type];
  const tx = timeTerm(x, aliases, times);
  const ty = timeTerm(y, aliases, times);
  if (!cmp || !tx || !ty || tx.side === ty.side) return [];
  // tx.t + ox  op  ty.t + oy  ⇔  (left − right) op' c, flipping op when x is the right side.
  const [lo, hi] = tx.side === 0 ? [cmp.lower, cmp.upper] : [cmp.upper, cmp.lower];
  const value = tx.side === 0 ? ty.offset - tx.offset : tx.offset - ty.offset;
  const out: Bound[] = [];
  if (lo) out.push({ lower: true, value, strict: cmp.strict });
  if (hi) out.push({ lower: false, value, strict: cmp.strict });
  return out;
}

function bounds(c: AstNode, aliases: readonly [string, string], times: readonly [string, string]): Bound[] {
  if (c.class === 'COMPARISON') {
    const [l, r] = [c.left, c.right];
    return isNode(l) && isNode(r) ? comparisonBounds(str(c, 'type'), l, r, aliases, times) : [];
  }
  if (c.class === 'BETWEEN' && str(c, 'type') === 'COMPARE_BETWEEN') {
    const [i, lo, hi] = [c.input, c.lower, c.upper];
    if (!isNode(i) || !isNode(lo) || !isNode(hi)) return [];
    return [
      ...comparisonBounds('COMPARE_GREATERTHANOREQUALTO', i, lo, aliases, times),
      ...comparisonBounds('COMPARE_LESSTHANOREQUALTO', i, hi, aliases, times),
    ];
  }
  return [];
}

/** The input a FROM item reads when it is a bare input placeholder. */
function placeholderInput(rel: Json | undefined): number | undefined {
  if (!isNode(rel) || rel.type !== 'BASE_TABLE') return undefined;
  const m = /^__sluice_input_(\d+)$/.exec(str(rel, 'table_name'));
  return m ? Number(m[1]) : undefined;
}

/**
 * Why a query joining two streams has a shape sluice does not run (STREAM_JOIN_NOT_SUPPORTED), or
 * undefined: it must be one SELECT of a projection and a filter over an inner, left or right join
 * of exactly two inputs read directly in FROM, without USING.
 */
function shapeRefusal(
  root: AstNode,
  stateful: readonly StatefulOperation[],
  inputCount: number,
): string | undefined {
  const others = stateful.filter((op) => op.kind !== 'join');
  if (others.length > 0 || root.type !== 'SELECT_NODE')
    return `joins two streams and ${others[0]?.kind === 'aggregate' ? 'aggregates' : 'applies a stateful operation (DISTINCT, a window function, a set operation, LIMIT or ORDER BY) to'} the result: sluice runs a stream–stream join only under a projection and a filter; write the join to its own streaming table and aggregate that`;
  const from = isNode(root.from_table) ? root.from_table : undefined;
  if (
    from?.type !== 'JOIN' ||
    str(from, 'ref_type') !== 'REGULAR' ||
    placeholderInput(from.left) === undefined ||
    placeholderInput(from.right) === undefined ||
    stateful.length > 1 ||
    inputCount !== 2
  )
    return 'joins streams with further relations (a third stream, a table or a subquery): sluice joins exactly two streams read directly in FROM';
  const cte = isNode(root.cte_map) ? nodes(root.cte_map, 'map') : [];
  if (
    cte.length > 0 ||
    nodes(root, 'modifiers').length > 0 ||
    isNode(root.qualify) ||
    contains(root, (n) => n.class === 'SUBQUERY')
  )
    return 'uses WITH, a subquery, DISTINCT, LIMIT, ORDER BY or QUALIFY around a stream–stream join';
  const type = str(from, 'join_type');
  if (type !== 'INNER' && type !== 'LEFT' && type !== 'RIGHT')
    return `${type === 'OUTER' || type === 'FULL' ? 'full-outer-joins' : `${type.toLowerCase()}-joins`} two streams: sluice runs inner and left / right outer stream–stream joins`;
  if (Array.isArray(from.using_columns) && from.using_columns.length > 0)
    return 'joins two streams with USING: write the equalities in ON (a.k = b.k)';
  return undefined;
}

/**
 * The plan of a query that joins two streams, a refusal saying why it cannot run, or undefined
 * when no join in the query has streams on both sides. `stateful` is the query's stateful
 * operations (see `statefulOperations`).
 */
export async function streamJoinPlanOf(
  codec: SqlCodec,
  root: AstNode,
  inputs: readonly QueryInput[],
  stateful: readonly StatefulOperation[],
  locate: (byteOffset: number | undefined) => SourceLocation | undefined,
): Promise<StreamJoin | StatefulRefusal | undefined> {
  const streams = (side: readonly number[]) => side.some((i) => inputs[i]?.streaming === true);
  const join = stateful.find(
    (op) => op.kind === 'join' && op.sides && streams(op.sides[0]) && streams(op.sides[1]),
  );
  if (!join) return undefined;
  const location = join.location ?? locate(queryLocation(root));
  const refuse = (code: NonNullable<StatefulRefusal['code']>, reason: string): StatefulRefusal => ({
    kind: 'stateful_refusal',
    operation: 'join',
    code,
    reason,
    ...(location ? { location } : {}),
  });
  const notSupported = (reason: string) => refuse('STREAM_JOIN_NOT_SUPPORTED', reason);

  const from = isNode(root.from_table) ? root.from_table : undefined;
  const li = placeholderInput(from?.left);
  const ri = placeholderInput(from?.right);
  const shape = shapeRefusal(root, stateful, inputs.length);
  if (shape || !from || li === undefined || ri === undefined)
    return notSupported(shape ?? 'joins streams in a way sluice does not run');
  const type = str(from, 'join_type');
  const left = inputs[li]!;
  const right = inputs[ri]!;
  if (!left.watermark || !right.watermark)
    return refuse(
      'STREAM_JOIN_STATE_UNBOUNDED',
      `joins two streams without a watermark on ${!left.watermark ? 'the left' : 'the right'} one: its rows could never leave the join's state; declare WATERMARK ts DELAY OF INTERVAL … on both streams and bound their event times in ON`,
    );
  const aliases = [
    str(from.left as AstNode, 'alias') || inputPlaceholder(li),
    str(from.right as AstNode, 'alias') || inputPlaceholder(ri),
  ] as const;
  const times = [left.watermark.column, right.watermark.column] as const;
  const condition = isNode(from.condition) ? from.condition : undefined;
  const parts = condition ? conjuncts(condition) : [];
  const equality = parts.some((c) => {
    if (c.class !== 'COMPARISON' || str(c, 'type') !== 'COMPARE_EQUAL') return false;
    const a = sidesOf(c.left ?? null, aliases, times);
    const b = sidesOf(c.right ?? null, aliases, times);
    return a?.size === 1 && b?.size === 1 && [...a][0] !== [...b][0];
  });
  if (!condition || !equality)
    return notSupported(
      "joins two streams without an equality between them in ON (Spark refuses a stream–stream join without an equality predicate); qualify the columns with the streams' names (a.k = b.k)",
    );
  const outerSide: Side | undefined = type === 'LEFT' ? 0 : type === 'RIGHT' ? 1 : undefined;
  const filters = pushedFilters(
    isNode(root.where_clause) ? conjuncts(root.where_clause) : [],
    parts,
    outerSide,
    {
      side: (ref) => sideOfColumn(ref, aliases, times),
      isTime: (ref, side) =>
        String((ref.column_names as Json[]).at(-1)).toLowerCase() === times[side].toLowerCase(),
    },
    (e) =>
      contains(
        e,
        (n) => n.class === 'FUNCTION' && VOLATILE_FUNCTIONS.includes(str(n, 'function_name').toLowerCase()),
      ),
  );
  if (typeof filters === 'string') return notSupported(filters);
  const found = parts.flatMap((c) => bounds(c, aliases, times));
  // A left row leaves state once left time ≤ watermark + lower bound (+1 µs when strict): every
  // later right row has right time > watermark. Symmetrically for right rows and the upper bound.
  const evictLeft = found.filter((b) => b.lower).map((b) => b.value + (b.strict ? 1 : 0));
  const evictRight = found.filter((b) => !b.lower).map((b) => -b.value + (b.strict ? 1 : 0));
  if (evictLeft.length === 0 || evictRight.length === 0)
    return refuse(
      'STREAM_JOIN_STATE_UNBOUNDED',
      `joins two streams without an event-time range condition bounding ${aliases[0]}.${times[0]} − ${aliases[1]}.${times[1]} from ${evictLeft.length === 0 ? 'below' : 'above'}: the ${evictLeft.length === 0 ? 'left' : 'right'} stream's rows could never leave the join's state; bound both, e.g. ${aliases[1]}.${times[1]} BETWEEN ${aliases[0]}.${times[0]} - INTERVAL … AND ${aliases[0]}.${times[0]} + INTERVAL … in ON`,
    );
  const matchedRoot: AstNode = {
    ...structuredClone(root),
    from_table: { ...structuredClone(from), join_type: 'INNER' },
  };
  return Object.freeze({
    kind: 'stream_join',
    joinType: type === 'INNER' ? 'inner' : type === 'LEFT' ? 'left' : 'right',
    left: Object.freeze({
      input: li,
      alias: aliases[0],
      watermark: left.watermark,
      evictAfterMicros: Math.max(...evictLeft),
      ...(filters[0].length > 0 ? { filter: await expressionSql(codec, and(filters[0])) } : {}),
    }),
    right: Object.freeze({
      input: ri,
      alias: aliases[1],
      watermark: right.watermark,
      evictAfterMicros: Math.max(...evictRight),
      ...(filters[1].length > 0 ? { filter: await expressionSql(codec, and(filters[1])) } : {}),
    }),
    condition: await expressionSql(codec, condition),
    matchedSql: await codec.deserialize(statementJson(matchedRoot)),
  });
}

/** The conjunction of conditions. */
function and(parts: readonly AstNode[]): AstNode {
  return parts.length === 1
    ? parts[0]!
    : {
        class: 'CONJUNCTION',
        type: 'CONJUNCTION_AND',
        alias: '',
        query_location: 2 ** 64,
        children: [...parts],
      };
}

/** An expression's DuckDB text, through a `SELECT <expr>` round trip. */
async function expressionSql(codec: SqlCodec, condition: AstNode): Promise<string> {
  const select: AstNode = {
    type: 'SELECT_NODE',
    modifiers: [],
    cte_map: { map: [] },
    select_list: [{ ...condition, alias: '' }],
    from_table: { type: 'EMPTY', alias: '', sample: null, query_location: 2 ** 64 },
    where_clause: null,
    group_expressions: [],
    group_sets: [],
    aggregate_handling: 'STANDARD_HANDLING',
    having: null,
    sample: null,
    qualify: null,
  };
  const sql = await codec.deserialize(statementJson(select));
  return sql.replace(/^SELECT\s+/i, '');
}
