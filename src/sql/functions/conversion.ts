/** Spark functions: conversions (Spark type-name functions). See `index.ts` for how rules work. */
import { castNode } from '../ast.ts';
import { arity, type FunctionRule, TZ } from './rules.ts';

function castFn(type: string): FunctionRule {
  return (c) => {
    arity(c, 1);
    return castNode(c.args[0]!, type);
  };
}

export const CONVERSION_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  string: castFn('VARCHAR'),
  int: castFn('INTEGER'),
  bigint: castFn('BIGINT'),
  smallint: castFn('SMALLINT'),
  tinyint: castFn('TINYINT'),
  double: castFn('DOUBLE'),
  float: castFn('FLOAT'),
  boolean: castFn('BOOLEAN'),
  date: castFn('DATE'),
  timestamp: castFn(TZ),
};
