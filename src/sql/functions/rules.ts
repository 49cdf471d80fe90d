import { type AstNode, castNode, constantText, functionNode, stringConstant } from '../ast.ts';
import { javaDatePattern } from '../date-patterns.ts';

/**
 * What a function rule receives (a call with translated arguments), and the helpers rules of
 * every family share.
 *
 * Timestamps: Spark `TIMESTAMP` is an instant shown in the session time zone, so it maps to
 * DuckDB `TIMESTAMP WITH TIME ZONE`; sluice runs DuckDB with `TimeZone = 'UTC'` (Spark's
 * session zone for pipelines), and formatting/parsing functions follow that zone.
 */
export interface FunctionCall {
  /** Lower-cased Spark function name. */
  readonly name: string;
  /** The FUNCTION (or WINDOW) node as parsed. */
  readonly node: AstNode;
  /** Translated arguments. */
  readonly args: readonly AstNode[];
  /** Rejects this call with UNSUPPORTED_SPARK_FUNCTION (e.g. an argument form DuckDB lacks). */
  unsupported(reason: string): never;
  /**
   * The ANSI interval kind of a column reference the query text itself shows: a column of an
   * inline VALUES list whose every row holds an interval literal of that kind. Undefined when the
   * text does not show it (the column's type is only known when the query binds).
   */
  readonly valuesIntervalKind?: (x: AstNode) => 'ym' | 'dt' | undefined;
  /**
   * ANSI mode is off (`spark.sql.ansi.enabled = false`): Spark's non-ANSI results — NULL where
   * ANSI mode raises for malformed text, a zero divisor or an index out of range.
   */
  readonly legacy?: boolean;
}

export type FunctionRule = string | ((call: FunctionCall) => AstNode);

export const TZ = 'TIMESTAMP WITH TIME ZONE';

export function call(name: string, ...args: AstNode[]): AstNode {
  return functionNode(name, args);
}

export function renamed(c: FunctionCall, to: string, args: readonly AstNode[] = c.args): AstNode {
  return { ...c.node, function_name: to, schema: '', children: [...args] };
}

export function arity(c: FunctionCall, min: number, max = min): void {
  if (c.args.length < min || c.args.length > max) {
    const want = min === max ? `${min}` : `${min} to ${max}`;
    c.unsupported(`${c.name}() takes ${want} argument(s), got ${c.args.length}`);
  }
}

export function constant(c: FunctionCall, i: number, what: string): string {
  const v = constantText(c.args[i]!);
  if (v === undefined) c.unsupported(`the ${what} argument of ${c.name}() must be a literal`);
  return v;
}

/** A date-time unit written as a bare word (`MINUTE`, parsed as a column) or a string. */
export function unitOf(c: FunctionCall, i: number): string {
  const a = c.args[i]!;
  const word =
    a.class === 'COLUMN_REF' && Array.isArray(a.column_names) && a.column_names.length === 1
      ? String(a.column_names[0])
      : constantText(a);
  const unit = word === undefined ? undefined : UNITS[word.toUpperCase().replace(/^SQL_TSI_/, '')];
  if (!unit) c.unsupported(`unknown date-time unit ${word === undefined ? '(expression)' : `'${word}'`}`);
  return unit;
}

export const UNITS: Record<string, string> = {
  MICROSECOND: 'microsecond',
  MICROSECONDS: 'microsecond',
  MILLISECOND: 'millisecond',
  MILLISECONDS: 'millisecond',
  SECOND: 'second',
  SECONDS: 'second',
  MINUTE: 'minute',
  MINUTES: 'minute',
  HOUR: 'hour',
  HOURS: 'hour',
  DAY: 'day',
  DAYS: 'day',
  DD: 'day',
  WEEK: 'week',
  WEEKS: 'week',
  MONTH: 'month',
  MONTHS: 'month',
  MM: 'month',
  MON: 'month',
  QUARTER: 'quarter',
  QUARTERS: 'quarter',
  YEAR: 'year',
  YEARS: 'year',
  YYYY: 'year',
  YY: 'year',
};

export function pattern(c: FunctionCall, i: number, mode: 'format' | 'parse'): AstNode {
  const p = constant(c, i, 'pattern');
  const converted = javaDatePattern(p, mode);
  if (converted === undefined) c.unsupported(`date pattern '${p}' has a letter sluice cannot translate`);
  return stringConstant(converted);
}

export const asTimestamp = (x: AstNode) => castNode(x, TZ);

/** Spark's implicit string/timestamp → date conversion (drops any time part). */
export const asDate = (x: AstNode) => castNode(castNode(x, 'TIMESTAMP', true), 'DATE');
