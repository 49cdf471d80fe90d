/**
 * Spark 4.1's `CAST` with ANSI mode on, one rule per (kind of value, target type), as DuckDB
 * expressions. A rule gives the converted value — NULL where Spark fails (or, for TRY_CAST,
 * returns NULL) — and the failures that NULL stands for, in order; or says that Spark refuses
 * the cast at analysis (`mismatch`), or that sluice cannot compute Spark's value (`unsupported`).
 *
 * Facts the rules encode (DuckDB differs on each): a fractional value is truncated toward zero
 * when cast to an integral type (DuckDB rounds); a number cast to TIMESTAMP is seconds since the
 * epoch, a TIMESTAMP cast to a number is seconds (BIGINT floors, DOUBLE keeps the fraction);
 * a DOUBLE cast to DECIMAL rounds its shortest decimal digits HALF_UP (not its binary value);
 * NaN and ±Infinity cast to DECIMAL are NULL and a DOUBLE too large for FLOAT is ±Infinity;
 * DATE and TIMESTAMP_NTZ do not cast to numbers, nor numbers to DATE; DOUBLE and FLOAT print
 * as Java does (`1.0E10`, `1.0E-4`, `NaN`, `Infinity`).
 *
 * Each rule reads its value through `TRY_CAST(x AS <its type>)` (a no-op when `x` has that
 * type), so that it also binds in the branches of a type dispatch that are never taken.
 */
import type { AstNode } from './ast.ts';
import { arrayToArray, arrayToText } from './cast-arrays.ts';
import {
  and,
  attempt,
  bigint,
  cast,
  concat,
  div,
  double,
  duckType,
  eq,
  extract,
  floorDiv,
  fn,
  ge,
  int,
  isIn,
  le,
  mul,
  ne,
  not,
  nul,
  str,
  tryCast,
  when,
} from './cast-ast.ts';
import {
  type CastEnv,
  type Conversion,
  MISMATCH,
  malformed,
  overflow,
  sourceTypeName,
  unsupportedValue,
  value,
} from './cast-env.ts';
import { legacyConversion, legacyFailures } from './cast-legacy.ts';
import {
  CANONICAL,
  canonicalFirst,
  decimalText,
  formatFractional,
  integralText,
  parseBoolean,
  parseDate,
  parseFractional,
  parseTimestamp,
} from './cast-text.ts';
import { type CastTarget, duckTypeOf, type SourceKind } from './cast-types.ts';

export type { CastEnv, Conversion, Failure } from './cast-env.ts';

const VARCHAR = duckType('VARCHAR');
const BIGINT = duckType('BIGINT');
const HUGEINT = duckType('HUGEINT');
const DOUBLE = duckType('DOUBLE');
const FLOAT = duckType('FLOAT');
const BOOLEAN = duckType('BOOLEAN');
const DATE = duckType('DATE');
const TIMESTAMP = duckType('TIMESTAMP');
const TIMESTAMPTZ = duckType('TIMESTAMP WITH TIME ZONE');
const BLOB = duckType('BLOB');

/** The common spellings of Spark's boolean words, tested before the full (trimmed, any case) rule. */
const TRUE_WORDS = ['true', 'TRUE', 'True', 't', '1', 'yes', 'y'];
const FALSE_WORDS = ['false', 'FALSE', 'False', 'f', '0', 'no', 'n'];

/**
 * The value of `x` (of `kind`) cast to `target` as Spark casts it (see the module comment);
 * with `env.legacy`, as Spark's non-ANSI cast does (cast-legacy.ts).
 */
export function convert(kind: SourceKind, x: AstNode, target: CastTarget, env: CastEnv): Conversion {
  if (kind === 'null') return value(cast(nul(), duckTypeOf(target)));
  if (!env.legacy) return ansiConvert(kind, x, target, env);
  const legacy = legacyConversion(kind, x, target);
  if (legacy) return legacy;
  const ansi = ansiConvert(kind, x, target, env);
  if (ansi.kind !== 'value') return ansi;
  // The cast raises only `always` failures in legacy mode: the rest are NULLs.
  return { ...ansi, failures: [...legacyFailures(kind, x, target, ansi.failures), ...ansi.failures] };
}

