/** Spark functions: null handling and conditionals. See `index.ts` for how rules work. */
import { type AstNode, caseNode, comparison, operatorNode } from '../ast.ts';
import { arity, type FunctionCall, type FunctionRule } from './rules.ts';

/** DuckDB parses COALESCE as an operator, and only accepts it back in that form. */
function coalesce(c: FunctionCall): AstNode {
  if (c.args.length === 0) c.unsupported(`${c.name}() needs arguments`);
  return {
    class: 'OPERATOR',
    type: 'OPERATOR_COALESCE',
    alias: '',
    query_location: null,
    children: [...c.args],
  };
}

export const CONDITIONAL_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  nvl: (c) => coalesce(c),
  ifnull: (c) => coalesce(c),
  nvl2: (c) => {
    arity(c, 3);
    return caseNode(
      [{ when: operatorNode('OPERATOR_IS_NOT_NULL', c.args[0]!), result: c.args[1]! }],
      c.args[2]!,
    );
  },
  iff: (c) => {
    arity(c, 3);
    return caseNode([{ when: c.args[0]!, result: c.args[1]! }], c.args[2]!);
  },
  isnull: (c) => {
    arity(c, 1);
    return operatorNode('OPERATOR_IS_NULL', c.args[0]!);
  },
  isnotnull: (c) => {
    arity(c, 1);
    return operatorNode('OPERATOR_IS_NOT_NULL', c.args[0]!);
  },
  '<=>': (c) => comparison('COMPARE_NOT_DISTINCT_FROM', c.args[0]!, c.args[1]!),
};
