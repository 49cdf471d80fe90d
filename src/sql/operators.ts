import {
  type AstNode,
  castNode,
  constantText,
  isNode,
  type Json,
  nodes,
  nullConstant,
  str,
  stringConstant,
} from './ast.ts';
import { cmp, fn, int, isSimple, op, raise, when, withValues } from './functions/build.ts';
import { VOLATILE_FUNCTIONS } from './volatility.ts';

/**
 * Spark's arithmetic and bitwise operators where DuckDB's differ, as DuckDB expressions (the
 * pre-pass writes them as `__sluice_*` calls, see prepass-expressions.ts):
 *
 * - `a / b`, `a % b`, `a div b` fail with DIVIDE_BY_ZERO on a zero divisor (ANSI mode), are NULL
 *   with ANSI mode off (`legacy`). `%` keeps the dividend's sign in both. `div` truncates toward zero to a BIGINT
 *   (DuckDB's `//` does so only for integers);
 * - `a ^ b` is bitwise XOR (DuckDB: power);
 * - shifts widen a TINYINT / SMALLINT left side to INT and use the shift count modulo the
 *   width (32 or 64), as Java does; DuckDB gives 0 for counts past the width. `>>>` shifts in
 *   zeros. DuckDB refuses a left shift that overflows, where Java wraps: that fails at run time
 *   (ARITHMETIC_OVERFLOW) instead of returning a value.
 */

const DIVIDE_BY_ZERO_MESSAGE =
  'Division by zero. Use `try_divide` to tolerate divisor being 0 and return NULL instead.';

/** Whether `b` is a numeric constant other than 0 (no check needed). */
function nonZeroConstant(b: AstNode): boolean {
  const v = b.class === 'CONSTANT' ? constantText(b) : undefined;
  return v !== undefined && /^-?\d+(\.\d+)?$/.test(v) && Number(v) !== 0;
}

const VOLATILE = new Set(VOLATILE_FUNCTIONS);

/** Whether a (translated) expression calls a function that gives a new value each time. */
function isVolatile(v: Json): boolean {
  if (Array.isArray(v)) return v.some(isVolatile);
  if (!isNode(v)) return false;
  if (v.class === 'FUNCTION' && VOLATILE.has(str(v, 'function_name').toLowerCase())) return true;
  return Object.values(v).some((x) => x !== null && typeof x === 'object' && isVolatile(x));
}

/**
 * `build` with references to `values`: repeated when they are deterministic (DuckDB evaluates a
 * repeated aggregate once), bound once when one calls a volatile function.
 */
function reuse(values: readonly AstNode[], build: (ref: (i: number) => AstNode) => AstNode): AstNode {
  if (!values.some((v) => isVolatile(v))) return build((i) => structuredClone(values[i]!));
  return withValues(values, build);
}

/** What a zero divisor gives: DIVIDE_BY_ZERO (ANSI mode) or NULL (`legacy`, ANSI mode off). */
function zeroDivisor(legacy: boolean): AstNode {
  return legacy ? nullConstant() : raise('DIVIDE_BY_ZERO', DIVIDE_BY_ZERO_MESSAGE);
}

/**
 * `b`, failing with DIVIDE_BY_ZERO when it is 0 (NULL with `legacy`, so the quotient is NULL);
 * `build` receives it (bound once when needed).
 */
function withDivisor(b: AstNode, build: (divisor: () => AstNode) => AstNode, legacy: boolean): AstNode {
  if (nonZeroConstant(b)) return build(() => structuredClone(b));
  return reuse([b], (ref) => build(() => when([[cmp('=', ref(0), int(0)), zeroDivisor(legacy)]], ref(0))));
}

/** Spark `a / b`; `legacy`: ANSI mode off (NULL for a zero divisor). */
export function divide(a: AstNode, b: AstNode, legacy = false): AstNode {
  return withDivisor(b, (d) => op('/', a, d()), legacy);
}

/** Spark `a % b` (the remainder has the dividend's sign; `pmod` is the positive one). */
export function remainder(a: AstNode, b: AstNode, legacy = false): AstNode {
  return withDivisor(b, (d) => op('%', a, d()), legacy);
}

/** The value of an interval literal as the pre-pass writes it (months or microseconds). */
export function intervalLiteral(x: AstNode): { kind: 'months' | 'micros'; value: bigint } | undefined {
  const constant = (n: AstNode | undefined) => {
    const v = n && n.class === 'CONSTANT' ? constantText(n) : undefined;
    return v !== undefined && /^-?\d+$/.test(v) ? BigInt(v) : undefined;
  };
  const call = (n: AstNode | undefined, name: string) =>
    n?.class === 'FUNCTION' && str(n, 'function_name') === name
      ? constant(nodes(n, 'children')[0])
      : undefined;
  const months = call(x, 'to_months');
  if (months !== undefined) return { kind: 'months', value: months };
  if (x.class !== 'FUNCTION' || str(x, 'function_name') !== '+') return undefined;
  const [d, us] = nodes(x, 'children');
  const days = call(d, 'to_days');
  const micros = call(us, 'to_microseconds');
  if (days === undefined || micros === undefined) return undefined;
  return { kind: 'micros', value: days * 86_400_000_000n + micros };
}

