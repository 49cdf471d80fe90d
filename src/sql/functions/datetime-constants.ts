/**
 * Spark's string → DATE / TIMESTAMP conversions done while compiling, for string literals: the
 * same grammar as the SQL translation (`datetime-coerce.ts`), giving a constant instead of a
 * parse per row. Anything it does not settle (an invalid string, which raises when the query
 * runs as in Spark; a region zone) is left to the SQL translation.
 */

/** Spark trims bytes that are whitespace or ISO control characters around datetime strings. */
const WS = '[\\x00-\\x20\\x7f]';

const DATE_STRING = new RegExp(
  `^${WS}*([+-]?)([0-9]{4,7})(?:-([0-9]{1,2})(?:-([0-9]{1,2})(?:[ T].*)?)?)?${WS}*$`,
  's',
);

const TIMESTAMP_STRING = new RegExp(
  `^${WS}*([+-]?)([0-9]{4,6})(?:-([0-9]{1,2})(?:-([0-9]{1,2})` +
    `(?:[ T]([0-9]{1,2})(?::([0-9]{1,2})(?::([0-9]{1,2})(\\.[0-9]*)?([^0-9].*?)?)?)?)?)?)?${WS}*$`,
  's',
);

/** Days from 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** A valid date's fields, or undefined (`LocalDate.of` would fail). */
export interface DateFields {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

function validDate(year: number, month: number, day: number): DateFields | undefined {
  if (month < 1 || month > 12 || day < 1) return undefined;
  const lengths = [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return day <= lengths[month - 1]! ? { year, month, day } : undefined;
}

const num = (s: string | undefined, missing: number) => (s === undefined || s === '' ? missing : Number(s));

/** Spark's `stringToDate` of a literal; undefined when invalid (the SQL raises at run time). */
export function constantDate(text: string): DateFields | undefined {
  const m = DATE_STRING.exec(text);
  if (!m) return undefined;
  const year = Number(`${m[1]}${m[2]}`);
  // DuckDB's dates end in the year 5881580; such a date is left to the SQL translation.
  if (Math.abs(year) > 5_000_000) return undefined;
  return validDate(year, num(m[3], 1), num(m[4], 1));
}

/** Seconds east of UTC of a fixed-offset zone text as Java reads it, undefined otherwise. */
function fixedOffsetSeconds(zone: string): number | undefined {
  if (['Z', 'UTC', 'GMT', 'UT'].includes(zone)) return 0;
  const fixed: Record<string, string> = { EST: '-05:00', MST: '-07:00', HST: '-10:00' };
  const padded = (fixed[zone] ?? zone)
    .replace(/([+-])([0-9]):/, '$10$2:')
    .replace(/([+-])([0-9]{2}):([0-9])$/, '$1$2:0$3');
  const m =
    /^(?:UTC|GMT|UT)?([+-])([0-9]{1,2}|[0-9]{2}:[0-9]{2}|[0-9]{4}|[0-9]{2}:[0-9]{2}:[0-9]{2}|[0-9]{6})$/.exec(
      padded,
    );
  if (!m) return undefined;
  const digits = m[2]!.replaceAll(':', '');
  const [h, mi, s] =
    digits.length <= 2
      ? [Number(digits), 0, 0]
      : [Number(digits.slice(0, 2)), num(digits.slice(2, 4), 0), num(digits.slice(4, 6), 0)];
  const total = h * 3600 + mi * 60 + s;
  if (mi > 59 || s > 59 || total > 18 * 3600) return undefined;
  return (m[1] === '-' ? -1 : 1) * total;
}

/**
 * Spark's `stringToTimestamp` of a literal in a UTC session, as microseconds since the epoch;
 * `local` drops the zone (TIMESTAMP_NTZ). Undefined when the SQL translation must decide.
 */
export function constantTimestampMicros(text: string, local: boolean): bigint | undefined {
  const m = TIMESTAMP_STRING.exec(text);
  if (!m) return undefined;
  const year = Number(`${m[1]}${m[2]}`);
  const date = validDate(year, num(m[3], 1), num(m[4], 1));
  const [h, mi, s] = [num(m[5], 0), num(m[6], 0), num(m[7], 0)];
  if (!date || h > 23 || mi > 59 || s > 59) return undefined;
  const fraction = BigInt((m[8] ?? '').slice(1, 7).padEnd(6, '0'));
  const zone = (m[9] ?? '').trim();
  const offset = zone === '' || local ? 0 : fixedOffsetSeconds(zone);
  if (offset === undefined || (local && zone !== '' && fixedOffsetSeconds(zone) === undefined))
    return undefined;
  const seconds = daysFromCivil(date.year, date.month, date.day) * 86400 + h * 3600 + mi * 60 + s - offset;
  return BigInt(seconds) * 1_000_000n + fraction;
}
