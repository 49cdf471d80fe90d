/**
 * Spark functions: ceil / floor / round / bround, whose result type depends on the argument's.
 *
 * Spark: `ceil(x)` / `floor(x)` are BIGINT for an integer or DOUBLE argument and DECIMAL(p-s+1, 0)
 * for a DECIMAL(p, s); with a scale, `ceil(x, d)` casts x to a DECIMAL and rounds it to d places
 * (DECIMAL(p-s+1+min(s,d), min(s,d)), or DECIMAL(max(p-s+1, 1-d), 0) for d < 0); `round` and
 * `bround` keep the argument's type, a DECIMAL with the scale reduced the same way.
 *
 * When the call shows the argument's type (a literal, a CAST) the translation is exact, type
 * included. Otherwise: `ceil(x)` / `floor(x)` accept integer, DOUBLE and string arguments and fail
 * the query for a DECIMAL (whose result type sluice cannot name); `round(x, d)` is DuckDB's
 * round, whose values are Spark's for integers and decimals (a decimal keeps DuckDB's precision).
 *
 * A DOUBLE or FLOAT is rounded by Spark as its decimal form (`BigDecimal(Double.toString(x))`,
 * HALF_UP or HALF_EVEN), where DuckDB rounds the binary value: `round(1.005, 2)` is 1.01 in Spark,
 * 1.0 in DuckDB. When the call shows the type (a CAST, a literal) sluice rounds the decimal form
 * exactly as Spark; otherwise DuckDB's result is kept only where it equals Spark's, and a value
 * where they differ fails the query with a code saying to CAST the argument (the result type of
 * an expression that must also serve integers and decimals cannot be DOUBLE).
 * `bround(x, d)` of an unseen type accepts DOUBLE only.
 */
import type { AstNode } from '../ast.ts';
import { raise } from './build.ts';
import {
  and,
  asDouble,
  cast,
  castDecimal,
  cmp,
  double,
  FRACTIONAL,
  fail,
  fn,
  INTEGRAL,
  int,
  literalNumber,
  not,
  op,
  or,
  reusable,
  type StaticType,
  staticType,
  text,
  typeGuard,
  typeIs,
  when,
} from './expr.ts';
import { arity, type FunctionCall, type FunctionRule } from './rules.ts';

const MAX_PRECISION = 38;
type Direction = 'ceil' | 'floor';

/** The scale argument `i` of `c`: an integer literal (Spark requires a constant). */
function scaleArgument(c: FunctionCall, i: number): number {
  if (c.args.length <= i) return 0;
  const d = literalNumber(c.args[i]!);
  if (d === undefined || !Number.isInteger(d))
    c.unsupported(`the scale argument of ${c.name}() must be an integer literal`);
  return d;
}

/** A decimal literal 10^-d (d > 0) or integer 10^-d (d ≤ 0): one unit of the last kept digit. */
function unit(d: number): AstNode {
  if (d <= 0) return castDecimal(text(`1${'0'.repeat(-d)}`), 1 - d, 0);
  return castDecimal(text(`0.${'0'.repeat(d - 1)}1`), d, d);
}

/** The type Spark gives a DECIMAL(p, s) rounded to d places (RoundBase). */
function roundedDecimal(p: number, s: number, d: number): { precision: number; scale: number } {
  const integral = p - s + 1;
  if (d < 0) return { precision: Math.min(Math.max(integral, 1 - d), MAX_PRECISION), scale: 0 };
  const scale = Math.min(s, d);
  return { precision: Math.min(integral + scale, MAX_PRECISION), scale };
}

/** x (a DECIMAL) rounded up/down to d places: DuckDB's HALF_UP round, moved by one unit when on the wrong side. */
function decimalCeilFloor(x: () => AstNode, d: number, dir: Direction): AstNode {
  const r = () => fn('round', x(), int(d));
  return dir === 'ceil'
    ? when([[cmp('<', r(), x()), op('+', r(), unit(d))]], r())
    : when([[cmp('>', r(), x()), op('-', r(), unit(d))]], r());
}

/** x (an integer or DECIMAL) rounded HALF_EVEN to d places: HALF_UP, moved back one unit on an odd tie. */
function halfEven(x: () => AstNode, d: number): AstNode {
  const r = () => fn('round', x(), int(d));
  const tie = cmp('=', op('*', fn('abs', op('-', x(), r())), int(2)), unit(d));
  const odd = cmp('<>', op('%', r(), op('*', unit(d), int(2))), int(0));
  return when([[and(tie, odd), op('-', r(), op('*', fn('sign', x()), unit(d)))]], r());
}

