/**
 * Spark's text conversions, written as DuckDB expressions: how Spark 4.1 reads a STRING as a
 * number, boolean, date or timestamp (`CAST(s AS …)` with ANSI mode on), and how it prints a
 * DOUBLE / FLOAT (Java's `Double.toString`). Every parser gives NULL for text Spark rejects; the
 * caller (`cast-conversions.ts`) turns that NULL into Spark's error or keeps it (TRY_CAST).
 *
 * The grammars follow Spark's own parsers (`UTF8String.toLong`, `StringUtils.isTrueString`,
 * `java.lang.Double.parseDouble`, `java.math.BigDecimal(String)`, `stringToDate`,
 * `parseTimestampString`), not DuckDB's, which accept more (`1_000`, `0x10`, `1.5` as an integer
 * rounded to 2) and less (`2020-1-5`, a bare `2020`).
 *
 * `Bind` evaluates a value once and names it for the expression built on it (a DuckDB lambda),
 * so that a parse read by many parts of the result is neither repeated in the SQL nor re-run.
 */
import type { AstNode } from './ast.ts';
import {
  add,
  and,
  attempt,
  bigint,
  cast,
  coalesce,
  concat,
  double,
  duckType,
  eq,
  extract,
  fail,
  fn,
  ge,
  int,
  isIn,
  isNotNull,
  le,
  lt,
  mul,
  ne,
  or,
  str,
  sub,
  tryCast,
  when,
} from './cast-ast.ts';

/** Evaluates `value` once and builds an expression on a reference to it. */
export type Bind = (value: AstNode, body: (ref: AstNode) => AstNode) => AstNode;

const VARCHAR = duckType('VARCHAR');
const BIGINT = duckType('BIGINT');
const BOOLEAN = duckType('BOOLEAN');

/** Field `name` of a STRUCT value. */
function field(struct: AstNode, name: string): AstNode {
  return {
    class: 'OPERATOR',
    type: 'STRUCT_EXTRACT',
    alias: '',
    query_location: 2 ** 64,
    children: [struct, str(name)],
  };
}

/** The groups of `pattern` matched in `s` as a STRUCT of texts named `names` ('' when unmatched). */
function groups(s: AstNode, pattern: string, names: readonly string[]): AstNode {
  return fn('regexp_extract', s, str(pattern), fn('list_value', ...names.map(str)));
}

/**
 * `s` without the leading and trailing bytes Spark's casts trim (`UTF8String.trimAll`,
 * `isWhitespaceOrISOControl`: 0x00–0x20 and 0x7F).
 */
export function sparkTrim(s: AstNode): AstNode {
  return fn('regexp_replace', s, str(String.raw`^[\x00-\x20\x7f]+|[\x00-\x20\x7f]+$`), str(''), str('g'));
}

/** `s` as Java's `String.trim` leaves it (characters up to U+0020 removed at both ends). */
export function javaTrim(s: AstNode): AstNode {
  return fn('regexp_replace', s, str(String.raw`^[\x00-\x20]+|[\x00-\x20]+$`), str(''), str('g'));
}

/**
 * Texts DuckDB's own casts read exactly as Spark does (no surrounding blanks, the common
 * layouts): a cast tries them first and parses the rest with Spark's grammar, which is slower.
 */
export const CANONICAL = {
  integral: '[+-]?[0-9]+',
  number: String.raw`[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?`,
  date: '[0-9]{4}-[0-9]{2}-[0-9]{2}',
  // Hours 00–23 (DuckDB reads 24:00 as the next day); a zone only after the seconds, as Spark.
  timestamp: String.raw`[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,9})?(?:Z|[+-](?:0[0-9]|1[0-7]):[0-5][0-9])?)?)?`,
  timestampNtz: String.raw`[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,9})?)?)?`,
} as const;

/** `fast` where `s` is in the layout `canonical` (a full match), else `slow`. */
export function canonicalFirst(s: AstNode, canonical: string, fast: AstNode, slow: AstNode): AstNode {
  return when([[fn('regexp_full_match', s, str(canonical)), fast]], slow);
}

/** Digits of an integral literal Spark accepts (`[+-]digits`, trimmed; no `.`), else ''. */
export function integralText(s: AstNode): AstNode {
  return extract(s, String.raw`^[\x00-\x20\x7f]*([+-]?[0-9]+)[\x00-\x20\x7f]*$`, 1);
}

