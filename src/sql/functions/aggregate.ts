/**
 * Spark functions: aggregates. See `index.ts` for how rules work; regressions are in
 * `regression.ts`, percentiles in `percentile.ts`, the `try_` aggregates in `try-arithmetic.ts`.
 */
import { type AstNode, conjunction, constantText, isNode, operatorNode } from '../ast.ts';
import {
  aggregate,
  and,
  asDouble,
  cmp,
  double,
  fn,
  isNotNull,
  nul,
  op,
  reusable,
  text,
  when,
} from './expr.ts';
import { PERCENTILE_FUNCTIONS } from './percentile.ts';
import { REGRESSION_FUNCTIONS } from './regression.ts';
import { arity, type FunctionCall, type FunctionRule, renamed } from './rules.ts';
import { TRY_AGGREGATES } from './try-arithmetic.ts';

function withFilterNotNull(node: AstNode, x: AstNode, distinct: boolean): AstNode {
  const notNull = operatorNode('OPERATOR_IS_NOT_NULL', structuredClone(x));
  const filter = isNode(node.filter) ? conjunction('CONJUNCTION_AND', [node.filter, notNull]) : notNull;
  return {
    ...node,
    function_name: 'list',
    children: [x],
    distinct: distinct || node.distinct === true,
    filter,
  };
}

/** The literal boolean argument `i` (Spark's `ignoreNulls`), false when absent. */
export function ignoreNullsArgument(c: FunctionCall, i: number): boolean {
  if (c.args.length <= i) return false;
  const v = constantText(c.args[i]!);
  if (v !== 'true' && v !== 'false')
    c.unsupported(`the ignoreNulls argument of ${c.name}() must be true or false`);
  return v === 'true';
}

/**
 * Spark's first / first_value / any_value (one aggregate): the first value, NULL included unless
 * ignoreNulls. DuckDB's first keeps a leading NULL; its any_value skips NULLs.
 */
function first(c: FunctionCall): AstNode {
  arity(c, 1, 2);
  return renamed(c, ignoreNullsArgument(c, 1) ? 'any_value' : 'first', [c.args[0]!]);
}

/** Spark's last / last_value: the last value, NULL included unless ignoreNulls. */
function last(c: FunctionCall): AstNode {
  arity(c, 1, 2);
  if (!ignoreNullsArgument(c, 1)) return renamed(c, 'last', [c.args[0]!]);
  const x = c.args[0]!;
  const notNull = isNotNull(structuredClone(x));
  return {
    ...renamed(c, 'last', [x]),
    filter: isNode(c.node.filter) ? and(c.node.filter, notNull) : notNull,
  };
}

/**
 * Spark's listagg / string_agg(expr[, delimiter]): the non-NULL values joined by the delimiter,
 * which defaults to the empty string; NULL when there are none. WITHIN GROUP (ORDER BY …), as
 * DuckDB's aggregate ORDER BY, is kept.
 */
function listagg(c: FunctionCall): AstNode {
  arity(c, 1, 2);
  const sep = c.args[1];
  if (sep && sep.class === 'CONSTANT' && constantText(sep) === undefined)
    c.unsupported('a NULL delimiter is not supported');
  return renamed(c, 'string_agg', [c.args[0]!, sep ?? text('')]);
}

/**
 * Spark's skewness and kurtosis (population formulas, CentralMomentAgg): from the power sums of
 * the values as DOUBLE, n·m4/m2² - 3 and √n·m3/√(m2³); NULL without rows or when every value is
 * the same (m2 = 0).
 */
