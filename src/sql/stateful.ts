/**
 * Which parts of a query keep state across rows: aggregation, DISTINCT, window functions,
 * joins, LIMIT and ORDER BY. Over a stream, Spark runs these with state kept across
 * micro-batches (and refuses some without a watermark); evaluated batch by batch, they would
 * give other rows — partial groups appended every update — so the graph refuses them on
 * streams until sluice keeps that state itself. This module only says where they are and which
 * inputs they read; the graph knows which inputs stream.
 */
import type { SourceLocation } from '../errors/index.ts';
import type { StatefulOperation } from '../model/index.ts';
import { type AstNode, isNode, type Json, nodes, queryLocation, str } from './ast.ts';

/** DuckDB's aggregate functions (`duckdb_functions()` with `function_type = 'aggregate'`). */
export const AGGREGATES: ReadonlySet<string> = new Set([
  'any_value',
  'approx_count_distinct',
  'approx_quantile',
  'approx_top_k',
  'arbitrary',
  'arg_max',
  'arg_max_null',
  'arg_max_nulls_last',
  'arg_min',
  'arg_min_null',
  'arg_min_nulls_last',
  'argmax',
  'argmin',
  'array_agg',
  'avg',
  'bit_and',
  'bit_or',
  'bit_xor',
  'bitstring_agg',
  'bool_and',
  'bool_or',
  'corr',
  'count',
  'count_if',
  'count_star',
  'countif',
  'covar_pop',
  'covar_samp',
  'entropy',
  'favg',
  'first',
  'fsum',
  'group_concat',
  'histogram',
  'histogram_exact',
  'kahan_sum',
  'kurtosis',
  'kurtosis_pop',
  'last',
  'list',
  'listagg',
  'mad',
  'max',
  'max_by',
  'mean',
  'median',
  'min',
  'min_by',
  'mode',
  'product',
  'quantile',
  'quantile_cont',
  'quantile_disc',
  'regr_avgx',
  'regr_avgy',
  'regr_count',
  'regr_intercept',
  'regr_r2',
  'regr_slope',
  'regr_sxx',
  'regr_sxy',
  'regr_syy',
  'reservoir_quantile',
  'sem',
  'skewness',
  'stddev',
  'stddev_pop',
  'stddev_samp',
  'string_agg',
  'sum',
  'sum_no_overflow',
  'sumkahan',
  'var_pop',
  'var_samp',
  'variance',
]);

const PLACEHOLDER = /^__sluice_input_(\d+)$/;

/** Input placeholders a relation (FROM item) reads, including through subqueries. */
function relationInputs(rel: Json, out: Set<number>): void {
  if (Array.isArray(rel)) {
    for (const r of rel) relationInputs(r, out);
    return;
  }
  if (!isNode(rel)) return;
  if (rel.type === 'BASE_TABLE') {
    const m = PLACEHOLDER.exec(str(rel, 'table_name'));
    if (m) out.add(Number(m[1]));
    return;
  }
  for (const v of Object.values(rel)) if (v !== null && typeof v === 'object') relationInputs(v, out);
}

/** Whether an expression tree calls an aggregate outside a window (`count(*) OVER …` is a window). */
function hasAggregate(expr: Json): boolean {
  if (Array.isArray(expr)) return expr.some(hasAggregate);
  if (!isNode(expr)) return false;
  if (expr.class === 'SUBQUERY') return false;
  if (expr.class === 'WINDOW') return false;
  if (expr.class === 'FUNCTION' && AGGREGATES.has(str(expr, 'function_name').toLowerCase())) return true;
  return Object.values(expr).some((v) => v !== null && typeof v === 'object' && hasAggregate(v));
}

function hasWindow(expr: Json): boolean {
  if (Array.isArray(expr)) return expr.some(hasWindow);
  if (!isNode(expr)) return false;
  if (expr.class === 'SUBQUERY') return false;
  if (expr.class === 'WINDOW') return true;
  return Object.values(expr).some((v) => v !== null && typeof v === 'object' && hasWindow(v));
}

/**
 * The stateful operations of a translated query (in `inputs` mode: relations are input
 * placeholders), each with the inputs it reads, outermost first.
 */
export function statefulOperations(
  root: AstNode,
  locate: (byteOffset: number | undefined) => SourceLocation | undefined,
): StatefulOperation[] {
  const out: StatefulOperation[] = [];
  const add = (kind: StatefulOperation['kind'], reads: Set<number>, at: AstNode, extra = {}) => {
    if (reads.size === 0) return;
    const location = locate(queryLocation(at));
    out.push({ kind, inputs: [...reads].sort((a, b) => a - b), ...extra, ...(location ? { location } : {}) });
  };
  const visit = (v: Json): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    if (!isNode(v)) return;
    if (v.type === 'SELECT_NODE') {
      const reads = new Set<number>();
      relationInputs(v.from_table ?? null, reads);
      const selectList = nodes(v, 'select_list');
      if (
        nodes(v, 'group_expressions').length > 0 ||
        hasAggregate(selectList) ||
        hasAggregate(v.having ?? null)
      )
        add('aggregate', reads, v);
      if (hasWindow(selectList)) add('window', reads, v);
      for (const m of nodes(v, 'modifiers')) {
        const t = str(m, 'type');
        if (t === 'DISTINCT_MODIFIER') add('distinct', reads, v);
        else if (t === 'LIMIT_MODIFIER' || t === 'LIMIT_PERCENT_MODIFIER') add('limit', reads, v);
        else if (t === 'ORDER_MODIFIER') add('order', reads, v);
      }
      joins(v.from_table ?? null);
    } else if (v.type === 'SET_OPERATION_NODE' && str(v, 'setop_type') !== 'UNION_BY_NAME') {
      // UNION (without ALL) de-duplicates; INTERSECT / EXCEPT compare whole inputs.
      const all = v.setop_all === true;
      if (!(str(v, 'setop_type') === 'UNION' && all)) {
        const reads = new Set<number>();
        relationInputs(v, reads);
        add(str(v, 'setop_type') === 'UNION' ? 'distinct' : 'set_operation', reads, v);
      }
    }
    for (const x of Object.values(v)) if (x !== null && typeof x === 'object') visit(x);
  };
  const joins = (rel: Json): void => {
    if (!isNode(rel)) return;
    if (rel.type === 'JOIN') {
      const left = new Set<number>();
      const right = new Set<number>();
      relationInputs(rel.left ?? null, left);
      relationInputs(rel.right ?? null, right);
      if (left.size > 0 && right.size > 0)
        add('join', new Set([...left, ...right]), rel, {
          sides: [[...left].sort((a, b) => a - b), [...right].sort((a, b) => a - b)],
          joinType: str(rel, 'join_type'),
        });
      joins(rel.left ?? null);
      joins(rel.right ?? null);
    }
  };
  visit(root);
  return out;
}
