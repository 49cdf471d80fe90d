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
  coalesce,
  concat,
  duckType,
  extract,
  fail,
  fn,
  ge,
  gt,
  int,
  le,
  lt,
  not,
  SPARK_CAST_NODE,
  SPARK_TEXT_KEY,
  str,
  sub,
  tryCast,
  when,
} from './cast-ast.ts';
import type { Conversion, Failure } from './cast-env.ts';
import { CANONICAL, canonicalFirst } from './cast-text.ts';
import { type CastTarget, type SourceKind, staticSource } from './cast-types.ts';
import { legacyTextMarker } from './legacy-marker-nodes.ts';

const VARCHAR = duckType('VARCHAR');
const HUGEINT = duckType('HUGEINT');
const DOUBLE = duckType('DOUBLE');

/** Bits of each integral type. */
const BITS: Record<string, number> = { TINYINT: 8, SMALLINT: 16, INTEGER: 32, BIGINT: 64 };

const huge = (n: bigint): AstNode => cast(str(n.toString()), HUGEINT);

/**
 * HUGEINT `h` reduced to its low `bits` bits, read as a signed integer of that width:
 * ((h + 2^(bits-1)) mod 2^bits) − 2^(bits-1), with a non-negative mod. Written without lambdas
 * (they keep DuckDB from matching GROUP BY expressions), `h` once.
 */
function lowBits(h: AstNode, bits: number): AstNode {
  const span = huge(1n << BigInt(bits));
  const half = () => huge(1n << BigInt(bits - 1));
  const mod = fn('%', add(fn('%', add(h, half()), span), structuredClone(span)), structuredClone(span));
  return sub(mod, half());
}

/** Integral `h` (a HUGEINT expression) as Java narrows it to `target`. */
function narrowed(h: AstNode, target: CastTarget & { kind: 'integral' }): AstNode {
  return cast(lowBits(h, BITS[target.type]!), duckType(target.type));
}

/**
 * `UTF8String.toInt` / `toLong` of text `s` (see the module comment), as a value of `target`'s
 * type; NULL for text it rejects or a value out of range. (`s` is repeated, no lambdas.)
 */
