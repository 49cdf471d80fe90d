/**
 * Spark functions: math. See `index.ts` for how rules work.
 *
 * Spark's math functions take DOUBLE (other numbers are cast) and never fail on a value outside
 * their domain: `acos(2)` and `sqrt(-1)` are NaN, a logarithm of zero or less is NULL, `cot(0)`
 * is Infinity. DuckDB fails on those, so the rules test the domain first. Where Spark's result
 * follows a particular formula (`acosh`, `asinh`, `log2`, `atanh`) the rule uses that formula,
 * so the edge cases come out the same.
 */
import { type AstNode, integerConstant, operatorFunction } from '../ast.ts';
import {
  and,
  asDouble,
  cast,
  cmp,
  double,
  FRACTIONAL,
  fail,
  fn,
  INTEGRAL,
  isNull,
  nul,
  op,
  or,
  reusable,
  staticType,
  text,
  typeGuard,
  when,
} from './expr.ts';
import { intervalAbs, intervalBucketArgs, intervalSign } from './interval-math.ts';
import { ROUNDING_FUNCTIONS } from './math-rounding.ts';
import { arity, call, type FunctionCall, type FunctionRule, renamed } from './rules.ts';
import { TRY_ARITHMETIC } from './try-arithmetic.ts';

/** A zero divisor of mod() / pmod(): DIVIDE_BY_ZERO (ANSI mode), NULL with ANSI mode off. */
function zeroDivisor(c: FunctionCall, name: string): AstNode {
  return c.legacy === true ? nul() : fail(`division by zero in ${name}()`, 'DIVIDE_BY_ZERO');
}

/** `f(x)` on `x` cast to DOUBLE: Spark's unary math functions take a DOUBLE. */
function unaryDouble(f: (c: FunctionCall, x: () => AstNode) => AstNode): FunctionRule {
  return (c) => {
    arity(c, 1);
    const x = reusable(c, asDouble(c.args[0]!));
    return f(c, x);
  };
}

/** `x` where `x > 0`, else NULL — a logarithm's argument (Spark: NULL for zero or less). */
function positiveOrNull(x: AstNode): AstNode {
  // greatest() keeps NaN (the largest DOUBLE in DuckDB) and -0.0 ≤ 0 becomes NULL too.
  return fn('nullif', fn('greatest', x, double(0)), double(0));
}

/** NaN outside [-1, 1] (Spark), else `f(x)`. */
const inUnitRange = (name: string) =>
  unaryDouble((_c, x) => when([[cmp('>', fn('abs', x()), double(1)), double('NaN')]], fn(name, x())));

/** Spark's log1p: NULL for x ≤ -1, else log(1 + x) computed without cancellation (Kahan). */
function log1p(x: () => AstNode): AstNode {
  const u = () => op('+', double(1), x());
  return when(
    [
      [cmp('<=', x(), double(-1)), nul()],
      [cmp('=', u(), double(1)), x()],
    ],
    op('/', op('*', fn('ln', u()), x()), op('-', u(), double(1))),
  );
}

/** Spark's expm1: exp(x) - 1 computed without cancellation (Kahan). */
function expm1(x: () => AstNode): AstNode {
  const u = () => fn('exp', x());
  return when(
    [
      [cmp('=', u(), double(1)), x()],
      [cmp('=', op('-', u(), double(1)), double(-1)), double(-1)],
      [fn('isinf', u()), u()],
    ],
    op('/', op('*', op('-', u(), double(1)), x()), fn('ln', u())),
  );
}

/** Spark's hypot (java.lang.Math.hypot): infinite when either side is, no intermediate overflow. */
function hypot(a: () => AstNode, b: () => AstNode): AstNode {
  const m = () => fn('greatest', fn('abs', a()), fn('abs', b()));
  const sq = (v: AstNode) => op('*', v, structuredClone(v));
  return when(
    [
      [or(fn('isinf', a()), fn('isinf', b())), double('Infinity')],
      [cmp('=', m(), double(0)), double(0)],
      [
        or(cmp('>', m(), double(1e150)), cmp('<', m(), double(1e-150))),
        op('*', m(), fn('sqrt', op('+', sq(op('/', a(), m())), sq(op('/', b(), m()))))),
      ],
    ],
    fn('sqrt', op('+', sq(a()), sq(b()))),
  );
}