const INTEGRAL_DECIMAL_PRECISION = { TINYINT: 3, SMALLINT: 5, INTEGER: 10, BIGINT: 20, HUGEINT: 38 } as const;

/** Spark's implicit cast of a number to DECIMAL (DecimalType.forType). */
function asSparkDecimal(t: StaticType): { precision: number; scale: number } | undefined {
  switch (t.kind) {
    case 'decimal':
      return { precision: t.precision, scale: t.scale };
    case 'integral':
      return { precision: INTEGRAL_DECIMAL_PRECISION[t.name], scale: 0 };
    case 'fractional':
      return t.name === 'DOUBLE' ? { precision: 30, scale: 15 } : { precision: 14, scale: 7 };
    default:
      return undefined;
  }
}

function ceilFloor(dir: Direction): FunctionRule {
  return (c) => {
    arity(c, 1, 2);
    const x = c.args[0]!;
    const t = staticType(x);
    if (c.args.length === 2) {
      const d = scaleArgument(c, 1);
      const dec = t && asSparkDecimal(t);
      if (!dec)
        return c.unsupported(
          `${c.name}(x, scale) needs the type of x to be visible: write CAST(x AS DECIMAL(p, s)) or CAST(x AS DOUBLE)`,
        );
      const out = roundedDecimal(dec.precision, dec.scale, d);
      const v = reusable(c, castDecimal(x, dec.precision, dec.scale));
      return castDecimal(decimalCeilFloor(v, d, dir), out.precision, out.scale);
    }
    if (t?.kind === 'decimal') {
      if (t.scale === 0) return castDecimal(x, t.precision, 0);
      return castDecimal(
        fn(dir, castDecimal(x, t.precision, t.scale)),
        Math.min(t.precision - t.scale + 1, MAX_PRECISION),
        0,
      );
    }
    if (t?.kind === 'integral') return cast(x, 'BIGINT');
    if (t?.kind === 'fractional' || (t?.kind === 'other' && t.name === 'VARCHAR'))
      return cast(fn(dir, asDouble(x)), 'BIGINT');
    if (t?.kind === 'other' && t.name === 'NULL') return cast(x, 'BIGINT');
    const integral = fn(
      'regexp_full_match',
      fn('typeof', structuredClone(x)),
      text(`^(${INTEGRAL.join('|')})$`),
    );
    const body = when([[integral, cast(structuredClone(x), 'BIGINT')]], cast(fn(dir, asDouble(x)), 'BIGINT'));
    return typeGuard(
      x,
      [...INTEGRAL, ...FRACTIONAL, 'VARCHAR'],
      `${c.name}() of a DECIMAL (or non-numeric) value is not supported: Spark returns DECIMAL(p-s+1, 0); cast the argument to DOUBLE or to a DECIMAL(p, s) in the call`,
      body,
    );
  };
}

type Mode = 'half_up' | 'half_even';

/** DuckDB's rounding of a DECIMAL in `mode` (DuckDB's `round` is HALF_UP, away from zero). */
const roundDecimal = (mode: Mode, x: AstNode, d: number): AstNode =>
  fn(mode === 'half_up' ? 'round' : 'round_even', x, int(d));

/**
 * Spark's rounding of a DOUBLE (FLOAT: `type` 'FLOAT', rounded as the DOUBLE it widens to): the
 * shortest decimal form (DuckDB's text of a DOUBLE, as Java's Double.toString) read as a DECIMAL
 * wide enough to hold it exactly — by magnitude band, so that no digit is lost before rounding —
 * rounded to d places and read back (text → DOUBLE/FLOAT is correctly rounded). NaN and infinities
 * are kept; a zero result is +0.0 (BigDecimal has no negative zero).
 */