const TRUE_WORDS = ['t', 'true', 'y', 'yes', '1'];
const FALSE_WORDS = ['f', 'false', 'n', 'no', '0'];

/** Spark's STRING → BOOLEAN: t/true/y/yes/1 and f/false/n/no/0, trimmed, any case; else NULL. */
export function parseBoolean(s: AstNode, bind: Bind): AstNode {
  return bind(fn('lower', sparkTrim(s)), (word) =>
    when([
      [isIn(word, TRUE_WORDS.map(str)), cast(str('t'), BOOLEAN)],
      [isIn(word, FALSE_WORDS.map(str)), cast(str('f'), BOOLEAN)],
    ]),
  );
}

/** A decimal number as `java.math.BigDecimal(String)` reads it (after Java's trim), else ''. */
export function decimalText(s: AstNode): AstNode {
  return extract(javaTrim(s), String.raw`^([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)$`, 1);
}

/**
 * Spark's STRING → DOUBLE / FLOAT (`type`): `Double.parseDouble` / `Float.parseFloat` (Java's
 * trim, optional `d`/`f` suffix, overflow to ±Infinity), then Spark's special words (`inf`,
 * `+infinity`, `-inf`, `nan`, … in any case); NULL otherwise. Java's hexadecimal form
 * (`0x1p3`) is not read (NULL, so the cast fails rather than differs).
 */
export function parseFractional(s: AstNode, type: 'FLOAT' | 'DOUBLE', bind: Bind): AstNode {
  const target = duckType(type);
  const special = (text: string) => cast(str(text), target);
  return bind(javaTrim(s), (trimmed) => {
    const number = extract(
      trimmed,
      String.raw`^([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)[fFdD]?$`,
      1,
    );
    const word = fn('lower', trimmed);
    return when([
      [ne(number, str('')), tryCast(number, target)],
      [isIn(word, ['inf', '+inf', 'infinity', '+infinity'].map(str)), special('Infinity')],
      [isIn(word, ['-inf', '-infinity'].map(str)), special('-Infinity')],
      [or(eq(word, str('nan')), isIn(trimmed, [str('+NaN'), str('-NaN')])), special('NaN')],
    ]);
  });
}

/** A group of a parse as a BIGINT, `otherwise` when the group is empty. */
function number(text: AstNode, otherwise: number): AstNode {
  return when([[eq(text, str('')), bigint(String(otherwise))]], cast(text, BIGINT));
}

/** The date of a signed year, month and day; NULL for one that does not exist (`LocalDate.of`). */
function makeDate(sign: AstNode, year: AstNode, month: AstNode, day: AstNode): AstNode {
  const signed = when([[eq(sign, str('-')), mul(cast(year, BIGINT), bigint('-1'))]], cast(year, BIGINT));
  return attempt(fn('make_date', signed, number(month, 1), number(day, 1)));
}

/** Spark's civil-date grammar (`stringToDate`): `[+-]yyyy[yyy][-m[m][-d[d][( |T)…]]]`, trimmed. */
const DATE_PATTERN = `(?s)^([+-]?)([0-9]{4,7})(?:-([0-9]{1,2})(?:-([0-9]{1,2})(?:[ T].*)?)?)?$`;

/** Spark's STRING → DATE (`stringToDate`); NULL when Spark rejects the text. */
export function parseDate(s: AstNode, bind: Bind): AstNode {
  return bind(groups(sparkTrim(s), DATE_PATTERN, ['sign', 'y', 'm', 'd']), (p) =>
    when([
      [ne(field(p, 'y'), str('')), makeDate(field(p, 'sign'), field(p, 'y'), field(p, 'm'), field(p, 'd'))],
    ]),
  );
}

/**
 * Spark's timestamp grammar (`parseTimestampString`):
 * `[+-]yyyy[yy][-m[m][-d[d][( |T)h[h][:m[m][:s[s][.fraction][zone]]]]]]`, where the zone starts
 * at the first character after the seconds that is not a digit; or a time without a date
 * (`[T]h[h]:…`, group `time`), which Spark dates with the current day.
 */
const TIMESTAMP_PATTERN =
  `(?s)^(?:([+-]?)([0-9]{4,6})(?:-([0-9]{1,2})(?:-([0-9]{1,2})` +
  String.raw`(?:[ T]([0-9]{1,2})(?::([0-9]{1,2})(?::([0-9]{1,2})(?:\.([0-9]*))?([^0-9].*)?)?)?)?)?)?` +
  `|(T?[0-9]{1,2}:.*))$`;
