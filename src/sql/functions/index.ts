/**
 * THE table of Spark SQL functions sluice understands, keyed by lower-cased Spark name, put
 * together from one module per family. A rule is either the DuckDB function name to call with
 * the same arguments (same name = same semantics, a pass-through), or a rewrite producing a
 * DuckDB expression from the call (whose arguments are already translated). A function that is
 * not here is rejected with UNSUPPORTED_SPARK_FUNCTION. To support another function, add one
 * entry to its family's module (or a name to `pass-through.ts`).
 */
import { type AstNode, str } from '../ast.ts';
import { AGGREGATE_FUNCTIONS } from './aggregate.ts';
import { ARRAY_FUNCTIONS } from './array.ts';
import { BINARY_FUNCTIONS } from './binary.ts';
import { BITWISE_FUNCTIONS } from './bitwise.ts';
import { COLLECTION_FUNCTIONS } from './collection.ts';
import { CONDITIONAL_FUNCTIONS } from './conditional.ts';
import { CONVERSION_FUNCTIONS } from './conversion.ts';
import { DATETIME_FUNCTIONS } from './datetime.ts';
import { EVENT_TIME_FUNCTIONS } from './event-time.ts';
import { GENERATOR_FUNCTIONS } from './generator.ts';
import { HASH_FUNCTIONS } from './hash.ts';
import { JSON_FUNCTIONS } from './json.ts';
import { LAMBDA_FUNCTIONS } from './lambda.ts';
import { MAP_FUNCTIONS } from './map.ts';
import { MATH_FUNCTIONS } from './math.ts';
import { MISC_FUNCTIONS } from './misc.ts';
import { PARSER_GENERATED, PASS_THROUGH } from './pass-through.ts';
import { REGEXP_FUNCTIONS } from './regexp.ts';
import { type FunctionCall, type FunctionRule, renamed } from './rules.ts';
import { STRING_FUNCTIONS } from './string.ts';
import { URL_FUNCTIONS } from './url.ts';
import { WINDOW_FUNCTIONS, type WindowRule, windowRule } from './window.ts';

export type { FunctionCall, FunctionRule, WindowRule };
export { PARSER_GENERATED };

export const SPARK_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  ...Object.fromEntries(PASS_THROUGH.map((n) => [n, n])),
  ...CONDITIONAL_FUNCTIONS,
  ...MATH_FUNCTIONS,
  ...STRING_FUNCTIONS,
  ...REGEXP_FUNCTIONS,
  ...BINARY_FUNCTIONS,
  ...HASH_FUNCTIONS,
  ...BITWISE_FUNCTIONS,
  ...URL_FUNCTIONS,
  ...JSON_FUNCTIONS,
  ...CONVERSION_FUNCTIONS,
  ...DATETIME_FUNCTIONS,
  ...AGGREGATE_FUNCTIONS,
  ...COLLECTION_FUNCTIONS,
  ...ARRAY_FUNCTIONS,
  ...MAP_FUNCTIONS,
  ...LAMBDA_FUNCTIONS,
  ...GENERATOR_FUNCTIONS,
  ...MISC_FUNCTIONS,
  ...WINDOW_FUNCTIONS,
  ...EVENT_TIME_FUNCTIONS,
};

/** The rule for a Spark function name (case-insensitive), or undefined when unsupported. */
export function sparkFunctionRule(name: string): FunctionRule | undefined {
  const key = name.toLowerCase();
  return Object.hasOwn(SPARK_FUNCTIONS, key) ? SPARK_FUNCTIONS[key] : undefined;
}

/** The rule for a Spark function called with OVER (…) (lower-cased name), if it has its own. */
export function sparkWindowRule(name: string): WindowRule | undefined {
  return windowRule(name);
}

/** Applies `rule` to a call; string rules rename the function and keep its arguments. */
export function applyRule(rule: FunctionRule, c: FunctionCall): AstNode {
  if (typeof rule === 'string') {
    return str(c.node, 'function_name') === rule && c.node.children === c.args ? c.node : renamed(c, rule);
  }
  return rule(c);
}