function decimalFormRound(v: () => AstNode, d: number, mode: Mode, type: 'DOUBLE' | 'FLOAT'): AstNode {
  const abs = () => fn('abs', v());
  const back = (x: AstNode) => cast(cast(x, 'VARCHAR'), type);
  const kept = () => cast(v(), type);
  // Exact when |x| is in the band: at most 17 significant digits, `scale` digits after the point.
  const via = (scale: number) =>
    back(roundDecimal(mode, castDecimal(cast(v(), 'VARCHAR'), MAX_PRECISION, scale), d));
  const tooFar = (what: string) =>
    fail(`${mode === 'half_up' ? 'round' : 'bround'}() of a ${type} ${what} is not supported`);
  return when(
    [
      [not(fn('isfinite', v())), kept()],
      // ≥ 1e37: the decimal form is an integer with ≥ 21 trailing zeros.
      [
        cmp('>=', abs(), double(1e37)),
        d >= -21 ? kept() : tooFar('of 1e37 or more to more than 21 places left of the point'),
      ],
      // ≥ 1e17: an integer (doubles above 2^53 are).
      [cmp('>=', abs(), double(1e17)), d >= 0 ? kept() : via(0)],
      [cmp('>=', abs(), double(1)), d >= 17 ? kept() : via(20)],
      [cmp('>=', abs(), double(1e-20)), d >= 37 ? kept() : via(37)],
    ],
    d <= 19 ? cast(double(0), type) : tooFar('below 1e-20 to 20 or more places'),
  );
}

/**
 * DuckDB's rounding of `x`, an expression of a type the call does not show: where `x` turns out a
 * DOUBLE or FLOAT whose decimal form Spark rounds differently, the query fails (see the module
 * comment). The checks fold away when DuckDB binds an integer or decimal `x`.
 */
function checkedRound(c: FunctionCall, x: AstNode, d: number, mode: Mode): AstNode {
  const v = reusable(c, x);
  const duck = () => (mode === 'half_up' ? fn('round', v(), int(d)) : fn('round_even', v(), int(d)));
  // Only a value whose digits after place d are close to a tie can round differently: a cheap
  // test on x·10^d (whose error is far below the margin while |x·10^d| < 1e9) spares the rest.
  const scaled = () => op('*', cast(v(), 'DOUBLE'), double(10 ** d));
  const nearTie = or(
    cmp('>=', fn('abs', scaled()), double(1e9)),
    cmp(
      '<',
      fn('abs', op('-', fn('abs', op('-', scaled(), fn('trunc', scaled()))), double(0.5))),
      double(1e-6),
    ),
  );
  const differs = (type: 'DOUBLE' | 'FLOAT') => {
    const spark = decimalFormRound(() => cast(v(), 'DOUBLE'), d, mode, type);
    const check = cmp('<>', cast(duck(), type), spark);
    return and(typeIs(v(), [type]), Math.abs(d) <= 22 ? and(structuredClone(nearTie), check) : check);
  };
  const message = (type: string) =>
    raise(
      'UNSUPPORTED_SPARK_FUNCTION',
      `${c.name}() of the ${type} `,
      cast(v(), 'VARCHAR'),
      ` to ${d} places: Spark rounds its decimal form, DuckDB its binary value, and the results differ; ` +
        `CAST the argument in the call (${c.name}(CAST(… AS DOUBLE), ${d})) so that sluice rounds it as Spark does`,
    );
  return when(
    [
      [differs('DOUBLE'), message('DOUBLE')],
      [differs('FLOAT'), message('FLOAT')],
    ],
    duck(),
  );
}

function round(mode: Mode): FunctionRule {
  return (c) => {
    arity(c, 1, 2);
    const d = scaleArgument(c, 1);
    const x = c.args[0]!;
    const t = staticType(x);
    if (t?.kind === 'decimal') {
      const out = roundedDecimal(t.precision, t.scale, d);
      const v = reusable(c, castDecimal(x, t.precision, t.scale));
      const r = mode === 'half_up' ? fn('round', v(), int(d)) : halfEven(v, d);
      return castDecimal(r, out.precision, out.scale);
    }
    if (t?.kind === 'integral') {
      if (d >= 0) return x;
      const v = reusable(c, x);
      return cast(mode === 'half_up' ? fn('round', v(), int(d)) : halfEven(v, d), t.name);
    }
    if (t?.kind === 'fractional') {
      const v = reusable(c, x);
      return decimalFormRound(() => cast(v(), 'DOUBLE'), d, mode, t.name);
    }
    if (mode === 'half_up') return checkedRound(c, x, d, mode);
    return typeGuard(
      x,
      FRACTIONAL,
      `${c.name}() of a value that is not a DOUBLE is not supported unless its type is visible in the call (a literal or CAST)`,
      checkedRound(c, x, d, mode),
    );
  };
}

export const ROUNDING_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  ceil: ceilFloor('ceil'),
  ceiling: ceilFloor('ceil'),
  floor: ceilFloor('floor'),
  round: round('half_up'),
  bround: round('half_even'),
};
