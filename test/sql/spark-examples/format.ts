/**
 * Prints DuckDB result values the way Spark prints them in its documented examples.
 *
 * Spark's example check renders results with `HiveResult.hiveResultString` (what the spark-sql
 * CLI prints), not `Dataset.show()`: columns joined by a tab, rows by a newline; top-level NULL
 * as `NULL`, nested null as `null`; strings raw at top level and double-quoted inside arrays,
 * maps and structs; binary decoded as UTF-8 (the default binary output style); decimals in plain
 * notation with their scale; doubles and floats as Java's `toString`; maps as `{k:v,…}` with
 * their entries sorted as strings; structs as `{"field":value,…}`; ANSI intervals Hive-style
 * (`1-2`, `1 02:03:04.000000000`). The comparison normalizes both sides like Spark's check does
 * (`normalizeOutput`).
 */
import type { DuckDBType, DuckDBValue } from '@duckdb/node-api';
import {
  type DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBIntervalValue,
  type DuckDBListValue,
  type DuckDBMapValue,
  type DuckDBStructValue,
  DuckDBTimeNSValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTimeTZValue,
  DuckDBTimeValue,
  DuckDBTypeId,
  type DuckDBUnionValue,
} from '@duckdb/node-api';

/** Spark's normalization of an example's result before comparing (`replaceAll("\n\\s+", "\n").trim`). */
export function normalizeOutput(text: string): string {
  return text.replace(/\n\s+/g, '\n').trim();
}

/** Result rows as Spark prints them: tab-separated columns, one line per row. */
export function formatRows(
  rows: readonly (readonly DuckDBValue[])[],
  types: readonly DuckDBType[],
  timeZone: string,
): string {
  const f = new SparkFormatter(timeZone);
  return rows.map((row) => row.map((v, i) => f.format(v, types[i]!, false)).join('\t')).join('\n');
}

const MICROS_PER_SECOND = 1_000_000n;
const MICROS_PER_DAY = 86_400n * MICROS_PER_SECOND;

class SparkFormatter {
  readonly #timeZone: string;
  #zoned: Intl.DateTimeFormat | undefined;

  constructor(timeZone: string) {
    this.#timeZone = timeZone;
  }

  format(v: DuckDBValue, type: DuckDBType, nested: boolean): string {
    if (v === null) return nested ? 'null' : 'NULL';
    switch (type.typeId) {
      case DuckDBTypeId.BOOLEAN:
        return String(v);
      case DuckDBTypeId.FLOAT:
        return javaFloatString(v as number);
      case DuckDBTypeId.DOUBLE:
        return javaDoubleString(v as number);
      case DuckDBTypeId.VARCHAR:
      case DuckDBTypeId.UUID:
      case DuckDBTypeId.ENUM:
        // Spark has no UUID or enum type: such values are strings there (uuid() returns STRING).
        return nested ? `"${String(v)}"` : String(v);
      case DuckDBTypeId.LIST:
      case DuckDBTypeId.ARRAY: {
        const items = (v as DuckDBListValue | DuckDBArrayValue).items;
        return `[${items.map((x) => this.format(x, type.valueType, true)).join(',')}]`;
      }
      case DuckDBTypeId.STRUCT: {
        const entries = (v as DuckDBStructValue).entries;
        const fields = type.entryNames.map(
          (name, i) => `"${name}":${this.format(entries[name] ?? null, type.entryTypes[i]!, true)}`,
        );
        return `{${fields.join(',')}}`;
      }
      case DuckDBTypeId.MAP: {
        // HiveResult sorts the printed `key:value` strings (Java String order = UTF-16 code units).
        const entries = (v as DuckDBMapValue).entries.map(
          (e) => `${this.format(e.key, type.keyType, true)}:${this.format(e.value, type.valueType, true)}`,
        );
        return `{${entries.sort().join(',')}}`;
      }
      case DuckDBTypeId.UNION: {
        const u = v as DuckDBUnionValue;
        const member = type.memberTypes[type.memberTags.indexOf(u.tag)];
        return member ? this.format(u.value, member, nested) : String(u.value);
      }
      default:
        return this.#scalar(v, nested);
    }
  }

