/** Spark functions: aggregates. See `index.ts` for how rules work. */
import { type AstNode, conjunction, isNode, operatorNode } from '../ast.ts';
import { arity, type FunctionRule, renamed } from './rules.ts';

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

export const AGGREGATE_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  mean: 'avg',
  std: 'stddev',
  every: 'bool_and',
  some: 'bool_or',
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
  percentile_approx: (c) => {
    arity(c, 2, 3);
    return renamed(c, 'approx_quantile', c.args.slice(0, 2));
  },
  approx_percentile: (c) => {
    arity(c, 2, 3);
    return renamed(c, 'approx_quantile', c.args.slice(0, 2));
  },
  percentile: (c) => {
    arity(c, 2);
    return renamed(c, 'quantile_cont');
  },
  listagg: 'string_agg',
};