/**
 * Spark's width_bucket(v, min, max, n): the 1-based bucket of v among n equal buckets between
 * min and max (0 below, n + 1 above; the buckets count down when min > max); NULL when n ≤ 0,
 * v is NaN, or min/max are equal, NaN or infinite.
 */
function widthBucket(call: FunctionCall): AstNode {
  arity(call, 4);
  // Intervals of one kind bucket by their counts (months or microseconds), as Spark does.
  const counts = intervalBucketArgs(call);
  const c = counts ? { ...call, args: counts } : call;
  const [v, lo, hi] = c.args.slice(0, 3).map((a) => reusable(c, asDouble(a))) as [
    () => AstNode,
    () => AstNode,
    () => AstNode,
  ];
  const n = reusable(c, cast(c.args[3]!, 'BIGINT'));
  const lower = () => fn('least', lo(), hi());
  const upper = () => fn('greatest', lo(), hi());
  const scaled = (distance: AstNode) =>
    op(
      '+',
      cast(fn('trunc', op('/', op('*', asDouble(n()), distance), op('-', upper(), lower()))), 'BIGINT'),
      integerConstant(1),
    );
  const above = () => op('+', n(), integerConstant(1));
  const bucket = when(
    [
      [
        cmp('<', lo(), hi()),
        when(
          [
            [cmp('<', v(), lower()), integerConstant(0)],
            [cmp('>=', v(), upper()), above()],
          ],
          scaled(op('-', v(), lower())),
        ),
      ],
    ],
    when(
      [
        [cmp('>', v(), upper()), integerConstant(0)],
        [cmp('<=', v(), lower()), above()],
      ],
      scaled(op('-', upper(), v())),
    ),
  );
  const invalid = or(
    cmp('<=', n(), integerConstant(0)),
    cmp('=', n(), cast(text('9223372036854775807'), 'BIGINT')),
    fn('isnan', v()),
    cmp('=', lo(), hi()),
    fn('isnan', lo()),
    fn('isinf', lo()),
    fn('isnan', hi()),
    fn('isinf', hi()),
  );
  const body = when(
    [
      [or(isNull(v()), isNull(lo()), isNull(hi()), isNull(n())), nul()],
      [invalid, nul()],
    ],
    bucket,
  );
  return typeGuard(
    c.args[0]!,
    [...INTEGRAL, ...FRACTIONAL, 'DECIMAL('],
    'width_bucket() of an interval',
    body,
  );
}

