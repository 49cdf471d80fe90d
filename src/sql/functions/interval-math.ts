/**
 * Spark's math on ANSI intervals whose kind the call site shows (`INTERVAL '1' YEAR`,
 * `make_ym_interval(…)`, sums of them; see `intervalKind`). DuckDB has one INTERVAL type of
 * months, days and microseconds and no abs, sign or division of it; Spark has a year-month
 * interval (a count of months) and a day-time interval (a count of microseconds), so these
 * functions work on that count:
 *
 * - `abs(i)`: the interval of the count's absolute value;
 * - `sign(i)` / `signum(i)`: the count's sign as DOUBLE (-1.0, 0.0, 1.0);
 * - `width_bucket(i, lo, hi, n)` over intervals of one kind: the bucket of the counts;
 * - `try_add(d, i)` / `try_subtract(d, i)` of a DATE and a year-month interval: the DATE months
 *   later (earlier), the day clamped to the month's last (DuckDB's and Spark's `add_months`);
 * - `try_divide(i, n)` of a year-month interval by an integer: months / n rounded half up, NULL
 *   for n = 0.
 *
 * Undefined (the caller's general translation applies) when the form does not show the kind.
 */
import type { AstNode } from '../ast.ts';
import { intervalKind, intervalParts } from './datetime-fields.ts';
import { MICROS_PER_DAY, staticKind } from './datetime-sql.ts';
import { asDouble, cast, cmp, fn, int, nul, op, reusable, staticType, text, when } from './expr.ts';
import type { FunctionCall } from './rules.ts';

/** Microseconds in a day, as BIGINT (an integer constant this large must not be typed INTEGER). */
const day = (): AstNode => cast(text(String(MICROS_PER_DAY)), 'BIGINT');

/** Spark's count of an ANSI interval of a known kind: months, or microseconds (BIGINT). */
function intervalCount(x: AstNode): { kind: 'ym' | 'dt'; count: AstNode } | undefined {
  const kind = intervalKind(x);
  if (kind !== 'ym' && kind !== 'dt') return undefined;
  const { months, days, micros } = intervalParts(x);
  const count = kind === 'ym' ? months : op('+', op('*', days, day()), micros);
  return { kind, count: cast(count, 'BIGINT') };
}

/** The interval of `kind` whose count is `n` (BIGINT). */
function intervalOf(kind: 'ym' | 'dt', n: () => AstNode): AstNode {
  if (kind === 'ym') return fn('to_months', cast(n(), 'INTEGER'));
  // Whole days apart from the rest, as Spark's day-time literals are written.
  return op(
    '+',
    fn('to_days', cast(op('//', n(), day()), 'INTEGER')),
    fn('to_microseconds', op('%', n(), day())),
  );
}

/** `abs(i)` of an interval of a known kind. */
export function intervalAbs(c: FunctionCall): AstNode | undefined {
  const x = c.args.length === 1 ? intervalCount(c.args[0]!) : undefined;
  if (!x) return undefined;
  const n = reusable(c, fn('abs', x.count));
  return intervalOf(x.kind, n);
}

/** `sign(i)` / `signum(i)` of an interval of a known kind. */
export function intervalSign(c: FunctionCall): AstNode | undefined {
  const x = c.args.length === 1 ? intervalCount(c.args[0]!) : undefined;
  return x ? asDouble(fn('sign', x.count)) : undefined;
}

/** The value, bounds of `width_bucket` as their counts, when all three are intervals of one kind. */
export function intervalBucketArgs(c: FunctionCall): AstNode[] | undefined {
  if (c.args.length !== 4) return undefined;
  const counts = c.args.slice(0, 3).map(intervalCount);
  const kind = counts[0]?.kind;
  if (!kind || counts.some((x) => x?.kind !== kind)) return undefined;
  return [...counts.map((x) => x!.count), c.args[3]!];
}

/** `try_add(d, i)` / `try_subtract(d, i)` of a DATE and a year-month interval. */
export function dateMonths(c: FunctionCall, symbol: '+' | '-'): AstNode | undefined {
  const [d, i] = c.args;
  if (c.args.length !== 2 || staticKind(d!) !== 'date' || intervalKind(i!) !== 'ym') return undefined;
  return cast(op(symbol, d!, i!), 'DATE');
}

/** `try_divide(i, n)` of a year-month interval by an integer. */
export function divideMonths(c: FunctionCall): AstNode | undefined {
  const [i, n] = c.args;
  if (c.args.length !== 2 || intervalKind(i!) !== 'ym' || staticType(n!)?.kind !== 'integral')
    return undefined;
  const months = intervalCount(i!)!.count;
  const divisor = reusable(c, cast(n!, 'BIGINT'));
  // Half up: away from zero at .5, which DuckDB's round does (months < 2^31: the quotient is exact enough).
  const quotient = () => fn('round', op('/', asDouble(months), asDouble(divisor())));
  return when([[cmp('=', divisor(), int(0)), nul()]], intervalOf('ym', quotient));
}