function ansiConvert(kind: SourceKind, x: AstNode, target: CastTarget, env: CastEnv): Conversion {
  switch (target.kind) {
    case 'string':
      return toText(kind, x, env);
    case 'boolean':
      return toBoolean(kind, x, target, env);
    case 'integral':
      return toIntegral(kind, x, target, env);
    case 'fractional':
      return toFractional(kind, x, target, env);
    case 'decimal':
      return toDecimal(kind, x, target, env);
    case 'date':
      return toDate(kind, x, target, env);
    case 'timestamp':
    case 'timestamp_ntz':
      return toTimestamp(kind, x, target, env);
    case 'binary':
      if (kind === 'string') return value(fn('encode', tryCast(x, VARCHAR)));
      return kind === 'binary' ? value(tryCast(x, BLOB)) : MISMATCH;
    case 'array':
      if (kind !== 'array') return MISMATCH;
      return arrayToArray(x, target.element, env);
    case 'complex':
      return { kind: 'unsupported', reason: `casting a value to ${target.name}` };
    default: {
      const never: never = target;
      return never;
    }
  }
}

const text = (x: AstNode) => tryCast(x, VARCHAR);

function toText(kind: SourceKind, x: AstNode, env: CastEnv): Conversion {
  switch (kind) {
    case 'string':
    case 'boolean':
    case 'integral':
    case 'decimal':
      // DuckDB prints these as Spark does (a DECIMAL in plain notation, as ANSI mode does).
      return value(text(x));
    case 'double':
      return value(formatFractional(tryCast(x, DOUBLE), env.bind));
    case 'float':
      return value(formatFractional(tryCast(x, FLOAT), env.bind));
    case 'date': {
      const d = tryCast(x, DATE);
      const inRange = and(ge(fn('year', d), int(1)), le(fn('year', d), int(9999)));
      return value(when([[inRange, cast(d, VARCHAR)]]), [
        unsupportedValue('sluice prints dates of years 1 to 9999 only', env),
      ]);
    }
    case 'timestamp':
    case 'timestamp_ntz': {
      // In the session time zone (UTC), without the zone, the fraction without trailing zeros.
      const local = kind === 'timestamp' ? localOf(x) : tryCast(x, TIMESTAMP);
      const inRange = and(ge(fn('year', local), int(1)), le(fn('year', local), int(9999)));
      return value(when([[inRange, cast(local, VARCHAR)]]), [
        unsupportedValue('sluice prints timestamps of years 1 to 9999 only', env),
      ]);
    }
    case 'binary': {
      // Spark decodes UTF-8, replacing invalid bytes; sluice fails on them instead.
      return value(
        env.bind(tryCast(x, BLOB), (b) => attempt(fn('decode', b))),
        [unsupportedValue('a BINARY value that is not valid UTF-8 cannot be cast to STRING by sluice', env)],
      );
    }
    case 'array':
      return arrayToText(x, env);
    default:
      return { kind: 'unsupported', reason: 'casting this type to STRING' };
  }
}

function toBoolean(kind: SourceKind, x: AstNode, target: CastTarget, env: CastEnv): Conversion {
  switch (kind) {
    case 'string':
      return value(
        when(
          [
            [isIn(text(x), TRUE_WORDS.map(str)), cast(str('t'), BOOLEAN)],
            [isIn(text(x), FALSE_WORDS.map(str)), cast(str('f'), BOOLEAN)],
          ],
          parseBoolean(text(x), env.bind),
        ),
        [malformed(text(x), target, env)],
      );
    case 'boolean':
      return value(tryCast(x, BOOLEAN));
    case 'integral':
    case 'decimal':
    case 'float':
    case 'double':
      // Zero is false, anything else (NaN too) true; every nonzero DECIMAL is nonzero as DOUBLE.
      return value(ne(tryCast(x, DOUBLE), double('0')));
    default:
      return MISMATCH;
  }
}

/** DOUBLE `d` truncated toward zero and narrowed to `type`; NULL when it does not fit (NaN too). */
function truncateDouble(d: AstNode, type: CastTarget & { kind: 'integral' }): AstNode {
  const t = fn('trunc', d);
  // Java's range test compares with Long.MAX_VALUE as a double (2^63), then saturates.
  if (type.type === 'BIGINT')
    return when([[eq(t, double('9223372036854775808')), bigint('9223372036854775807')]], tryCast(t, BIGINT));
  return tryCast(t, duckType(type.type));
}

/** Whole seconds since the epoch of TIMESTAMP `x` (rounded down). */
function epochSeconds(x: AstNode): AstNode {
  const micros = fn('epoch_us', tryCast(x, TIMESTAMPTZ));
  // DuckDB's `//` and `%` truncate toward zero; Spark's Math.floorDiv rounds down.
  const below = fn('%', fn('+', fn('%', micros, bigint('1000000')), bigint('1000000')), bigint('1000000'));
  return floorDiv(fn('-', micros, below), bigint('1000000'));
}

