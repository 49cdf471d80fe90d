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
 * round, whose values are Spark's for integers and decimals (a decimal keeps DuckDB's precision)
 * and for doubles except where the decimal digits of x end exactly in a tie that binary
 * floating point does not hold (Spark rounds the shortest decimal form, DuckDB the binary value);
 * `bround(x, d)` accepts DOUBLE only.
 */
import type { AstNode } from '../ast.ts';
import {
  and,
  asDouble,
  cast,
  castDecimal,
  cmp,
  FRACTIONAL,
  fn,
  INTEGRAL,
  int,
  literalNumber,
  op,
  reusable,
  type StaticType,
  staticType,
  text,
  typeGuard,
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

function round(mode: 'half_up' | 'half_even'): FunctionRule {
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
    if (mode === 'half_up') return fn('round', x, int(d));
    return typeGuard(
      x,
      FRACTIONAL,
      `${c.name}() of a value that is not a DOUBLE is not supported unless its type is visible in the call (a literal or CAST)`,
      fn('round_even', x, int(d)),
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
