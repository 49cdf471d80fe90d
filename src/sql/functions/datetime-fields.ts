/**
 * Fields of dates, timestamps, times and intervals: `year` … `second`, `dayofweek`, `weekday`,
 * `last_day`, `monthname`, `dayname`, and `extract` / `date_part` / `datepart` with Spark's field
 * names and result types (INT for most fields, DECIMAL(8,6) for seconds with their fraction;
 * TINYINT / BIGINT parts of intervals).
 */
import { type AstNode, constantText } from '../ast.ts';
import { microsOfTime, toDate, toInstant, wallClock } from './datetime-coerce.ts';
import {
  big,
  byType,
  cast,
  describeKind,
  fn,
  int,
  MICROS_PER_DAY,
  MICROS_PER_HOUR,
  MICROS_PER_MINUTE,
  nullOf,
  op,
  raise,
  staticKind,
  str_,
  type TypeKind,
} from './datetime-sql.ts';
import { arity, type FunctionCall, type FunctionRule } from './rules.ts';

/** The UTC wall clock of Spark's implicit TIMESTAMP conversion (what hour/minute/second read). */
export function wallOf(c: FunctionCall, x: AstNode): AstNode {
  return byType(
    x,
    {
      timestamp_tz: (t) => wallClock(t),
      timestamp_ntz: (t) => t,
      date: (d) => cast(d, 'TIMESTAMP'),
      null: () => nullOf('TIMESTAMP'),
    },
    () => wallClock(toInstant(c, x)),
  );
}

/** Microseconds within the minute as Spark's DECIMAL(8,6) seconds. */
function secondsWithFraction(micros: AstNode): AstNode {
  return cast(op('*', cast(micros, 'DECIMAL(18,0)'), cast(str_('0.000001'), 'DECIMAL(7,6)')), 'DECIMAL(8,6)');
}

const asInt = (x: AstNode) => cast(x, 'INTEGER');

/** A date field of Spark's implicit DATE conversion, as INT. */
function dateField(f: (d: AstNode) => AstNode): FunctionRule {
  return (c) => {
    arity(c, 1);
    return asInt(f(toDate(c, c.args[0]!)));
  };
}

/** `hour` / `minute` / `second`: of a TIME's time of day, else of a timestamp (INT). */
function timeField(name: 'hour' | 'minute' | 'second'): FunctionRule {
  return (c) => {
    arity(c, 1);
    const x = c.args[0]!;
    const ofTimestamp = () => asInt(fn(name, wallOf(c, x)));
    if (staticKind(x) === 'time') return asInt(fn(name, x));
    if (staticKind(x) !== undefined) return ofTimestamp();
    return byType(x, { time: (t) => asInt(fn(name, t)) }, ofTimestamp);
  };
}

// ---------------------------------------------------------------------------------------------
// extract / date_part

type FieldOf = (c: FunctionCall, x: AstNode) => AstNode;

const onDate =
  (f: (d: AstNode) => AstNode): FieldOf =>
  (c, x) =>
    asInt(f(toDate(c, x)));

/** Spark's `DatePart.parseExtractField`: fields of dates, timestamps and strings, by every name. */
const FIELD_NAMES: readonly (readonly [string, FieldOf])[] = [
  ['YEAR Y YEARS YR YRS', onDate((d) => fn('year', d))],
  ['YEAROFWEEK', onDate((d) => fn('isoyear', d))],
  ['QUARTER QTR', onDate((d) => fn('quarter', d))],
  ['MONTH MON MONS MONTHS', onDate((d) => fn('month', d))],
  ['WEEK W WEEKS', onDate((d) => fn('weekofyear', d))],
  ['DAY D DAYS', onDate((d) => fn('day', d))],
  ['DAYOFWEEK DOW', onDate((d) => op('+', fn('dayofweek', d), int(1)))],
  ['DAYOFWEEK_ISO DOW_ISO', onDate((d) => fn('isodow', d))],
  ['DOY', onDate((d) => fn('dayofyear', d))],
  ['HOUR H HOURS HR HRS', (c, x) => asInt(fn('hour', wallOf(c, x)))],
  ['MINUTE M MIN MINS MINUTES', (c, x) => asInt(fn('minute', wallOf(c, x)))],
  ['SECOND S SEC SECONDS SECS', (c, x) => secondsWithFraction(fn('microsecond', wallOf(c, x)))],
];
const DATETIME_FIELDS: Readonly<Record<string, FieldOf>> = Object.fromEntries(
  FIELD_NAMES.flatMap(([names, f]) => names.split(' ').map((n) => [n, f] as const)),
);