/** Seconds since the epoch (with fraction) of TIMESTAMP `x`, as a DOUBLE. */
function epochSecondsDouble(x: AstNode): AstNode {
  return div(cast(fn('epoch_us', tryCast(x, TIMESTAMPTZ)), DOUBLE), double('1000000'));
}

function toIntegral(
  kind: SourceKind,
  x: AstNode,
  target: CastTarget & { kind: 'integral' },
  env: CastEnv,
): Conversion {
  const type = duckType(target.type);
  const over = [overflow(text(x), sourceTypeName(x, kind), target, env)];
  switch (kind) {
    case 'string':
      return value(
        canonicalFirst(
          text(x),
          CANONICAL.integral,
          tryCast(text(x), type),
          tryCast(integralText(text(x)), type),
        ),
        [malformed(text(x), target, env)],
      );
    case 'boolean':
      return value(cast(tryCast(x, BOOLEAN), type));
    case 'integral':
      return value(tryCast(x, type), over);
    case 'decimal':
      // The integral digits of the plain text: truncation toward zero.
      return value(tryCast(extract(text(x), '^(-?[0-9]+)', 1), type), over);
    case 'float':
    case 'double':
      return value(truncateDouble(tryCast(x, DOUBLE), target), over);
    case 'timestamp': {
      const seconds = epochSeconds(x);
      if (target.type === 'BIGINT') return value(seconds);
      return value(tryCast(seconds, type), over);
    }
    default:
      return MISMATCH;
  }
}

function toFractional(
  kind: SourceKind,
  x: AstNode,
  target: CastTarget & { kind: 'fractional' },
  env: CastEnv,
): Conversion {
  const type = duckType(target.type);
  switch (kind) {
    case 'string':
      return value(
        canonicalFirst(
          text(x),
          CANONICAL.number,
          tryCast(text(x), type),
          parseFractional(text(x), target.type, env.bind),
        ),
        [malformed(text(x), target, env)],
      );
    case 'boolean':
      return value(cast(tryCast(x, BOOLEAN), type));
    case 'integral':
      return value(tryCast(x, type));
    case 'decimal':
      // Through the exact digits: correctly rounded, as Java's BigDecimal.doubleValue.
      return value(tryCast(text(x), type));
    case 'float':
      return value(tryCast(x, type));
    case 'double':
      return value(target.type === 'DOUBLE' ? tryCast(x, DOUBLE) : doubleToFloat(tryCast(x, DOUBLE)));
    case 'timestamp': {
      const d = epochSecondsDouble(x);
      return value(target.type === 'DOUBLE' ? d : cast(d, FLOAT));
    }
    default:
      return MISMATCH;
  }
}

/** Java's `(float) d`: nearest FLOAT, ±Infinity beyond the largest (DuckDB fails there). */
function doubleToFloat(d: AstNode): AstNode {
  const beyond = ge(fn('abs', d), double('3.4028235677973366e38'));
  return when(
    [
      [fn('isnan', d), cast(d, FLOAT)],
      [and(beyond, ge(d, double('0'))), cast(str('Infinity'), FLOAT)],
      [beyond, cast(str('-Infinity'), FLOAT)],
    ],
    cast(d, FLOAT),
  );
}

function toDecimal(
  kind: SourceKind,
  x: AstNode,
  target: CastTarget & { kind: 'decimal' },
  env: CastEnv,
): Conversion {
  const type = duckTypeOf(target);
  const over = [overflow(text(x), sourceTypeName(x, kind), target, env)];
  switch (kind) {
    case 'string': {
      const digits = decimalText(text(x));
      return value(tryCast(digits, type), [
        malformed(text(x), target, env, eq(digits, str(''))),
        overflow(text(x), str('STRING'), target, env),
      ]);
    }
    case 'boolean':
      return value(tryCast(when([[tryCast(x, BOOLEAN), int(1)]], int(0)), type), over);
    case 'integral':
    case 'decimal':
      // DuckDB rounds a DECIMAL half away from zero, Spark's ROUND_HALF_UP.
      return value(tryCast(x, type), over);
    case 'float':
    case 'double':
    case 'timestamp': {
      // Spark reads a DOUBLE's shortest decimal digits (Double.toString); NaN and ±Infinity are NULL.
      const d = kind === 'timestamp' ? epochSecondsDouble(x) : tryCast(x, DOUBLE);
      return value(tryCast(cast(d, VARCHAR), type), [
        overflow(text(x), sourceTypeName(x, kind), target, env, fn('isfinite', d)),
      ]);
    }
    default:
      return MISMATCH;
  }
}

