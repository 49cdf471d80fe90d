/**
 * Spark's interval constructors. DuckDB has one INTERVAL (months, days, microseconds); Spark has
 * year-month intervals (months), day-time intervals (microseconds) and the legacy calendar
 * interval (all three). Each constructor builds the DuckDB interval from DuckDB's `to_months` /
 * `to_days` / `to_microseconds`, whose form `extract` reads to know the Spark kind back
 * (`datetime-fields.ts`). Overflow raises as Spark's exact arithmetic does (INT for months and
 * days, BIGINT for microseconds); the `try_` form gives NULL instead.
 */
import type { AstNode } from '../ast.ts';
import { toDecimal, toInt } from './datetime-coerce.ts';
import {
  big,
  cast,
  fn,
  int,
  MICROS_PER_DAY,
  MICROS_PER_HOUR,
  MICROS_PER_MINUTE,
  op,
} from './datetime-sql.ts';
import { arity, type FunctionCall, type FunctionRule } from './rules.ts';
import { tryRule } from './timestamps.ts';

/** Argument `i` as INT, 0 when absent. */
function intOr0(c: FunctionCall, i: number): AstNode {
  const a = c.args[i];
  return a === undefined ? int(0) : toInt(c, a);
}

/** Seconds argument `i` (DECIMAL(18,6)) as BIGINT microseconds, 0 when absent. */
function secondsMicros(c: FunctionCall, i: number): AstNode {
  const a = c.args[i];
  if (a === undefined) return big(0);
  return cast(op('*', toDecimal(c, a, 'DECIMAL(18,6)'), big(1_000_000)), 'BIGINT');
}

/** `a * k` in the 64-bit arithmetic that raises on overflow. */
const times = (a: AstNode, k: number) => op('*', cast(a, 'BIGINT'), big(k));

/** `make_ym_interval([years[, months]])`: months = years × 12 + months (INT). */
function makeYmInterval(c: FunctionCall): AstNode {
  arity(c, 0, 2);
  return fn('to_months', op('+', op('*', intOr0(c, 0), int(12)), intOr0(c, 1)));
}

/** `make_dt_interval([days[, hours[, mins[, secs]]]])`: one count of microseconds (BIGINT). */
function makeDtInterval(c: FunctionCall): AstNode {
  arity(c, 0, 4);
  const total = op(
    '+',
    op(
      '+',
      op('+', secondsMicros(c, 3), times(intOr0(c, 0), MICROS_PER_DAY)),
      times(intOr0(c, 1), MICROS_PER_HOUR),
    ),
    times(intOr0(c, 2), MICROS_PER_MINUTE),
  );
  return fn('to_microseconds', total);
}

/** `make_interval([years[, months[, weeks[, days[, hours[, mins[, secs]]]]]]])`: a calendar interval. */
function makeInterval(c: FunctionCall): AstNode {
  arity(c, 0, 7);
  const months = op('+', op('*', intOr0(c, 0), int(12)), intOr0(c, 1));
  const days = op('+', op('*', intOr0(c, 2), int(7)), intOr0(c, 3));
  const micros = op(
    '+',
    op('+', secondsMicros(c, 6), times(intOr0(c, 4), MICROS_PER_HOUR)),
    times(intOr0(c, 5), MICROS_PER_MINUTE),
  );
  return op('+', op('+', fn('to_months', months), fn('to_days', days)), fn('to_microseconds', micros));
}

export const INTERVAL_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  make_ym_interval: makeYmInterval,
  make_dt_interval: makeDtInterval,
  make_interval: makeInterval,
  try_make_interval: tryRule(makeInterval, 'INTERVAL'),
};