  #scalar(v: NonNullable<DuckDBValue>, nested: boolean): string {
    if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
    if (typeof v === 'string') return nested ? `"${v}"` : v;
    // Plain notation with the type's scale, like java.math.BigDecimal.toPlainString.
    if (v instanceof DuckDBDecimalValue) return v.toString();
    // The default binary output style of Spark's example check is UTF-8 text.
    if (v instanceof DuckDBBlobValue) return new TextDecoder('utf-8').decode(v.bytes);
    if (v instanceof DuckDBDateValue) return v.toString();
    if (v instanceof DuckDBTimestampTZValue) return this.#timestamp(v.micros, true);
    if (v instanceof DuckDBTimestampValue) return this.#timestamp(v.micros, false);
    if (v instanceof DuckDBTimestampMillisecondsValue) return this.#timestamp(v.millis * 1000n, false);
    if (v instanceof DuckDBTimestampSecondsValue)
      return this.#timestamp(v.seconds * MICROS_PER_SECOND, false);
    if (v instanceof DuckDBTimestampNanosecondsValue) {
      const text = this.#timestamp(floorDiv(v.nanos, 1000n), false);
      const nanos = Number(((v.nanos % 1000n) + 1000n) % 1000n);
      // Spark has microseconds at most; a nanosecond rest is shown so a difference stays visible.
      return nanos === 0
        ? text
        : `${text}${text.includes('.') ? '' : '.000000'}${String(nanos).padStart(3, '0')}`;
    }
    if (v instanceof DuckDBTimeValue) return timeOfDay(v.micros);
    if (v instanceof DuckDBTimeNSValue) return timeOfDay(v.nanos / 1000n);
    if (v instanceof DuckDBTimeTZValue) return v.toString();
    if (v instanceof DuckDBIntervalValue) return intervalString(v);
    return String(v);
  }

  /** `yyyy-MM-dd HH:mm:ss` plus the fraction without trailing zeros (Spark's fraction formatter). */
  #timestamp(micros: bigint, instant: boolean): string {
    const seconds = floorDiv(micros, MICROS_PER_SECOND);
    const fraction = micros - seconds * MICROS_PER_SECOND;
    let wall = seconds;
    // An instant (Spark TIMESTAMP = DuckDB TIMESTAMPTZ) prints in the session time zone.
    if (instant && this.#timeZone !== 'UTC') wall += BigInt(this.#offsetSeconds(Number(seconds)));
    const days = floorDiv(wall, 86_400n);
    const secOfDay = Number(wall - days * 86_400n);
    const date = new DuckDBDateValue(Number(days)).toString();
    return `${date} ${clock(secOfDay)}${fractionText(Number(fraction))}`;
  }

  /** The offset of the session time zone at an instant (for the time-zone diagnostic only). */
  #offsetSeconds(epochSeconds: number): number {
    this.#zoned ??= new Intl.DateTimeFormat('en-US', {
      timeZone: this.#timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    const parts = Object.fromEntries(
      this.#zoned.formatToParts(new Date(epochSeconds * 1000)).map((p) => [p.type, p.value]),
    );
    const local = Date.UTC(
      +parts.year!,
      +parts.month! - 1,
      +parts.day!,
      +parts.hour!,
      +parts.minute!,
      +parts.second!,
    );
    return Math.round(local / 1000 - epochSeconds);
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function clock(secOfDay: number): string {
  const h = Math.floor(secOfDay / 3600);
  const m = Math.floor((secOfDay % 3600) / 60);
  const s = secOfDay % 60;
  return [h, m, s].map((x) => String(x).padStart(2, '0')).join(':');
}

/** `.ffffff` without trailing zeros, or nothing for a whole second. */
function fractionText(micros: number): string {
  return micros === 0 ? '' : `.${String(micros).padStart(6, '0').replace(/0+$/, '')}`;
}