function toDate(kind: SourceKind, x: AstNode, target: CastTarget, env: CastEnv): Conversion {
  switch (kind) {
    case 'string':
      return value(
        canonicalFirst(text(x), CANONICAL.date, tryCast(text(x), DATE), parseDate(text(x), env.bind)),
        [malformed(text(x), target, env)],
      );
    case 'date':
      return value(tryCast(x, DATE));
    case 'timestamp':
      // The day in the session time zone (UTC).
      return value(cast(localOf(x), DATE));
    case 'timestamp_ntz':
      return value(cast(tryCast(x, TIMESTAMP), DATE));
    default:
      return MISMATCH;
  }
}

/** TIMESTAMP (an instant) of `micros` microseconds since the epoch. */
function instantOf(micros: AstNode, env: CastEnv): AstNode {
  // DuckDB's `try` refuses a volatile function (its `error`) inside: the value is bound first.
  return env.bind(micros, (m) => attempt(fn('make_timestamptz', m)));
}

/**
 * The local date-time in the session time zone of TIMESTAMP `x`. Sessions run in UTC, so it is
 * the UTC wall clock, computed from the epoch (DuckDB's time-zone calendar is far slower).
 */
function localOf(x: AstNode): AstNode {
  return fn('make_timestamp', fn('epoch_us', tryCast(x, TIMESTAMPTZ)));
}

/** The instant of a local date-time (TIMESTAMP / DATE) in the session time zone (UTC). */
function instantOfLocal(local: AstNode): AstNode {
  return fn('make_timestamptz', fn('epoch_us', local));
}

function toTimestamp(kind: SourceKind, x: AstNode, target: CastTarget, env: CastEnv): Conversion {
  const ntz = target.kind === 'timestamp_ntz';
  switch (kind) {
    case 'string':
      return stringToTimestamp(x, target, env);
    case 'date':
      // Midnight in the session time zone (UTC).
      return value(
        ntz ? cast(tryCast(x, DATE), TIMESTAMP) : instantOfLocal(cast(tryCast(x, DATE), TIMESTAMP)),
      );
    case 'timestamp':
      return value(ntz ? localOf(x) : tryCast(x, TIMESTAMPTZ));
    case 'timestamp_ntz':
      return value(ntz ? tryCast(x, TIMESTAMP) : instantOfLocal(tryCast(x, TIMESTAMP)));
    default:
      break;
  }
  if (ntz) return MISMATCH;
  const over = [overflow(text(x), sourceTypeName(x, kind), target, env)];
  switch (kind) {
    case 'integral':
      // Seconds since the epoch.
      return value(instantOf(tryCast(mul(tryCast(x, HUGEINT), bigint('1000000')), BIGINT), env), over);
    case 'decimal': {
      // Microseconds truncated toward zero: the integral digits, then six of the fraction.
      const t = text(x);
      const micros = concat(
        extract(t, '^(-?[0-9]+)', 1),
        fn('rpad', fn('left', extract(t, String.raw`\.([0-9]*)$`, 1), int(6)), int(6), str('0')),
      );
      return value(instantOf(tryCast(micros, BIGINT), env), over);
    }
    case 'float':
    case 'double': {
      const d = tryCast(x, DOUBLE);
      const micros = tryCast(fn('trunc', mul(d, double('1000000'))), BIGINT);
      return value(when([[fn('isfinite', d), instantOf(micros, env)]]), [
        {
          when: not(fn('isfinite', d)),
          code: 'CAST_INVALID_INPUT',
          message: concat(
            str('The value '),
            text(x),
            str(
              ` of the type "${kind === 'float' ? 'FLOAT' : 'DOUBLE'}" cannot be cast to "TIMESTAMP" because it is malformed; use try_cast to get NULL instead${env.at}`,
            ),
          ),
        },
        ...over,
      ]);
    }
    default:
      return MISMATCH;
  }
}

function stringToTimestamp(x: AstNode, target: CastTarget, env: CastEnv): Conversion {
  const refuse = (reason: string) => str(`[UNSUPPORTED_CAST] ${reason}${env.at}`);
  const parsed = parseTimestamp(
    text(x),
    target.kind === 'timestamp_ntz',
    {
      region: refuse(
        'sluice reads a zone in timestamp text as an offset (Z, UTC, +hh:mm), not a region name',
      ),
      timeOnly: refuse(
        'sluice does not read a time without a date as a timestamp (Spark dates it with the current day)',
      ),
    },
    env.bind,
  );
  const ntz = target.kind === 'timestamp_ntz';
  const fast = tryCast(text(x), ntz ? TIMESTAMP : TIMESTAMPTZ);
  return value(canonicalFirst(text(x), ntz ? CANONICAL.timestampNtz : CANONICAL.timestamp, fast, parsed), [
    malformed(text(x), target, env),
  ]);
}
