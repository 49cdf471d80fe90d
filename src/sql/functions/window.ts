/**
 * Spark functions called with OVER (…): rules for the WINDOW node DuckDB parses them into. A name
 * without a rule here keeps the plain function table's rule when that is a rename; an aggregate
 * whose translation is a compound expression (skewness, regr_r2, …) is refused as a window
 * function.
 */
import { type AstNode, constantText } from '../ast.ts';
import { asDouble, double, text } from './expr.ts';
import { arity, type FunctionCall, type FunctionRule } from './rules.ts';

/** A rule for a WINDOW node; `c.node` is the WINDOW node, `c.args` its translated arguments. */
export type WindowRule = (c: FunctionCall) => AstNode;

/** The literal boolean argument `i` (Spark's ignoreNulls), false when absent. */
function ignoreNulls(c: FunctionCall, i: number): boolean {
  if (c.args.length <= i) return false;
  const v = constantText(c.args[i]!);
  if (v !== 'true' && v !== 'false')
    c.unsupported(`the ignoreNulls argument of ${c.name}() must be true or false`);
  return v === 'true';
}

/** The WINDOW node as DuckDB function `name` of `type` with `args`. */
function windowCall(
  c: FunctionCall,
  name: string,
  type: string,
  args: AstNode[],
  extra: AstNode = {},
): AstNode {
  return { ...c.node, function_name: name, type, children: args, ...extra };
}

/** rank(b) / dense_rank(b) / percent_rank(b): Spark takes (and ignores) arguments; DuckDB takes none. */
const ranking =
  (name: string, type: string): WindowRule =>
  (c) =>
    windowCall(c, name, type, []);

/** first / first_value / any_value (x[, ignoreNulls]) over a window: first_value, optionally IGNORE NULLS. */
function firstOrLast(which: 'first' | 'last'): WindowRule {
  return (c) => {
    arity(c, 1, 2);
    const ignore = c.node.ignore_nulls === true || ignoreNulls(c, 1);
    return windowCall(
      c,
      `${which}_value`,
      which === 'first' ? 'WINDOW_FIRST_VALUE' : 'WINDOW_LAST_VALUE',
      [c.args[0]!],
      { ignore_nulls: ignore },
    );
  };
}

/** listagg / string_agg over a window: DuckDB's string_agg, the delimiter defaulting to ''. */
function listagg(c: FunctionCall): AstNode {
  arity(c, 1, 2);
  return windowCall(c, 'string_agg', 'WINDOW_AGGREGATE', [c.args[0]!, c.args[1] ?? text('')]);
}

export const WINDOW_RULES: Readonly<Record<string, WindowRule>> = {
  rank: ranking('rank', 'WINDOW_RANK'),
  dense_rank: ranking('dense_rank', 'WINDOW_RANK_DENSE'),
  percent_rank: ranking('percent_rank', 'WINDOW_PERCENT_RANK'),
  first: firstOrLast('first'),
  first_value: firstOrLast('first'),
  any_value: firstOrLast('first'),
  last: firstOrLast('last'),
  last_value: firstOrLast('last'),
  nth_value: (c) => {
    arity(c, 2, 3);
    const ignore = c.node.ignore_nulls === true || ignoreNulls(c, 2);
    return windowCall(c, 'nth_value', 'WINDOW_NTH_VALUE', [c.args[0]!, c.args[1]!], { ignore_nulls: ignore });
  },
  median: (c) => {
    arity(c, 1);
    return windowCall(c, 'quantile_cont', 'WINDOW_AGGREGATE', [asDouble(c.args[0]!), double(0.5)]);
  },
  listagg: (c) => listagg(c),
  string_agg: (c) => listagg(c),
};

/** Rules of the plain function table that only rename (kept for window calls too). */
export const WINDOW_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {};

/** The window rule for a lower-cased Spark name, if it has one. */
export function windowRule(name: string): WindowRule | undefined {
  return Object.hasOwn(WINDOW_RULES, name) ? WINDOW_RULES[name] : undefined;
}