function moment(order: 3 | 4): FunctionRule {
  return (c) => {
    arity(c, 1);
    if (c.node.distinct === true) c.unsupported('DISTINCT is not supported');
    const x = reusable(c, asDouble(c.args[0]!));
    const pow = (k: number) => aggregate(c, 'sum', [k === 1 ? x() : fn('pow', x(), double(k))]);
    const n = () => asDouble(aggregate(c, 'count', [x()]));
    const mean = () => op('/', pow(1), n());
    // Central moments: m2 = Σx² - n·mean², m3 = Σx³ - 3·mean·Σx² + 2·n·mean³,
    // m4 = Σx⁴ - 4·mean·Σx³ + 6·mean²·Σx² - 3·n·mean⁴.
    const m2 = () => op('-', pow(2), op('*', pow(1), mean()));
    const value =
      order === 3
        ? op(
            '/',
            op(
              '*',
              fn('sqrt', n()),
              op(
                '+',
                op('-', pow(3), op('*', op('*', double(3), mean()), pow(2))),
                op('*', op('*', double(2), n()), fn('pow', mean(), double(3))),
              ),
            ),
            fn('sqrt', fn('pow', m2(), double(3))),
          )
        : op(
            '-',
            op(
              '/',
              op(
                '*',
                n(),
                op(
                  '-',
                  op(
                    '+',
                    op('-', pow(4), op('*', op('*', double(4), mean()), pow(3))),
                    op('*', op('*', double(6), fn('pow', mean(), double(2))), pow(2)),
                  ),
                  op('*', op('*', double(3), n()), fn('pow', mean(), double(4))),
                ),
              ),
              fn('pow', m2(), double(2)),
            ),
            double(3),
          );
    return when(
      [
        [cmp('=', n(), double(0)), nul()],
        [cmp('<=', m2(), double(0)), nul()],
      ],
      value,
    );
  };
}

/**
 * Spark's mode(col[, deterministic]) and mode() WITHIN GROUP (ORDER BY col [DESC]): the most
 * frequent value. Among equally frequent values Spark returns any one (DuckDB's choice is as
 * good), the lowest when deterministic, the first in the WITHIN GROUP order.
 */
function mode(c: FunctionCall): AstNode {
  const orders =
    isNode(c.node.order_bys) && Array.isArray(c.node.order_bys.orders) ? c.node.order_bys.orders : [];
  if (c.args.length === 0) {
    if (orders.length !== 1 || !isNode(orders[0]!) || !isNode(orders[0].expression))
      c.unsupported('mode() needs an argument or WITHIN GROUP (ORDER BY one column)');
    return renamed(c, 'mode', [structuredClone(orders[0].expression)]);
  }
  arity(c, 1, 2);
  if (orders.length > 0) c.unsupported('an argument together with WITHIN GROUP is not supported');
  const deterministic = ignoreNullsArgument(c, 1);
  const x = c.args[0]!;
  if (!deterministic) return renamed(c, 'mode', [x]);
  return {
    ...renamed(c, 'mode', [x]),
    order_bys: {
      type: 'ORDER_MODIFIER',
      orders: [{ type: 'ASCENDING', null_order: 'ORDER_DEFAULT', expression: structuredClone(x) }],
    },
  };
}

export const AGGREGATE_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  ...REGRESSION_FUNCTIONS,
  ...PERCENTILE_FUNCTIONS,
  ...TRY_AGGREGATES,
  mean: 'avg',
  std: 'stddev',
  every: 'bool_and',
  some: 'bool_or',
  any: 'bool_or',
  // DuckDB parses GROUPING_ID like GROUPING (it is not in duckdb_functions()).
  grouping_id: (c) => renamed(c, 'grouping_id'),
  collect_list: (c) => {
    arity(c, 1);
    return withFilterNotNull(c.node, c.args[0]!, false);
  },
  array_agg: (c) => {
    arity(c, 1);
    return withFilterNotNull(c.node, c.args[0]!, false);
  },
  collect_set: (c) => {
    arity(c, 1);
    return withFilterNotNull(c.node, c.args[0]!, true);
  },
  first,
  first_value: first,
  any_value: first,
  last,
  last_value: last,
  listagg,
  string_agg: listagg,
  skewness: moment(3),
  kurtosis: moment(4),
  mode,
};
