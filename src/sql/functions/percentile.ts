/**
 * Spark's percentile aggregates. See `index.ts` for how rules work.
 *
 * - `percentile(col, p)`, `median(col)`, `percentile_cont(p) WITHIN GROUP (ORDER BY col)`: the
 *   exact percentile interpolated between the two nearest values — DuckDB's quantile_cont over
 *   the values as DOUBLE (Spark's result type).
 * - `percentile_disc(p) WITHIN GROUP (ORDER BY col)`: the first value whose cumulative
 *   distribution reaches p — DuckDB's quantile_disc, as DOUBLE.
 * - `percentile_approx` / `approx_percentile(col, p[, accuracy])`: Spark's Greenwald-Khanna
 *   summary returns the value of rank ⌈p·n⌉ (the type of col) exactly while n < accuracy / 2
 *   (10000 by default), which is DuckDB's quantile_disc; above that Spark's answer is an
 *   approximation within n / accuracy ranks that depends on how the rows were partitioned, and
 *   sluice's (the exact one) is within the same bound.
 *
 * DESC in WITHIN GROUP reads the values from the largest: the percentile of the negated values,
 * negated. DuckDB parses `percentile_cont(p) WITHIN GROUP (ORDER BY x)` into
 * `quantile_cont(p ORDER BY x)` (keeping the name with DESC), hence both names here; the
 * quantile names are not Spark functions and are accepted only in that form.
 */
import { type AstNode, isNode, nodes, str } from '../ast.ts';
import { intervalKind } from './datetime-fields.ts';
import { aggregateProbe, asDouble, double, fn, literalNumber, NUMERIC, op, typeGuard } from './expr.ts';
import { arity, type FunctionCall, type FunctionRule, renamed } from './rules.ts';

/**
 * The percentage argument, checked like Spark (a literal in [0, 1] or an array literal of them)
 * and rebuilt as DOUBLE constants: DuckDB's quantiles take constants only.
 */
function percentages(c: FunctionCall, p: AstNode): AstNode {
  const array =
    p.class === 'FUNCTION' && ['list_value', 'array_value', 'array'].includes(str(p, 'function_name'));
  const values = (array ? nodes(p, 'children') : [p]).map((item) => {
    const v = literalNumber(item);
    if (v === undefined)
      c.unsupported(`the percentage of ${c.name}() must be a literal (or an array of literals)`);
    if (v < 0 || v > 1) c.unsupported(`the percentage of ${c.name}() must be between 0.0 and 1.0, got ${v}`);
    return double(v);
  });
  return array ? fn('list_value', ...values) : values[0]!;
}

function percentile(c: FunctionCall): AstNode {
  arity(c, 2, 3);
  if (c.args.length === 3 && literalNumber(c.args[2]!) !== 1)
    c.unsupported('a frequency argument is not supported');
  const p = percentages(c, c.args[1]!);
  return numbersOnly(c, c.args[0]!, renamed(c, 'quantile_cont', [asDouble(c.args[0]!), p]));
}

/**
 * `body`, failing the query for an argument that is not a number (Spark: also ANSI intervals,
 * whose percentile is an interval; refused when the query compiles where its text shows one).
 */
function numbersOnly(c: FunctionCall, x: AstNode, body: AstNode): AstNode {
  if ((intervalKind(x) ?? c.valuesIntervalKind?.(x)) !== undefined)
    c.unsupported(`${c.name}() of an INTERVAL is not supported`);
  return typeGuard(
    aggregateProbe(x),
    [...NUMERIC, 'VARCHAR'],
    `${c.name}() of an INTERVAL (or another non-numeric type) is not supported`,
    body,
  );
}

function approxPercentile(c: FunctionCall): AstNode {
  arity(c, 2, 3);
  if (c.node.distinct === true) c.unsupported('DISTINCT is not supported');
  const p = percentages(c, c.args[1]!);
  if (c.args.length === 3) {
    const accuracy = literalNumber(c.args[2]!);
    if (accuracy === undefined || !Number.isInteger(accuracy) || accuracy <= 0)
      c.unsupported(`the accuracy of ${c.name}() must be a positive integer literal`);
  }
  return renamed(c, 'quantile_disc', [c.args[0]!, p]);
}

/** `quantile_cont(p ORDER BY col)` as DuckDB parses Spark's `percentile_cont(p) WITHIN GROUP (…)`. */
function withinGroup(kind: 'cont' | 'disc'): FunctionRule {
  return (c) => {
    const orders =
      isNode(c.node.order_bys) && Array.isArray(c.node.order_bys.orders) ? c.node.order_bys.orders : [];
    const order = orders[0];
    const by = isNode(order) && isNode(order.expression) ? order.expression : undefined;
    if (c.args.length !== 1 || orders.length !== 1 || !by || !isNode(order))
      return c.unsupported(
        `percentile_${kind}(p) WITHIN GROUP (ORDER BY one column) is the only supported form`,
      );
    const p = percentages(c, c.args[0]!);
    const x = asDouble(structuredClone(by));
    const base = { ...c.node, order_bys: { type: 'ORDER_MODIFIER', orders: [] } };
    const call = (arg: AstNode) =>
      renamed({ ...c, node: base }, `quantile_${kind}`, [arg, structuredClone(p)]);
    const body = str(order, 'type') === 'DESCENDING' ? op('-', call(op('-', x))) : call(x);
    return numbersOnly(c, by, body);
  };
}

export const PERCENTILE_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  percentile,
  median: (c) => {
    arity(c, 1);
    return numbersOnly(c, c.args[0]!, renamed(c, 'quantile_cont', [asDouble(c.args[0]!), double(0.5)]));
  },
  percentile_approx: approxPercentile,
  approx_percentile: approxPercentile,
  quantile_cont: withinGroup('cont'),
  quantile_disc: withinGroup('disc'),
  percentile_cont: withinGroup('cont'),
  percentile_disc: withinGroup('disc'),
};
