/**
 * Spark's implicit conversions of function arguments (ANSI mode; with ANSI mode off, `c.legacy`,
 * text Spark cannot read is NULL instead of an error) to DATE, TIMESTAMP,
 * TIMESTAMP_NTZ, TIME, INT and DECIMAL, written in DuckDB SQL.
 *
 * Strings follow Spark's own grammar (`DateTimeUtils.stringToDate` / `parseTimestampString`),
 * not DuckDB's casts, which read other text (`2016/07/30`, `infinity`, `epoch`) and place a zone
 * differently: a string is matched against a regular expression of Spark's grammar, its fields
 * are assembled into the value, and a string Spark cannot read raises CAST_INVALID_INPUT at run
 * time, as Spark does. Zones in strings: `Z`, every numeric offset form Java accepts, `UTC` /
 * `GMT` / `UT` with or without an offset, Java's short ids, and region ids (`Europe/Paris`, read
 * by DuckDB's ICU). A local time that a zone repeats (the hour a clock turns back) is the earlier
 * instant, as in Java. Sessions run in UTC, so an instant's local time is its UTC wall clock.
 */
import { type AstNode, constantText } from '../ast.ts';
import { constantDate, constantTimestampMicros } from './datetime-constants.ts';
import {
  and,
  big,
  bind,
  byType,
  cast,
  cmp,
  concat,
  describeKind,
  field,
  fn,
  groupInt,
  instantOf,
  int,
  isNull,
  listOf,
  MICROS_PER_HOUR,
  MICROS_PER_MINUTE,
  MICROS_PER_SECOND,
  messageWith,
  not,
  nullOf,
  op,
  or,
  raise,
  staticKind,
  str_,
  TSTZ,
  type TypeKind,
  typed,
  wallClock,
  when,
} from './datetime-sql.ts';
import { zonedInstant } from './datetime-zones.ts';
import type { FunctionCall } from './rules.ts';

export { instantOf, listOf, wallClock } from './datetime-sql.ts';
export { instantInZone, wallClockInZone } from './datetime-zones.ts';

/** What a conversion needs of its call: a name for messages and compile-time refusal. */
type Call = Pick<FunctionCall, 'name' | 'unsupported' | 'legacy'>;

/** Spark trims bytes that are whitespace or ISO control characters around datetime strings. */
const WS = '[\\x00-\\x20\\x7f]';

/**
 * A type Spark does not convert here: refused when the argument's type is known while compiling,
 * else an error when the query runs.
 */
function typeError(c: Call, target: string, resultType: string) {
  return (_x: AstNode, kind: TypeKind | undefined): AstNode => {
    const message = `${c.name}() cannot take ${describeKind(kind)} where Spark expects ${target}`;
    if (kind !== undefined) c.unsupported(message);
    return raise(`[DATATYPE_MISMATCH] ${message}`, resultType);
  };
}

/**
 * `[CAST_INVALID_INPUT] The value '<s>' cannot be read as <target> (in <fn>())`; NULL with ANSI
 * mode off (Spark's non-ANSI cast of text it cannot read), unless `legacyNull` is false: then
 * the non-ANSI reading differs from the ANSI grammar (an INT from `1.5`) and sluice refuses it.
 */
function invalidInput(c: Call, s: AstNode, target: string, resultType: string, legacyNull = true): AstNode {
  if (c.legacy === true) {
    if (legacyNull) return nullOf(resultType);
    return raise(
      messageWith(
        `[LEGACY_MODE_UNSUPPORTED] with spark.sql.ansi.enabled = false, sluice does not read the text '`,
        s,
        `' as ${target} (in ${c.name}())`,
      ),
      resultType,
    );
  }
  return raise(
    messageWith(`[CAST_INVALID_INPUT] The value '`, s, `' cannot be read as ${target} (in ${c.name}())`),
    resultType,
  );
}

/**
 * `CAST(x AS type)` of text already matched to a date layout; with ANSI mode off a TRY_CAST,
 * since a day that does not exist (`2020-02-30`) is NULL there, not an error.
 */
function castText(c: Call, x: AstNode, type: string): AstNode {
  const out = cast(x, type);
  return c.legacy === true ? { ...out, try_cast: true } : out;
}

/** `make_date(…)`; with ANSI mode off NULL for a day that does not exist (DuckDB `try`). */
function makeDate(c: Call, ...args: AstNode[]): AstNode {
  const date = fn('make_date', ...args);
  return c.legacy === true ? fn('try', date) : date;
}

/** The text of a string literal, else undefined. */
function constantString(s: AstNode): string | undefined {
  if (s.class !== 'CONSTANT' || staticKind(s) !== 'string') return undefined;
  return constantText(s);
}