function timeOfDay(micros: bigint): string {
  const seconds = Number(micros / MICROS_PER_SECOND);
  return `${clock(seconds)}${fractionText(Number(micros % MICROS_PER_SECOND))}`;
}

/**
 * DuckDB has one interval type; Spark has three. Months only reads as a year-month interval
 * (`Y-M`), days and time only as a day-time interval (`D HH:MM:SS.NNNNNNNNN`), and a mix of both
 * as the legacy CalendarInterval (`1 years 2 months 3 days 4 hours 5.5 seconds`). This matches
 * the type Spark gives the examples' results, which never mix ANSI interval kinds.
 */
function intervalString(v: DuckDBIntervalValue): string {
  if (v.days === 0 && v.micros === 0n) {
    const sign = v.months < 0 ? '-' : '';
    const abs = Math.abs(v.months);
    return `${sign}${Math.floor(abs / 12)}-${abs % 12}`;
  }
  if (v.months === 0) {
    let rest = BigInt(v.days) * MICROS_PER_DAY + v.micros;
    const sign = rest < 0n ? '-' : '';
    if (rest < 0n) rest = -rest;
    const days = rest / MICROS_PER_DAY;
    const inDay = rest % MICROS_PER_DAY;
    const secs = Number(inDay / MICROS_PER_SECOND);
    const nanos = String(Number(inDay % MICROS_PER_SECOND) * 1000).padStart(9, '0');
    return `${sign}${days} ${clock(secs)}.${nanos}`;
  }
  const parts: string[] = [];
  const unit = (n: number | bigint, name: string) => {
    if (n !== 0 && n !== 0n) parts.push(`${n} ${name}`);
  };
  unit(Math.trunc(v.months / 12), 'years');
  unit(v.months % 12, 'months');
  unit(v.days, 'days');
  let rest = v.micros;
  unit(rest / 3_600_000_000n, 'hours');
  rest %= 3_600_000_000n;
  unit(rest / 60_000_000n, 'minutes');
  rest %= 60_000_000n;
  if (rest !== 0n) {
    const neg = rest < 0n;
    const abs = neg ? -rest : rest;
    const whole = abs / MICROS_PER_SECOND;
    const frac = fractionText(Number(abs % MICROS_PER_SECOND));
    parts.push(`${neg ? '-' : ''}${whole}${frac} seconds`);
  }
  return parts.length ? parts.join(' ') : '0 seconds';
}

/**
 * Java's `Double.toString`: the shortest digits that read back as the same double (what JS also
 * computes), in plain notation with at least one fractional digit for 1e-3 <= |d| < 1e7, else as
 * `d.dddE±n`.
 */
export function javaDoubleString(d: number): string {
  return javaStyle(d, (x) => x.toExponential());
}

/** Java's `Float.toString`: as for doubles, with the shortest digits that identify the float. */
export function javaFloatString(f: number): string {
  return javaStyle(f, (x) => {
    for (let digits = 0; digits < 9; digits++) {
      const s = x.toExponential(digits);
      if (Math.fround(Number(s)) === x) return s;
    }
    return x.toExponential(8);
  });
}

function javaStyle(d: number, shortestExponential: (x: number) => string): string {
  if (Number.isNaN(d)) return 'NaN';
  if (d === Number.POSITIVE_INFINITY) return 'Infinity';
  if (d === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (d === 0) return Object.is(d, -0) ? '-0.0' : '0.0';
  const sign = d < 0 ? '-' : '';
  const [mantissa, exp] = shortestExponential(Math.abs(d)).split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const e = Number(exp);
  const abs = Math.abs(d);
  if (abs >= 1e-3 && abs < 1e7) {
    if (e >= 0) {
      const int = digits.slice(0, e + 1).padEnd(e + 1, '0');
      const frac = digits.slice(e + 1) || '0';
      return `${sign}${int}.${frac}`;
    }
    return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  }
  return `${sign}${digits[0]}.${digits.slice(1) || '0'}E${e}`;
}
