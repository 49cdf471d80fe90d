/**
 * Spark's `CAST` with ANSI mode off (`spark.sql.ansi.enabled = false`, Spark's `Cast` with
 * `ansiEnabled` false), where its value differs from "the ANSI value, or NULL where ANSI mode
 * raises". Everywhere else the non-ANSI cast is the ANSI rule with its failures read as NULL
 * (`casts.ts` drops them): text that is not a number, date, timestamp or boolean; a DECIMAL that
 * does not fit its precision; a TIMESTAMP whose seconds do not fit an INT.
 *
 * The differences, from Spark's `Cast` and `UTF8String.toInt` / `toLong`:
 * - STRING → integral: blanks (bytes 0x00–0x20, 0x7F) trimmed, an optional sign, digits, then
 *   optionally `.` and digits only, which are dropped (`1.9` is 1, `-.5` and `.` are 0); NULL
 *   for anything else and for a value outside the type (`toShort` / `toByte` read an INT, then
 *   check it fits).
 * - integral or DECIMAL → a narrower integral: the low bits (Java's `(int) long`: 128 as TINYINT
 *   is -128); a DECIMAL is first truncated toward zero (`BigDecimal.longValue`).
 * - DOUBLE / FLOAT → integral: Scala's `toInt` / `toLong`, which saturate at the INT / BIGINT
 *   bounds and read NaN as 0; TINYINT and SMALLINT take the low bits of that INT.
 * - DECIMAL → STRING: `BigDecimal.toString`, scientific once the exponent is below -6
 *   (`0.00000001` prints `1E-8`; ANSI mode prints plain digits).
 * - a number → TIMESTAMP past the range of microseconds: Spark saturates or wraps; sluice
 *   raises LEGACY_MODE_UNSUPPORTED instead (see `legacyFailures`).
 */
import type { AstNode } from './ast.ts';
import {
  add,
  and,
  cast,
  concat,
  duckType,
  eq,
  extract,
  fn,
  ge,
  gt,
  int,
  le,
  lt,
  ne,
  or,
  str,
  sub,
  tryCast,
  when,
} from './cast-ast.ts';
import type { CastEnv, Conversion, Failure } from './cast-env.ts';
import { CANONICAL, canonicalFirst } from './cast-text.ts';
import type { CastTarget, SourceKind } from './cast-types.ts';

const VARCHAR = duckType('VARCHAR');
const HUGEINT = duckType('HUGEINT');
const DOUBLE = duckType('DOUBLE');

/** Bits of each integral type. */
const BITS: Record<string, number> = { TINYINT: 8, SMALLINT: 16, INTEGER: 32, BIGINT: 64 };

const huge = (n: bigint): AstNode => cast(str(n.toString()), HUGEINT);

/** HUGEINT `h` reduced to its low `bits` bits, read as a signed integer of that width. */
function lowBits(h: AstNode, bits: number, env: CastEnv): AstNode {
  const span = 1n << BigInt(bits);
  const half = 1n << BigInt(bits - 1);
  return env.bind(fn('%', add(fn('%', h, huge(span)), huge(span)), huge(span)), (u) =>
    when([[ge(u, huge(half)), sub(u, huge(span))]], u),
  );
}

/** Integral `h` (a HUGEINT expression) as Java narrows it to `target`. */
function narrowed(h: AstNode, target: CastTarget & { kind: 'integral' }, env: CastEnv): AstNode {
  return cast(lowBits(h, BITS[target.type]!, env), duckType(target.type));
}

/**
 * `UTF8String.toInt` / `toLong` of text (see the module comment), as a value of `target`'s
 * type; NULL for text it rejects or a value out of range.
 */
function parseIntegral(s: AstNode, target: CastTarget & { kind: 'integral' }, env: CastEnv): AstNode {
  const pattern = String.raw`^[\x00-\x20\x7f]*([+-]?)([0-9]*)(\.[0-9]*)?[\x00-\x20\x7f]*$`;
  const parts = fn(
    'regexp_extract',
    s,
    str(pattern),
    fn('list_value', str('sign'), str('digits'), str('dot')),
  );
  return env.bind(parts, (p) => {
    const get = (name: string) => fn('struct_extract', p, str(name));
    const digits = get('digits');
    const valid = and(
      fn('regexp_full_match', s, str(pattern)),
      or(ne(digits, str('')), ne(get('dot'), str(''))),
    );
    const integral = concat(get('sign'), when([[eq(digits, str('')), str('0')]], digits));
    return when([[valid, tryCast(integral, duckType(target.type))]]);
  });
}