/** A string literal's timestamp as microseconds (when settled while compiling and exact as a number). */
function constantMicros(s: AstNode, local: boolean): number | undefined {
  const text = constantString(s);
  const micros = text === undefined ? undefined : constantTimestampMicros(text, local);
  if (
    micros === undefined ||
    micros > BigInt(Number.MAX_SAFE_INTEGER) ||
    micros < -BigInt(Number.MAX_SAFE_INTEGER)
  ) {
    return undefined;
  }
  return Number(micros);
}

// ---------------------------------------------------------------------------------------------
// DATE

const DATE_STRING = `(?s)^${WS}*([+-]?)([0-9]{4,7})(?:-([0-9]{1,2})(?:-([0-9]{1,2})(?:[ T].*)?)?)?${WS}*$`;

/** `yyyy-MM-dd` and what follows a space or `T`: DuckDB's cast of the first ten characters agrees. */
const PLAIN_DATE = '(?s)[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T].*)?';

/** Spark's `stringToDate` (ANSI): `[+-]yyyy[-m[m][-d[d][ |T…]]]`, else CAST_INVALID_INPUT. */
export function stringToDate(c: Call, s: AstNode): AstNode {
  const text = constantString(s);
  const known = text === undefined ? undefined : constantDate(text);
  if (known) return fn('make_date', int(known.year), int(known.month), int(known.day));
  return bind(s, 'dt_s', (s) =>
    when(
      [
        [isNull(s), nullOf('DATE')],
        [fn('regexp_full_match', s, str_(PLAIN_DATE)), castText(c, fn('substr', s, int(1), int(10)), 'DATE')],
      ],
      bind(fn('regexp_extract', s, str_(DATE_STRING), listOf(['sign', 'y', 'm', 'd'])), 'dt_g', (g) =>
        when(
          [[cmp(field(g, 'y'), '=', str_('')), invalidInput(c, s, 'a DATE', 'DATE')]],
          makeDate(
            c,
            cast(concat(field(g, 'sign'), field(g, 'y')), 'INTEGER'),
            groupInt(field(g, 'm'), 1),
            groupInt(field(g, 'd'), 1),
          ),
        ),
      ),
    ),
  );
}

/** Spark's implicit conversion to DATE: strings as `stringToDate`, timestamps at their local date. */
export function toDate(c: Call, x: AstNode): AstNode {
  return typed(
    byType(
      x,
      {
        date: (d) => d,
        timestamp_tz: (t) => cast(wallClock(t), 'DATE'),
        timestamp_ntz: (t) => cast(t, 'DATE'),
        string: (s) => stringToDate(c, s),
        null: () => nullOf('DATE'),
      },
      typeError(c, 'a DATE', 'DATE'),
    ),
    'DATE',
  );
}

// ---------------------------------------------------------------------------------------------
// TIMESTAMP

const TIMESTAMP_STRING =
  `(?s)^${WS}*([+-]?)([0-9]{4,6})(?:-([0-9]{1,2})(?:-([0-9]{1,2})` +
  `(?:[ T]([0-9]{1,2})(?::([0-9]{1,2})(?::([0-9]{1,2})(\\.[0-9]*)?([^0-9].*?)?)?)?)?)?)?${WS}*$`;

const TIMESTAMP_GROUPS = ['sign', 'y', 'mo', 'd', 'h', 'mi', 's', 'frac', 'zone'];

/**
 * The common shapes (`yyyy-MM-dd[( |T)HH:mm[:ss[.f…]]]`, fields in range, then `Z` or `±hh:mm`
 * for an instant) that DuckDB's own cast reads as Spark does; other text takes the full grammar.
 */
const PLAIN_TIMESTAMP =
  '[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\\.[0-9]{1,9})?)?)?';
const PLAIN_OFFSET = '(?:Z|[+-](?:0[0-9]|1[0-7]):[0-5][0-9])?';

/** The first six digits of a `.ddd…` group, right-padded, as microseconds (BIGINT). */
function fractionMicros(frac: AstNode): AstNode {
  return cast(fn('rpad', fn('substr', frac, int(2), int(6)), int(6), str_('0')), 'BIGINT');
}

/** `date + h:mi:s.micros` as a TIMESTAMP; the caller has checked the time fields' ranges. */
export function localDateTime(date: AstNode, h: AstNode, mi: AstNode, s: AstNode, micros: AstNode): AstNode {
  const us = op(
    '+',
    op(
      '+',
      op(
        '+',
        op('*', cast(h, 'BIGINT'), big(MICROS_PER_HOUR)),
        op('*', cast(mi, 'BIGINT'), big(MICROS_PER_MINUTE)),
      ),
      op('*', cast(s, 'BIGINT'), big(MICROS_PER_SECOND)),
    ),
    micros,
  );
  return op('+', cast(date, 'TIMESTAMP'), fn('to_microseconds', us));
}

