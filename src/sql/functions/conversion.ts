/**
 * Spark functions: conversions. The type-name functions (`int(x)`, `string(x)`, `decimal(x)`, …)
 * are Spark's `CAST(x AS type)` under another name, with the same results and errors (ANSI mode on or off);
 * they are translated by the cast translation (`../casts.ts`). See `index.ts` for how rules work.
 */
import { type CastTarget, sparkCast } from '../casts.ts';
import { arity, type FunctionRule } from './rules.ts';

function castFn(target: CastTarget): FunctionRule {
  return (c) => {
    arity(c, 1);
    return sparkCast(c.args[0]!, target, { legacy: c.legacy === true });
  };
}

export const CONVERSION_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  string: castFn({ kind: 'string' }),
  boolean: castFn({ kind: 'boolean' }),
  tinyint: castFn({ kind: 'integral', type: 'TINYINT' }),
  smallint: castFn({ kind: 'integral', type: 'SMALLINT' }),
  int: castFn({ kind: 'integral', type: 'INTEGER' }),
  bigint: castFn({ kind: 'integral', type: 'BIGINT' }),
  float: castFn({ kind: 'fractional', type: 'FLOAT' }),
  double: castFn({ kind: 'fractional', type: 'DOUBLE' }),
  // Spark's DECIMAL without precision and scale is DECIMAL(10,0).
  decimal: castFn({ kind: 'decimal', precision: 10, scale: 0 }),
  date: castFn({ kind: 'date' }),
  timestamp: castFn({ kind: 'timestamp' }),
  binary: castFn({ kind: 'binary' }),
};