const TIMESTAMP_GROUPS = ['sign', 'y', 'mo', 'd', 'h', 'mi', 's', 'f', 'zone', 'time'];

/**
 * Offset-based zone ids (`Z`, `UTC`, `GMT`, `UT`, `±h`, `±hh`, `±hh:mm`, `±hhmm`, `±hh:mm:ss`,
 * `±hhmmss`, also after `UTC` / `GMT` / `UT`) and the three SHORT_IDS that are fixed offsets
 * (EST, MST, HST); any other word is a region (`Europe/Paris`, `PST`).
 */
const ZONE_PATTERN =
  `^(?:(Z|UTC|GMT|UT)|(EST|MST|HST)|(?:UTC|GMT|UT)?([+-])` +
  `([0-9]{1,2}|[0-9]{2}:?[0-9]{2}|[0-9]{2}:[0-9]{2}:[0-9]{2}|[0-9]{6})|([A-Za-z][A-Za-z0-9~/._+-]+))$`;
const ZONE_GROUPS = ['utc', 'short', 'sign', 'digits', 'region'];

/** Seconds east of UTC of a parsed zone (`ZONE_GROUPS`); NULL when Java rejects the offset. */
function zoneOffset(z: AstNode): AstNode {
  const digits = fn('replace', field(z, 'digits'), str(':'), str(''));
  const at = (from: number): AstNode =>
    when(
      [[ge(fn('length', digits), int(from + 2)), cast(fn('substr', digits, int(from + 1), int(2)), BIGINT)]],
      bigint('0'),
    );
  const hours = when([[le(fn('length', digits), int(2)), cast(digits, BIGINT)]], at(0));
  const total = add(add(mul(hours, bigint('3600')), mul(at(2), bigint('60'))), at(4));
  const valid = and(
    le(hours, bigint('18')),
    le(at(2), bigint('59')),
    le(at(4), bigint('59')),
    le(total, bigint('64800')),
  );
  const short = field(z, 'short');
  return when([
    [ne(field(z, 'utc'), str('')), bigint('0')],
    [eq(short, str('EST')), bigint('-18000')],
    [eq(short, str('MST')), bigint('-25200')],
    [eq(short, str('HST')), bigint('-36000')],
    [
      and(ne(digits, str('')), valid),
      when([[eq(field(z, 'sign'), str('-')), sub(bigint('0'), total)]], total),
    ],
  ]);
}

/** Spark's `getZoneId` text: Java-trimmed, `±h:` → `±0h:`, a trailing `±hh:m` → `±hh:0m`. */
function zoneText(zone: AstNode): AstNode {
  const padHour = fn('regexp_replace', javaTrim(zone), str('([+-])([0-9]):'), str(String.raw`\10\2:`));
  return fn('regexp_replace', padHour, str('([+-])([0-9][0-9]):([0-9])$'), str(String.raw`\1\2:0\3`));
}

/** The errors (`[CODE] message` texts) for timestamp text Spark reads but sluice does not. */
export interface TimestampRefusals {
  /** A zone named by a region (`Europe/Paris`): sluice reads offsets only. */
  readonly region: AstNode;
  /** A time without a date. */
  readonly timeOnly: AstNode;
}

/**
 * Spark's STRING → TIMESTAMP (an instant; a zone in the text wins over the session's, UTC) or,
 * with `ntz`, TIMESTAMP_NTZ (a valid zone is ignored). NULL when Spark rejects the text;
 * `refusals` where Spark reads it but sluice does not.
 */