interface ParsedTimestamp {
  /** The string did not match, or an hour, minute or second is out of range. */
  readonly invalid: AstNode;
  /** The local date-time the string names (evaluate only when valid). */
  readonly local: AstNode;
  /** The zone text (trimmed), `''` when none. */
  readonly zone: AstNode;
}

/** `body` over the parts of a timestamp string in Spark's grammar (matched once per row). */
function withTimestampString(c: Call, s: AstNode, body: (p: ParsedTimestamp) => AstNode): AstNode {
  return bind(fn('regexp_extract', s, str_(TIMESTAMP_STRING), listOf(TIMESTAMP_GROUPS)), 'dt_g', (g) => {
    const f = (name: string) => field(g, name);
    const [h, mi, sec] = [groupInt(f('h'), 0), groupInt(f('mi'), 0), groupInt(f('s'), 0)];
    const date = makeDate(
      c,
      cast(concat(f('sign'), f('y')), 'INTEGER'),
      groupInt(f('mo'), 1),
      groupInt(f('d'), 1),
    );
    return body({
      invalid: or(
        cmp(f('y'), '=', str_('')),
        cmp(h, '>', int(23)),
        cmp(mi, '>', int(59)),
        cmp(sec, '>', int(59)),
      ),
      local: localDateTime(date, h, mi, sec, fractionMicros(f('frac'))),
      zone: fn('trim', f('zone')),
    });
  });
}

/** Spark's `stringToTimestamp` (ANSI) in a UTC session, as an instant. */
export function stringToTimestamp(c: Call, s: AstNode): AstNode {
  const known = constantMicros(s, false);
  if (known !== undefined) return fn('make_timestamptz', big(known));
  return bind(s, 'dt_s', (s) =>
    when(
      [
        [isNull(s), nullOf(TSTZ)],
        // Without an offset, DuckDB's cast to TIMESTAMP (no time-zone calendar) is much faster.
        [fn('regexp_full_match', s, str_(PLAIN_TIMESTAMP)), instantOf(castText(c, s, 'TIMESTAMP'))],
        [fn('regexp_full_match', s, str_(PLAIN_TIMESTAMP + PLAIN_OFFSET)), castText(c, s, TSTZ)],
      ],
      withTimestampString(c, s, (p) =>
        when(
          [
            [p.invalid, invalidInput(c, s, 'a TIMESTAMP', TSTZ)],
            [cmp(p.zone, '=', str_('')), instantOf(p.local)],
          ],
          zonedInstant(c, p.local, p.zone, s),
        ),
      ),
    ),
  );
}

/** Spark's string → TIMESTAMP_NTZ (ANSI): the local date-time; a zone is checked, then dropped. */
export function stringToLocalTimestamp(c: Call, s: AstNode): AstNode {
  const known = constantMicros(s, true);
  if (known !== undefined) return fn('make_timestamp', big(known));
  return bind(s, 'dt_s', (s) =>
    when(
      [
        [isNull(s), nullOf('TIMESTAMP')],
        [fn('regexp_full_match', s, str_(PLAIN_TIMESTAMP)), castText(c, s, 'TIMESTAMP')],
      ],
      withTimestampString(c, s, (p) =>
        when(
          [
            [p.invalid, invalidInput(c, s, 'a TIMESTAMP_NTZ', 'TIMESTAMP')],
            [cmp(p.zone, '=', str_('')), p.local],
            [not(isNull(zonedInstant(c, p.local, p.zone, s))), p.local],
          ],
          nullOf('TIMESTAMP'),
        ),
      ),
    ),
  );
}

/** Spark's implicit conversion to TIMESTAMP (an instant): dates at midnight UTC, strings parsed. */
export function toInstant(c: Call, x: AstNode): AstNode {
  return typed(
    byType(
      x,
      {
        timestamp_tz: (t) => t,
        timestamp_ntz: (t) => instantOf(t),
        date: (d) => instantOf(cast(d, 'TIMESTAMP')),
        string: (s) => stringToTimestamp(c, s),
        null: () => nullOf(TSTZ),
      },
      typeError(c, 'a TIMESTAMP', TSTZ),
    ),
    TSTZ,
  );
}

/** Spark's implicit conversion to TIMESTAMP_NTZ: instants at their UTC wall clock. */
export function toLocal(c: Call, x: AstNode): AstNode {
  return typed(
    byType(
      x,
      {
        timestamp_ntz: (t) => t,
        timestamp_tz: (t) => wallClock(t),
        date: (d) => cast(d, 'TIMESTAMP'),
        string: (s) => stringToLocalTimestamp(c, s),
        null: () => nullOf('TIMESTAMP'),
      },
      typeError(c, 'a TIMESTAMP_NTZ', 'TIMESTAMP'),
    ),
    'TIMESTAMP',
  );
}