/** Scala's `Double.toInt` / `toLong` of DOUBLE `d`: truncated, saturated at the bounds, NaN 0. */
function saturated(d: AstNode, long: boolean): AstNode {
  const [max, min] = long ? ['9223372036854775807', '-9223372036854775808'] : ['2147483647', '-2147483648'];
  // As a DOUBLE, Long.MAX_VALUE is 2^63: any double at or above it saturates.
  return when(
    [
      [fn('isnan', d), huge(0n)],
      [ge(d, cast(str(max), DOUBLE)), huge(BigInt(max))],
      [le(d, cast(str(min), DOUBLE)), huge(BigInt(min))],
    ],
    cast(fn('trunc', d), HUGEINT),
  );
}

/**
 * Java's `BigDecimal.toString` of a DECIMAL printed plainly by DuckDB as `t` (`-0.00000120`):
 * plain unless the scale is positive and the adjusted exponent (digits of the unscaled value −
 * 1 − scale) is below -6, then `d.dddE-n`.
 */
function decimalToString(t: AstNode, env: CastEnv): AstNode {
  return env.bind(t, (text) => {
    const negative = fn('starts_with', text, str('-'));
    const fraction = extract(text, String.raw`\.([0-9]+)$`, 1);
    const scale = fn('length', fraction);
    const unscaled = fn(
      'ltrim',
      fn('replace', fn('replace', text, str('-'), str('')), str('.'), str('')),
      str('0'),
    );
    return env.bind(when([[eq(unscaled, str('')), str('0')]], unscaled), (digits) => {
      const adjusted = sub(sub(fn('length', digits), int(1)), scale);
      const mantissa = when(
        [
          [
            gt(fn('length', digits), int(1)),
            concat(fn('left', digits, int(1)), str('.'), fn('substr', digits, int(2))),
          ],
        ],
        digits,
      );
      const scientific = concat(
        when([[negative, str('-')]], str('')),
        mantissa,
        str('E'),
        cast(adjusted, VARCHAR),
      );
      return when([[and(gt(scale, int(0)), lt(adjusted, int(-6))), scientific]], text);
    });
  });
}

/**
 * The non-ANSI conversion of `x` (of `kind`) to `target` where it is not the ANSI one with its
 * failures read as NULL; undefined where it is.
 */
export function legacyConversion(
  kind: SourceKind,
  x: AstNode,
  target: CastTarget,
  env: CastEnv,
): Conversion | undefined {
  const text = tryCast(x, VARCHAR);
  if (target.kind === 'string' && kind === 'decimal') return value(decimalToString(text, env));
  if (target.kind !== 'integral') return undefined;
  switch (kind) {
    case 'string':
      return value(
        canonicalFirst(
          text,
          CANONICAL.integral,
          tryCast(text, duckType(target.type)),
          parseIntegral(text, target, env),
        ),
      );
    case 'integral':
      return value(narrowed(tryCast(x, HUGEINT), target, env));
    case 'decimal':
      // The integral digits of the plain text: truncation toward zero.
      return value(narrowed(cast(extract(text, '^(-?[0-9]+)', 1), HUGEINT), target, env));
    case 'float':
    case 'double': {
      const long = target.type === 'BIGINT';
      const whole = env.bind(tryCast(x, DOUBLE), (d) => saturated(d, long));
      return value(
        long || target.type === 'INTEGER' ? cast(whole, duckType(target.type)) : narrowed(whole, target, env),
      );
    }
    default:
      return undefined;
  }
}

/**
 * The failures of an ANSI rule as the non-ANSI cast has them: an overflow converting a number
 * to a TIMESTAMP is a value in Spark (saturated or wrapped microseconds) that sluice does not
 * compute — raised as LEGACY_MODE_UNSUPPORTED, never NULL. Other failures are NULL (dropped).
 */
export function legacyFailures(
  kind: SourceKind,
  x: AstNode,
  target: CastTarget,
  failures: readonly Failure[],
): Failure[] {
  if (target.kind !== 'timestamp' || !['integral', 'decimal', 'float', 'double'].includes(kind)) return [];
  // NaN and ±Infinity are NULL, not an overflow.
  const finite = kind === 'float' || kind === 'double' ? fn('isfinite', tryCast(x, DOUBLE)) : undefined;
  return failures
    .filter((f) => f.code === 'ARITHMETIC_OVERFLOW')
    .map((f) => ({
      ...(finite ? { when: finite } : {}),
      code: 'LEGACY_MODE_UNSUPPORTED' as const,
      message: concat(
        str('with spark.sql.ansi.enabled = false Spark saturates or wraps this value, sluice does not: '),
        f.message,
      ),
      always: true,
    }));
}

function value(v: AstNode): Conversion {
  return { kind: 'value', value: v, failures: [] };
}
