/** Spark functions: null handling and conditionals. See `index.ts` for how rules work. */
import { type AstNode, caseNode, comparison, functionNode, integerConstant, operatorNode } from '../ast.ts';
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
  /** equal_null(a, b): `a <=> b`, NULL equal to NULL. */
  equal_null: (c) => {
    arity(c, 2);
    return comparison('COMPARE_NOT_DISTINCT_FROM', c.args[0]!, c.args[1]!);
  },
  /** nullifzero(x): NULL for 0, else x. */
  nullifzero: (c) => {
    arity(c, 1);
    return functionNode('nullif', [c.args[0]!, integerConstant(0)]);
  },
  /** zeroifnull(x): 0 for NULL, else x (Spark's coalesce(x, 0)). */
  zeroifnull: (c) => {
    arity(c, 1);
    return { ...coalesce({ ...c, args: [c.args[0]!, integerConstant(0)] }) };
  },
  /** nanvl(a, b): b when a is NaN, else a (NULL stays NULL). */
  nanvl: (c) => {
    arity(c, 2);
    return caseNode(
      [{ when: functionNode('isnan', [c.args[0]!]), result: c.args[1]! }],
      structuredClone(c.args[0]!),
    );
  },
};