export function parseTimestamp(s: AstNode, ntz: boolean, refusals: TimestampRefusals, bind: Bind): AstNode {
  return bind(groups(sparkTrim(s), TIMESTAMP_PATTERN, TIMESTAMP_GROUPS), (p) => {
    const g = (name: string) => field(p, name);
    const date = makeDate(g('sign'), g('y'), g('mo'), g('d'));
    const [hour, minute, second] = [number(g('h'), 0), number(g('mi'), 0), number(g('s'), 0)];
    // Digits beyond the sixth are below a microsecond: Spark drops them.
    const micros = cast(fn('rpad', fn('left', g('f'), int(6)), int(6), str('0')), BIGINT);
    const days = fn('date_diff', str('day'), cast(str('1970-01-01'), duckType('DATE')), date);
    const secondsOfDay = add(add(mul(hour, bigint('3600')), mul(minute, bigint('60'))), second);
    const timeValid = and(lt(hour, bigint('24')), lt(minute, bigint('60')), lt(second, bigint('60')));
    const local = add(mul(add(mul(days, bigint('86400')), secondsOfDay), bigint('1000000')), micros);
    const zoned = bind(groups(zoneText(g('zone')), ZONE_PATTERN, ZONE_GROUPS), (z) =>
      when(
        [
          [eq(g('zone'), str('')), bigint('0')],
          [ne(field(z, 'region'), str('')), fail(refusals.region, BIGINT)],
        ],
        zoneOffset(z),
      ),
    );
    // The zone is read outside `try`: a zone sluice refuses raises, it is not a NULL.
    const result = bind(zoned, (offset) =>
      when([
        [
          isNotNull(offset),
          attempt(
            ntz
              ? fn('make_timestamp', local)
              : fn('make_timestamptz', sub(local, mul(offset, bigint('1000000')))),
          ),
        ],
      ]),
    );
    return when([
      [
        ne(g('time'), str('')),
        fail(refusals.timeOnly, ntz ? duckType('TIMESTAMP') : duckType('TIMESTAMP WITH TIME ZONE')),
      ],
      [and(ne(g('y'), str('')), isNotNull(date), timeValid), result],
    ]);
  });
}

/**
 * Java's `Double.toString` / `Float.toString` of a DOUBLE / FLOAT: the shortest digits that
 * read back as the value (DuckDB prints the same digits), as a plain decimal for
 * 10^-3 <= |d| < 10^7 (where DuckDB prints plain decimals too) and as `d.dddE±n` elsewhere.
 * (Java 19+ prints two digits for the smallest subnormals, `4.9E-324`; sluice `5.0E-324`.)
 */
export function formatFractional(value: AstNode, bind: Bind): AstNode {
  // Most values print as plain decimals, which DuckDB writes as Java does.
  const magnitude = fn('abs', value);
  const plain = and(ge(magnitude, double('0.001')), lt(magnitude, double('10000000')));
  return when(
    [[plain, cast(value, VARCHAR)]],
    bind(value, (d) => scientific(d)),
  );
}

/** Java's text of DOUBLE / FLOAT `d` outside 10^-3 <= |d| < 10^7 (and of 0, NaN, ±Infinity). */
function scientific(d: AstNode): AstNode {
  const text = cast(d, VARCHAR);
  const size = fn('abs', d);
  const sign = when([[lt(d, double('0')), str('-')]], str(''));
  const mantissa = (digits: AstNode) =>
    concat(
      fn('left', digits, int(1)),
      str('.'),
      coalesce(fn('nullif', fn('substr', digits, int(2)), str('')), str('0')),
    );
  // DuckDB's own scientific form: `1e+16`, `1.5e-07`.
  const m = extract(text, '^(-?[0-9.]+)e', 1);
  const fromScientific = concat(
    when([[fn('contains', m, str('.')), m]], concat(m, str('.0'))),
    str('E'),
    cast(cast(extract(text, 'e([+-]?[0-9]+)$', 1), BIGINT), VARCHAR),
  );
  // DuckDB's plain form of a large value: `12345678.9` is 1.23456789E7 …
  const intDigits = extract(text, '^-?([0-9]+)', 1);
  const fraction = extract(text, String.raw`\.([0-9]+)$`, 1);
  const fromLarge = concat(
    sign,
    mantissa(fn('rtrim', concat(intDigits, fraction), str('0'))),
    str('E'),
    cast(sub(fn('length', intDigits), int(1)), VARCHAR),
  );
  // … and of a small one: `0.000123` is 1.23E-4.
  const significant = fn('ltrim', fraction, str('0'));
  const fromSmall = concat(
    sign,
    mantissa(fn('rtrim', significant, str('0'))),
    str('E-'),
    cast(add(sub(fn('length', fraction), fn('length', significant)), int(1)), VARCHAR),
  );
  return when(
    [
      [fn('isnan', d), str('NaN')],
      [eq(d, double('Infinity')), str('Infinity')],
      [eq(d, double('-Infinity')), str('-Infinity')],
      [eq(d, double('0')), when([[fn('signbit', d), str('-0.0')]], str('0.0'))],
      [fn('contains', text, str('e')), fromScientific],
      [ge(size, double('10000000')), fromLarge],
    ],
    fromSmall,
  );
}