function parseIntegral(s: AstNode, target: CastTarget & { kind: 'integral' }): AstNode {
  const blank = String.raw`[\x00-\x20\x7f]*`;
  const valid = fn('regexp_full_match', s, str(`${blank}[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]*)${blank}`));
  // The sign and integral digits; none (`.5`, `-.`) reads as 0.
  const head = extract(structuredClone(s), `^${blank}([+-]?[0-9]*)`, 1);
  const integral = fn('regexp_replace', head, str('^([+-]?)$'), str(String.raw`\10`));
  return when([[valid, tryCast(integral, duckType(target.type))]]);
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
 * Whether Java's `BigDecimal.toString` prints a DECIMAL, given as DuckDB's plain text (`text()`
 * builds a fresh copy), in scientific notation: a positive scale and an adjusted exponent
 * (digits of the unscaled value − 1 − scale) below -6. Also gives the digits and exponent.
 * Written without lambdas, which keep DuckDB from matching GROUP BY expressions.
 */
function decimalParts(text: () => AstNode): { digits: AstNode; adjusted: AstNode; scientific: AstNode } {
  const scale = () => fn('length', extract(text(), String.raw`\.([0-9]+)$`, 1));
  const unscaled = fn(
    'ltrim',
    fn('replace', fn('replace', text(), str('-'), str('')), str('.'), str('')),
    str('0'),
  );
  const digits = coalesce(fn('nullif', unscaled, str('')), str('0'));
  const adjusted = sub(sub(fn('length', structuredClone(digits)), int(1)), scale());
  return { digits, adjusted, scientific: and(gt(scale(), int(0)), lt(structuredClone(adjusted), int(-6))) };
}

/**
 * Java's `BigDecimal.toString` of a DECIMAL printed plainly by DuckDB as `t` (`-0.00000120`):
 * plain unless the scale is positive and the adjusted exponent (digits of the unscaled value −
 * 1 − scale) is below -6, then `d.dddE-n`.
 */
function decimalToString(t: AstNode): AstNode {
  const text = () => structuredClone(t);
  const { digits, adjusted, scientific } = decimalParts(text);
  const d = () => structuredClone(digits);
  const mantissa = when(
    [[gt(fn('length', d()), int(1)), concat(fn('left', d(), int(1)), str('.'), fn('substr', d(), int(2)))]],
    d(),
  );
  const sign = when([[fn('starts_with', text(), str('-')), str('-')]], str(''));
  return when([[scientific, concat(sign, mantissa, str('E'), cast(adjusted, VARCHAR))]], text());
}

/**
 * The non-ANSI conversion of `x` (of `kind`) to `target` where it is not the ANSI one with its
 * failures read as NULL; undefined where it is.
 */
export function legacyConversion(kind: SourceKind, x: AstNode, target: CastTarget): Conversion | undefined {
  const text = tryCast(x, VARCHAR);
  if (target.kind === 'string' && kind === 'decimal') return value(decimalToString(text));
  if (target.kind !== 'integral') return undefined;
  switch (kind) {
    case 'string':
      return value(
        canonicalFirst(
          text,
          CANONICAL.integral,
          tryCast(text, duckType(target.type)),
          parseIntegral(text, target),
        ),
      );
    case 'integral':
      return value(narrowed(tryCast(x, HUGEINT), target));
    case 'decimal':
      // The integral digits of the plain text: truncation toward zero.
      return value(narrowed(cast(extract(text, '^(-?[0-9]+)', 1), HUGEINT), target));
    case 'float':
    case 'double': {
      const long = target.type === 'BIGINT';
      const whole = saturated(tryCast(x, DOUBLE), long);
      return value(
        long || target.type === 'INTEGER' ? cast(whole, duckType(target.type)) : narrowed(whole, target),
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

/**
 * Java's `BigDecimal.toString` of `x`, a DECIMAL (any expression, repeated): the text a non-ANSI
 * string function makes of it.
 */
export function javaDecimalText(x: AstNode): AstNode {
  return decimalToString(tryCast(x, VARCHAR));
}

/** Whether `x` is a DECIMAL (not a list of them), by DuckDB's `typeof` (folded when bound). */
function isDecimalValue(x: AstNode): AstNode {
  return and(
    fn('starts_with', fn('typeof', structuredClone(x)), str('DECIMAL(')),
    not(fn('ends_with', fn('typeof', structuredClone(x)), str('[]'))),
  );
}

/**
 * `x` (of a type the query's binding could not tell) made text by a string function with ANSI
 * mode off: Java's `BigDecimal.toString` when it is a DECIMAL, DuckDB's text otherwise — chosen
 * by DuckDB's `typeof`, which it folds when it binds the query.
 */
export function legacyTextOfAnyType(x: AstNode): AstNode {
  return when([[isDecimalValue(x), javaDecimalText(structuredClone(x))]], cast(structuredClone(x), VARCHAR));
}

/**
 * With ANSI mode off, Spark prints a DECIMAL with `BigDecimal.toString` wherever it converts
 * one to text (an argument of a string function, a `||` operand), and DuckDB's casts print it
 * plainly. Rewrites the translated query `root` in place:
 *
 * - a text conversion of a string function (a cast marked `SPARK_TEXT_KEY`) of a DECIMAL literal
 *   or cast prints it as Java does; of an operand of unknown type (a column, a computed value)
 *   it becomes a marker (`legacyTextMarker`) that the query's binding resolves to Java's text
 *   when the operand is a DECIMAL, to the plain cast otherwise (legacy-markers.ts);
 * - any other plain `CAST(… AS VARCHAR)` (a function's own use of text) whose operand is a
 *   column or a DECIMAL literal is guarded: a DECIMAL Java would print in scientific notation
 *   (exponent below -6) fails with LEGACY_MODE_UNSUPPORTED rather than become other text.
 *
 * Spark's own cast to STRING is translated exactly (`legacyConversion`, or a marker of
 * `sparkCast`), with casts the rewrite leaves alone. A DECIMAL-free query is unchanged in effect.
 */
export function legacyDecimalText(root: AstNode): void {
  const message = str(
    '[LEGACY_MODE_UNSUPPORTED] with spark.sql.ansi.enabled = false Spark prints this DECIMAL in scientific notation (BigDecimal.toString) where it becomes text; sluice does not',
  );
  // Written without lambdas (a lambda keeps DuckDB from matching a GROUP BY expression): the
  // operand is repeated.
  const guard = (node: AstNode): AstNode => {
    const child = node.child as AstNode;
    const text = (): AstNode => ({ ...node, child: structuredClone(child), alias: '' });
    const scientific = and(isDecimalValue(child), decimalParts(text).scientific);
    return { ...when([[scientific, fail(message, VARCHAR)]], text()), alias: node.alias ?? '' };
  };

  // Translated trees share nodes: each is rewritten once.
  const done = new Map<object, unknown>();
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    if (done.has(v)) return done.get(v);
    const node = v as AstNode;
    done.set(v, v);
    for (const k of Object.keys(node)) node[k] = walk(node[k]) as AstNode[string];
    if (
      node.class === 'CAST' &&
      node.try_cast !== true &&
      (node as { [SPARK_CAST_NODE]?: boolean })[SPARK_CAST_NODE] !== true &&
      typeof node.cast_type === 'object' &&
      node.cast_type !== null &&
      (node.cast_type as AstNode).id === 'VARCHAR' &&
      typeof node.child === 'object' &&
      node.child !== null
    ) {
      const child = node.child as AstNode;
      const known = staticSource(child);
      let out: AstNode;
      if (node[SPARK_TEXT_KEY] === true) {
        if (known && known.kind !== 'decimal') return node;
        out = known ? javaDecimalText(child) : legacyTextMarker(child);
      } else {
        // A column, or a DECIMAL literal: an operand that is cheap to repeat.
        if (known ? known.kind !== 'decimal' : child.class !== 'COLUMN_REF') return node;
        out = guard(node);
      }
      out = { ...out, alias: node.alias ?? '' };
      done.set(v, out);
      return out;
    }
    return node;
  };
  walk(root);
}