/** Spark's `TimePart.parseExtractField`: the fields a TIME has. */
function timeFieldOf(name: string, t: AstNode): AstNode | undefined {
  const f = DATETIME_FIELDS[name];
  if (f === DATETIME_FIELDS.HOUR) return asInt(fn('hour', t));
  if (f === DATETIME_FIELDS.MINUTE) return asInt(fn('minute', t));
  if (f === DATETIME_FIELDS.SECOND)
    return secondsWithFraction(op('%', microsOfTime(t), big(MICROS_PER_MINUTE)));
  return undefined;
}

/** Interval kinds as Spark types them: year-month, day-time, or the legacy calendar interval. */
export type IntervalKind = 'ym' | 'dt' | 'calendar';

const YM_PARTS = new Set(['to_years', 'to_months']);
const DT_PARTS = new Set([
  'to_weeks',
  'to_days',
  'to_hours',
  'to_minutes',
  'to_seconds',
  'to_milliseconds',
  'to_microseconds',
]);

/**
 * The Spark type of an interval expression when its form shows it: `INTERVAL n unit` literals
 * and the `make_*interval` functions' translations (DuckDB's `to_years(…)` … `to_microseconds(…)`
 * and sums of them), casts of text to INTERVAL (calendar intervals).
 */
export function intervalKind(node: AstNode): IntervalKind | undefined {
  if (node.class === 'CAST' && (node.cast_type as { id?: string } | null)?.id === 'INTERVAL')
    return 'calendar';
  if (node.class !== 'FUNCTION') return undefined;
  const name = String(node.function_name).toLowerCase();
  if (YM_PARTS.has(name)) return 'ym';
  if (DT_PARTS.has(name)) return 'dt';
  if ((name === '+' || name === '-') && node.is_operator === true) {
    const kinds = (node.children as AstNode[]).map(intervalKind);
    if (kinds.some((k) => k === undefined)) return undefined;
    if (kinds.every((k) => k === kinds[0])) return kinds[0];
    return 'calendar';
  }
  return undefined;
}

/** DuckDB's interval parts: total months, days, and microseconds (BIGINT). */
export function intervalParts(iv: AstNode) {
  const part = (p: string) => fn('date_part', str_(p), iv);
  return {
    months: op('+', op('*', part('year'), big(12)), part('month')),
    days: part('day'),
    micros: op(
      '+',
      op('+', op('*', part('hour'), big(MICROS_PER_HOUR)), op('*', part('minute'), big(MICROS_PER_MINUTE))),
      part('microseconds'),
    ),
  };
}