export const MATH_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  ...ROUNDING_FUNCTIONS,
  ...TRY_ARITHMETIC,
  random: (c) => (c.args.length > 0 ? c.unsupported('a seed is not supported') : renamed(c, 'random')),
  rand: (c) => (c.args.length > 0 ? c.unsupported('a seed is not supported') : renamed(c, 'random')),
  e: (c) => {
    arity(c, 0);
    return call('exp', integerConstant(1));
  },
  negative: (c) => {
    arity(c, 1);
    return operatorFunction('-', [c.args[0]!]);
  },
  positive: (c) => {
    arity(c, 1);
    return c.args[0]!;
  },
  mod: (c) => {
    arity(c, 2);
    const n = reusable(c, c.args[1]!);
    // Spark (ANSI) fails on a zero divisor of any numeric type, non-ANSI gives NULL; DuckDB
    // gives NULL or NaN.
    return when([[cmp('=', n(), integerConstant(0)), zeroDivisor(c, 'mod')]], op('%', c.args[0]!, n()));
  },
  pmod: (c) => {
    arity(c, 2);
    const a = reusable(c, c.args[0]!);
    const n = reusable(c, c.args[1]!);
    const r = () => op('%', a(), n());
    return when(
      [
        [cmp('=', n(), integerConstant(0)), zeroDivisor(c, 'pmod')],
        [cmp('<', r(), integerConstant(0)), op('%', op('+', r(), n()), n())],
      ],
      r(),
    );
  },
  // Trigonometry and logarithms on DOUBLE, with Spark's results outside the domain.
  acos: inUnitRange('acos'),
  asin: inUnitRange('asin'),
  atanh: inUnitRange('atanh'),
  acosh: unaryDouble((_c, x) =>
    when(
      [[cmp('<', x(), double(1)), double('NaN')]],
      fn('ln', op('+', x(), fn('sqrt', op('-', op('*', x(), x()), double(1))))),
    ),
  ),
  asinh: unaryDouble((_c, x) => {
    // Spark: log(x + sqrt(x² + 1)), -Infinity when that sum is 0 (large negative x).
    const sum = () => op('+', x(), fn('sqrt', op('+', op('*', x(), x()), double(1))));
    return when(
      [
        [cmp('=', x(), double('-Infinity')), x()],
        [cmp('<=', sum(), double(0)), double('-Infinity')],
      ],
      fn('ln', sum()),
    );
  }),
  sqrt: unaryDouble((_c, x) => when([[cmp('<', x(), double(0)), double('NaN')]], fn('sqrt', x()))),
  cot: unaryDouble((_c, x) => op('/', double(1), fn('tan', x()))),
  sec: unaryDouble((_c, x) => op('/', double(1), fn('cos', x()))),
  csc: unaryDouble((_c, x) => op('/', double(1), fn('sin', x()))),
  atan2: (c) => {
    arity(c, 2);
    // Spark adds +0.0 to both sides, so -0.0 counts as 0.0.
    return fn('atan2', op('+', asDouble(c.args[0]!), double(0)), op('+', asDouble(c.args[1]!), double(0)));
  },
  ln: (c) => {
    arity(c, 1);
    return fn('ln', positiveOrNull(asDouble(c.args[0]!)));
  },
  log10: (c) => {
    arity(c, 1);
    return fn('log10', positiveOrNull(asDouble(c.args[0]!)));
  },
  log2: (c) => {
    arity(c, 1);
    return op('/', fn('ln', positiveOrNull(asDouble(c.args[0]!))), fn('ln', double(2)));
  },
  log: (c) => {
    arity(c, 1, 2);
    if (c.args.length === 1) return fn('ln', positiveOrNull(asDouble(c.args[0]!)));
    return op(
      '/',
      fn('ln', positiveOrNull(asDouble(c.args[1]!))),
      fn('ln', positiveOrNull(asDouble(c.args[0]!))),
    );
  },
  log1p: unaryDouble((_c, x) => log1p(x)),
  expm1: unaryDouble((_c, x) => expm1(x)),
  rint: (c) => {
    arity(c, 1);
    return fn('round_even', asDouble(c.args[0]!), integerConstant(0));
  },
  hypot: (c) => {
    arity(c, 2);
    return hypot(reusable(c, asDouble(c.args[0]!)), reusable(c, asDouble(c.args[1]!)));
  },
  sign: (c) => intervalSign(c) ?? signum(c),
  signum: (c) => intervalSign(c) ?? signum(c),
  abs: (c) => intervalAbs(c) ?? renamed(c, 'abs'),
  factorial: (c) => {
    arity(c, 1);
    const n = reusable(c, c.args[0]!);
    const body = when(
      [
        [
          and(cmp('>=', n(), integerConstant(0)), cmp('<=', n(), integerConstant(20))),
          cast(fn('factorial', n()), 'BIGINT'),
        ],
      ],
      cast(nul(), 'BIGINT'),
    );
    return typeGuard(c.args[0]!, INTEGRAL, 'factorial() of a value that is not an integer', body);
  },
  bin: (c) => {
    arity(c, 1);
    const x = c.args[0]!;
    const t = staticType(x);
    // Spark casts to BIGINT first, dropping any fraction (toward zero).
    const asLong = t?.kind === 'integral' ? cast(x, 'BIGINT') : cast(fn('trunc', x), 'BIGINT');
    return typeGuard(
      x,
      [...INTEGRAL, ...FRACTIONAL, 'DECIMAL('],
      'bin() of a value that is not a number',
      fn('bin', asLong),
    );
  },
  width_bucket: (c) => widthBucket(c),
};

/** Spark's signum: a DOUBLE, -1.0 / 0.0 / 1.0, keeping -0.0 and NaN. */
function signum(c: FunctionCall): AstNode {
  arity(c, 1);
  const x = reusable(c, asDouble(c.args[0]!));
  return when([[or(cmp('=', x(), double(0)), fn('isnan', x())), x()]], asDouble(fn('sign', x())));
}