// ---------------------------------------------------------------------------------------------
// TIME

const TIME_STRING = `(?s)^(?:T|${WS}*)([0-9]{1,2}):([0-9]{1,2})(?::([0-9]{1,2})(\\.[0-9]*)?)?${WS}*(?:([AaPp])[Mm] *)?$`;

/** Spark 4.1's `stringToTime` (ANSI): `[h]h:[m]m[:[s]s[.f…]][ AM|PM]`, else CAST_INVALID_INPUT. */
export function stringToTime(c: Call, s: AstNode): AstNode {
  return bind(s, 'dt_s', (s) =>
    bind(
      fn('regexp_extract', s, str_(TIME_STRING), listOf(['h', 'mi', 's', 'frac', 'ampm'])),
      'dt_g',
      (g) => {
        const f = (name: string) => field(g, name);
        const h = groupInt(f('h'), 0);
        const ampm = fn('upper', f('ampm'));
        const hour24 = when(
          [
            [cmp(ampm, '=', str_('')), h],
            [cmp(ampm, '=', str_('A')), op('%', h, int(12))],
          ],
          op('+', op('%', h, int(12)), int(12)),
        );
        const hourOk = when(
          [[cmp(ampm, '=', str_('')), cmp(h, '<=', int(23))]],
          and(cmp(h, '>=', int(1)), cmp(h, '<=', int(12))),
        );
        const [mi, sec] = [groupInt(f('mi'), 0), groupInt(f('s'), 0)];
        const micros = op(
          '+',
          op(
            '+',
            op(
              '+',
              op('*', cast(hour24, 'BIGINT'), big(MICROS_PER_HOUR)),
              op('*', cast(mi, 'BIGINT'), big(MICROS_PER_MINUTE)),
            ),
            op('*', cast(sec, 'BIGINT'), big(MICROS_PER_SECOND)),
          ),
          fractionMicros(f('frac')),
        );
        return when(
          [
            [cmp(f('h'), '=', str_('')), invalidInput(c, s, 'a TIME', 'TIME')],
            [
              not(and(hourOk, cmp(mi, '<=', int(59)), cmp(sec, '<=', int(59)))),
              invalidInput(c, s, 'a TIME', 'TIME'),
            ],
          ],
          timeOfMicros(micros),
        );
      },
    ),
  );
}

/** A TIME from microseconds since midnight (0 ≤ micros < one day). */
export const timeOfMicros = (micros: AstNode) =>
  cast(op('+', cast(str_('00:00:00'), 'TIME'), fn('to_microseconds', micros)), 'TIME');

/** Microseconds since midnight of a TIME (BIGINT). */
export const microsOfTime = (time: AstNode) => fn('epoch_us', time);

// ---------------------------------------------------------------------------------------------
// Numbers

/**
 * Spark's implicit conversion to INT (ANSI): integers checked for overflow, fractional numbers
 * truncated toward zero, strings of digits read; anything else fails.
 */
export function toInt(c: Call, x: AstNode, type: 'INTEGER' | 'BIGINT' = 'INTEGER'): AstNode {
  return typed(
    byType(
      x,
      {
        integral: (n) => cast(n, type),
        fractional: (n) => cast(fn('trunc', n), type),
        decimal: (n) => cast(fn('trunc', n), type),
        string: (s) =>
          when(
            [[fn('regexp_full_match', s, str_(`${WS}*[+-]?[0-9]+${WS}*`)), cast(fn('trim', s), type)]],
            invalidInput(c, s, type === 'INTEGER' ? 'an INT' : 'a BIGINT', type, false),
          ),
        null: () => nullOf(type),
      },
      typeError(c, type === 'INTEGER' ? 'an INT' : 'a BIGINT', type),
    ),
    type,
  );
}

/** Spark's implicit conversion to DECIMAL(p,s) (ANSI): numbers and numeric strings, rounded half up. */
export function toDecimal(c: Call, x: AstNode, type: string): AstNode {
  return byType(
    x,
    {
      integral: (n) => cast(n, type),
      fractional: (n) => cast(n, type),
      decimal: (n) => cast(n, type),
      string: (s) =>
        when(
          [
            [
              fn(
                'regexp_full_match',
                s,
                str_(`${WS}*[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?${WS}*`),
              ),
              cast(fn('trim', s), type),
            ],
          ],
          invalidInput(c, s, 'a DECIMAL', type),
        ),
      null: () => nullOf(type),
    },
    typeError(c, 'a number', type),
  );
}

/** Spark's implicit conversion to STRING for a pattern or unit argument given as a column. */
export function toText(c: Call, x: AstNode): AstNode {
  return byType(x, { string: (s) => s, null: () => nullOf('VARCHAR') }, typeError(c, 'a STRING', 'VARCHAR'));
}