/** Spark's `ExtractIntervalPart`: a field of an interval of a known kind, undefined if it has none. */
function intervalFieldOf(name: string, kind: IntervalKind, iv: AstNode): AstNode | undefined {
  const f = DATETIME_FIELDS[name];
  const { months, days, micros } = intervalParts(iv);
  const isYear = f === DATETIME_FIELDS.YEAR;
  const isMonth = f === DATETIME_FIELDS.MONTH;
  if (kind === 'ym' || kind === 'calendar') {
    if (isYear) return asInt(op('//', months, big(12)));
    if (isMonth) return cast(op('%', months, big(12)), 'TINYINT');
    if (kind === 'ym') return undefined;
  }
  // A day-time interval is one count of microseconds; a calendar interval keeps days apart.
  const total = kind === 'dt' ? op('+', op('*', days, big(MICROS_PER_DAY)), micros) : micros;
  if (f === DATETIME_FIELDS.DAY) return asInt(kind === 'dt' ? op('//', total, big(MICROS_PER_DAY)) : days);
  if (f === DATETIME_FIELDS.HOUR) {
    return kind === 'dt'
      ? cast(op('//', op('%', total, big(MICROS_PER_DAY)), big(MICROS_PER_HOUR)), 'TINYINT')
      : op('//', total, big(MICROS_PER_HOUR));
  }
  if (f === DATETIME_FIELDS.MINUTE) {
    return cast(op('//', op('%', total, big(MICROS_PER_HOUR)), big(MICROS_PER_MINUTE)), 'TINYINT');
  }
  if (f === DATETIME_FIELDS.SECOND) return secondsWithFraction(op('%', total, big(MICROS_PER_MINUTE)));
  return undefined;
}

/** `extract(field FROM x)` / `date_part('field', x)` / `datepart('field', x)`. */
function datePart(c: FunctionCall): AstNode {
  arity(c, 2);
  const fieldText = constantText(c.args[0]!);
  if (fieldText === undefined) c.unsupported(`the field of ${c.name}() must be a literal`);
  const name = fieldText.toUpperCase();
  const x = c.args[1]!;
  const ofDatetime = DATETIME_FIELDS[name];
  if (!ofDatetime) c.unsupported(`'${fieldText}' is not a field Spark extracts`);
  const fieldError = (kind: TypeKind | undefined) => `${describeKind(kind)} has no field '${fieldText}'`;

  const kind = staticKind(x);
  if (kind === 'time') return timeFieldOf(name, x) ?? c.unsupported(fieldError('time'));
  if (kind === 'interval' || intervalKind(x)) {
    const ik = intervalKind(x);
    if (!ik) c.unsupported(`sluice cannot tell whether this interval is a year-month or a day-time interval`);
    return intervalFieldOf(name, ik, x) ?? c.unsupported(fieldError('interval'));
  }
  if (kind !== undefined) return ofDatetime(c, x);
  // Unknown type: a TIME takes the time field, an interval of unknown kind cannot be read.
  const resultOfDatetime = ofDatetime(c, x);
  const sample = timeFieldOf(name, x);
  return byType(
    x,
    {
      ...(sample ? { time: (t: AstNode) => timeFieldOf(name, t)! } : {}),
      interval: () =>
        raise(
          `[DATATYPE_MISMATCH] ${c.name}() of an interval whose kind sluice cannot tell`,
          resultTypeOf(name),
        ),
    },
    () => resultOfDatetime,
  );
}

/** The DuckDB type of a datetime field's result. */
function resultTypeOf(name: string): string {
  return DATETIME_FIELDS[name] === DATETIME_FIELDS.SECOND ? 'DECIMAL(8,6)' : 'INTEGER';
}

export const FIELD_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  year: dateField((d) => fn('year', d)),
  quarter: dateField((d) => fn('quarter', d)),
  month: dateField((d) => fn('month', d)),
  day: dateField((d) => fn('day', d)),
  dayofmonth: dateField((d) => fn('day', d)),
  dayofyear: dateField((d) => fn('dayofyear', d)),
  weekofyear: dateField((d) => fn('weekofyear', d)),
  dayofweek: dateField((d) => op('+', fn('dayofweek', d), int(1))),
  weekday: dateField((d) => op('-', fn('isodow', d), int(1))),
  hour: timeField('hour'),
  minute: timeField('minute'),
  second: timeField('second'),
  last_day: (c) => {
    arity(c, 1);
    return fn('last_day', toDate(c, c.args[0]!));
  },
  monthname: (c) => {
    arity(c, 1);
    return fn('strftime', toDate(c, c.args[0]!), str_('%b'));
  },
  dayname: (c) => {
    arity(c, 1);
    return fn('strftime', toDate(c, c.args[0]!), str_('%a'));
  },
  date_part: datePart,
  datepart: datePart,
  extract: datePart,
};