/** Spark `a div b`: the quotient truncated toward zero, as BIGINT (`legacy`: NULL for 0). */
export function integralDivide(a: AstNode, b: AstNode, legacy = false): AstNode {
  // Interval literals of one kind divide exactly here (DuckDB has no interval division).
  const ia = intervalLiteral(a);
  const ib = intervalLiteral(b);
  if (ia && ib && ia.kind === ib.kind) {
    if (ib.value === 0n) return castNode(zeroDivisor(legacy), 'BIGINT');
    return castNode(stringConstant(String(ia.value / ib.value)), 'BIGINT');
  }
  return reuse([a, b], (ref) => {
    const check = (x: AstNode) =>
      nonZeroConstant(b) ? x : when([[cmp('=', ref(1), int(0)), zeroDivisor(legacy)]], x);
    // a - a % b is an exact multiple of b, so `//` divides it exactly for decimals too.
    return castNode(check(op('//', op('-', ref(0), op('%', ref(0), ref(1))), ref(1))), 'BIGINT');
  });
}

/** Spark `a ^ b`: bitwise XOR. */
export function bitwiseXor(a: AstNode, b: AstNode): AstNode {
  return fn('xor', a, b);
}

/** The bit width of an INT or BIGINT literal, else undefined. */
function literalWidth(a: AstNode): 32 | 64 | undefined {
  if (a.class !== 'CONSTANT' || !isNode(a.value) || !isNode(a.value.type)) return undefined;
  const id = str(a.value.type, 'id');
  return id === 'INTEGER' ? 32 : id === 'BIGINT' ? 64 : undefined;
}

/**
 * `a` widened to at least INT (Java shifts an int or a long) and the shift count modulo its
 * width: `build(value, count, width)`.
 */
function shift(
  a: AstNode,
  b: AstNode,
  build: (v: () => AstNode, n: () => AstNode, width: () => AstNode) => AstNode,
): AstNode {
  const known = literalWidth(a);
  if (known !== undefined) {
    const count = b.class === 'CONSTANT' ? constantText(b) : undefined;
    if (count !== undefined && /^-?\d+$/.test(count)) {
      const n = Number(BigInt(count) & BigInt(known - 1));
      return build(
        () => structuredClone(a),
        () => int(n),
        () => int(known),
      );
    }
    return withValues([op('&', b, int(known - 1))], (n) =>
      build(
        () => structuredClone(a),
        () => n(0),
        () => int(known),
      ),
    );
  }
  const widened = op('+', a, castNode(int(0), 'INTEGER'));
  // bit_count(~(v * 0)) is the number of bits of v's type: 32 for INT, 64 for BIGINT.
  const widthOf = (v: AstNode) => fn('bit_count', op('~', op('*', v, int(0))));
  const inner = (v: () => AstNode) =>
    withValues([op('&', b, op('-', widthOf(v()), int(1)))], (n) =>
      build(
        v,
        () => n(0),
        () => widthOf(v()),
      ),
    );
  if (isSimple(a)) return inner(() => op('+', structuredClone(a), castNode(int(0), 'INTEGER')));
  return withValues([widened], (ref) => inner(() => ref(0)));
}

/**
 * Spark `a << b` / `shiftleft(a, b)`. DuckDB refuses to shift a negative number: `-x` is
 * shifted and negated back (the same bits unless the result overflows, which DuckDB refuses).
 */
export function shiftLeft(a: AstNode, b: AstNode): AstNode {
  return shift(a, b, (v, n) =>
    when([[cmp('<', v(), int(0)), op('-', op('<<', op('-', v()), n()))]], op('<<', v(), n())),
  );
}

/** Spark `a >> b` / `shiftright(a, b)`: arithmetic (sign-filling) shift. */
export function shiftRight(a: AstNode, b: AstNode): AstNode {
  return shift(a, b, (v, n) => op('>>', v(), n()));
}

/** Spark `a >>> b` / `shiftrightunsigned(a, b)`: zero-filling shift. */
export function shiftRightUnsigned(a: AstNode, b: AstNode): AstNode {
  return shift(a, b, (v, n, width) => {
    // The largest value of v's type, built without overflowing it: 2^(w-2) - 1 + 2^(w-2).
    const one = () => op('+', op('*', v(), int(0)), int(1));
    const half = () => op('<<', one(), op('-', width(), int(2)));
    const max = op('+', op('-', half(), int(1)), half());
    const shifted = op('&', op('>>', v(), n()), op('>>', max, op('-', n(), int(1))));
    return when([[cmp('=', n(), int(0)), v()]], shifted);
  });
}
