/**
 * Spark functions that build, shift and compare timestamps: `make_timestamp` and its `_ltz` /
 * `_ntz` / `try_` forms, epoch conversions (`timestamp_seconds`, `unix_seconds`, …),
 * `timestampadd` / `timestampdiff`, `months_between`, `next_day`, and zone conversions
 * (`from_utc_timestamp`, `to_utc_timestamp`, `convert_timezone`).
 */
import { type AstNode, constantText } from '../ast.ts';
import {
  instantInZone,
  instantOf,
  localDateTime,
  stringToTime,
  toDate,
  toDecimal,
  toInstant,
  toInt,
  toLocal,
  wallClock,
  wallClockInZone,
} from './datetime-coerce.ts';
import {
  and,
  big,
  bind,
  bindAll,
  byType,
  cast,
  cmp,
  fn,
  int,
  isNull,
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
  typed,
  when,
  withKindOf,
} from './datetime-sql.ts';
import { arity, type FunctionCall, type FunctionRule } from './rules.ts';

/** A literal date-time unit written as a bare word (`HOUR`) or a string (`'hour'`). */
export function unitWord(c: FunctionCall, i: number): string {
  const a = c.args[i]!;
  const word =
    a.class === 'COLUMN_REF' && Array.isArray(a.column_names) && a.column_names.length === 1
      ? String(a.column_names[0])
      : constantText(a);
  if (word === undefined) c.unsupported(`the unit of ${c.name}() must be a literal`);
  return word.toUpperCase();
}

/**
 * A `try_…` function: `rule`'s translation inside DuckDB's `try(…)` (NULL where it fails), typed
 * `type`. The arguments are evaluated outside it: Spark's `try_` functions give NULL for their
 * own failures only, and DuckDB refuses `try` around volatile expressions.
 */
export function tryRule(rule: (c: FunctionCall) => AstNode, type: string): FunctionRule {
  return (c) => {
    const keep = c.args.map((a) => a.class === 'COLUMN_REF' || a.class === 'CONSTANT');
    const bound = c.args.filter((_, i) => !keep[i]);
    return bindAll(bound, 'try', (refs) => {
      let next = 0;
      const args = c.args.map((a, i) => (keep[i] ? a : withKindOf(a, refs[next++]!)));
      return cast(fn('try', rule({ ...c, args })), type);
    });
  };
}

// ---------------------------------------------------------------------------------------------
// make_timestamp

/** Spark's TIME argument: a TIME, or a string read as one. */
function toTime(c: FunctionCall, x: AstNode): AstNode {
  return byType(
    x,
    { time: (t) => t, string: (s) => stringToTime(c, s), null: () => nullOf('TIME') },
    (_x, kind) => {
      if (kind !== undefined) c.unsupported(`${c.name}() takes a TIME here`);
      return raise(`[DATATYPE_MISMATCH] ${c.name}() takes a TIME here`, 'TIME');
    },
  );
}

/**
 * The local date-time of `make_timestamp(year, month, day, hour, min, sec)`: `sec` is
 * DECIMAL(16,6); 60 seconds with no fraction is the next minute (as PostgreSQL); anything
 * else out of range raises, as `LocalDateTime.of` does in Spark.
 */
function localFromFields(c: FunctionCall, args: readonly AstNode[]): AstNode {
  const [y, mo, d, h, mi] = args.slice(0, 5).map((a) => toInt(c, a));
  const micros = cast(op('*', toDecimal(c, args[5]!, 'DECIMAL(16,6)'), int(MICROS_PER_SECOND)), 'BIGINT');
  const valid = and(
    cmp(h!, '>=', int(0)),
    cmp(h!, '<=', int(23)),
    cmp(mi!, '>=', int(0)),
    cmp(mi!, '<=', int(59)),
    cmp(micros, '>=', big(0)),
    // 60 seconds only without a fraction: the next minute.
    cmp(micros, '<=', big(60 * MICROS_PER_SECOND)),
  );
  return when(
    [
      [
        not(valid),
        raise(
          messageWith(`[CAST_INVALID_INPUT] ${c.name}(): hour `, h!, ', minute or second out of range'),
          'TIMESTAMP',
        ),
      ],
    ],
    localDateTime(fn('make_date', y!, mo!, d!), h!, mi!, int(0), micros),
  );
}

/** `make_timestamp(date[, time])`: the date at midnight or at the time of day. */
function localFromDate(c: FunctionCall, args: readonly AstNode[]): AstNode {
  const date = cast(toDate(c, args[0]!), 'TIMESTAMP');
  return args.length === 1 ? date : op('+', date, fn('to_microseconds', fn('epoch_us', toTime(c, args[1]!))));
}

/**
 * The `make_timestamp` family: `ltz` (an instant, optionally in a given zone) or `ntz`; `tryIt`
 * returns NULL for invalid fields instead of raising.
 */
function makeTimestamp(type_: 'ltz' | 'ntz', tryIt: boolean): FunctionRule {
  const rule = (c: FunctionCall): AstNode => {
    const fields = c.args.length >= 6;
    const maxArgs = type_ === 'ltz' ? (fields ? 7 : 3) : fields ? 6 : 2;
    arity(c, 1, maxArgs);
    if (fields) arity(c, 6, maxArgs);
    const local = fields ? localFromFields(c, c.args) : localFromDate(c, c.args);
    const zoneArg = c.args[fields ? 6 : 2];
    const value = type_ === 'ntz' ? local : zoneArg ? instantInZone(c, local, zoneArg) : instantOf(local);
    return typed(value, type_ === 'ntz' ? 'TIMESTAMP' : TSTZ);
  };
  return tryIt ? tryRule(rule, type_ === 'ntz' ? 'TIMESTAMP' : TSTZ) : rule;
}

// ---------------------------------------------------------------------------------------------
// timestampadd / timestampdiff

const TIME_UNIT_MICROS: Readonly<Record<string, number>> = {
  MICROSECOND: 1,
  MILLISECOND: 1000,
  SECOND: MICROS_PER_SECOND,
  MINUTE: MICROS_PER_MINUTE,
  HOUR: MICROS_PER_HOUR,
};
const DATE_UNITS = new Set(['DAY', 'WEEK', 'MONTH', 'QUARTER', 'YEAR']);

function timestampUnit(c: FunctionCall, i: number): string {
  const unit = unitWord(c, i);
  if (TIME_UNIT_MICROS[unit] === undefined && !DATE_UNITS.has(unit)) {
    c.unsupported(
      `'${unit}' is not a unit of ${c.name}() (YEAR, QUARTER, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND, MILLISECOND, MICROSECOND)`,
    );
  }
  return unit;
}

/** Java's `ChronoUnit.between` on local date-times, for date units. */
function dateUnitsBetween(unit: string, start: AstNode, end: AstNode): AstNode {
  const sd = cast(start, 'DATE');
  const ed = cast(end, 'DATE');
  const st = cast(start, 'TIME');
  const et = cast(end, 'TIME');
  const endDate = when(
    [
      [and(cmp(ed, '>', sd), cmp(et, '<', st)), op('-', ed, int(1))],
      [and(cmp(ed, '<', sd), cmp(et, '>', st)), op('+', ed, int(1))],
    ],
    ed,
  );
  if (unit === 'DAY' || unit === 'WEEK') {
    const days = op('-', endDate, sd);
    return unit === 'DAY' ? days : op('//', days, big(7));
  }
  const packed = (d: AstNode) =>
    op('+', op('*', op('+', op('*', fn('year', d), big(12)), fn('month', d)), big(32)), fn('day', d));
  const months = op('//', op('-', packed(endDate), packed(sd)), big(32));
  return unit === 'MONTH' ? months : op('//', months, big(unit === 'QUARTER' ? 3 : 12));
}

/** `timestampdiff(unit, start, end)` (also `datediff` / `date_diff` with three arguments): BIGINT. */
export function timestampDiff(c: FunctionCall): AstNode {
  arity(c, 3);
  const unit = timestampUnit(c, 0);
  const start = toInstant(c, c.args[1]!);
  const end = toInstant(c, c.args[2]!);
  const micros = TIME_UNIT_MICROS[unit];
  if (micros !== undefined) {
    const diff = op('-', fn('epoch_us', end), fn('epoch_us', start));
    return micros === 1 ? diff : op('//', diff, big(micros));
  }
  return cast(dateUnitsBetween(unit, wallClock(start), wallClock(end)), 'BIGINT');
}

/**
 * `timestampadd(unit, n, ts)` (also `dateadd` / `date_add` with three arguments): a timestamp of
 * the argument's kind (TIMESTAMP_NTZ stays local); months clamp to the month's last day.
 */
export function timestampAdd(c: FunctionCall): AstNode {
  arity(c, 3);
  const unit = timestampUnit(c, 0);
  const n = toInt(c, c.args[1]!, 'BIGINT');
  const micros = TIME_UNIT_MICROS[unit];
  const interval =
    micros !== undefined
      ? fn('to_microseconds', op('*', n, big(micros)))
      : unit === 'DAY'
        ? fn('to_days', n)
        : unit === 'WEEK'
          ? fn('to_days', op('*', n, big(7)))
          : fn(
              'to_months',
              cast(op('*', n, big(unit === 'MONTH' ? 1 : unit === 'QUARTER' ? 3 : 12)), 'INTEGER'),
            );
  const ts = c.args[2]!;
  if (staticKind(ts) === 'timestamp_ntz') return typed(op('+', ts, interval), 'TIMESTAMP');
  return instantOf(op('+', wallClock(toInstant(c, ts)), interval));
}

// ---------------------------------------------------------------------------------------------
// months_between, next_day

/** Spark's `DateTimeUtils.monthsBetween` in a UTC session. */
function monthsBetween(c: FunctionCall): AstNode {
  arity(c, 2, 3);
  const roundArg = c.args[2];
  const roundOff = roundArg === undefined ? undefined : constantText(roundArg);
  return bind(wallClock(toInstant(c, c.args[0]!)), 'dt_w1', (w1) =>
    bind(wallClock(toInstant(c, c.args[1]!)), 'dt_w2', (w2) => {
      const d1 = cast(w1, 'DATE');
      const d2 = cast(w2, 'DATE');
      const monthDiff = op(
        '+',
        op('*', op('-', fn('year', d1), fn('year', d2)), big(12)),
        op('-', fn('month', d1), fn('month', d2)),
      );
      const secondsInDay = (w: AstNode, d: AstNode) =>
        op('//', op('-', fn('epoch_us', w), fn('epoch_us', cast(d, 'TIMESTAMP'))), big(MICROS_PER_SECOND));
      const secondsDiff = op(
        '+',
        op('*', op('-', fn('day', d1), fn('day', d2)), big(86_400)),
        op('-', secondsInDay(w1, d1), secondsInDay(w2, d2)),
      );
      const double = (text: string) => cast(str_(text), 'DOUBLE');
      const diff = op(
        '+',
        cast(monthDiff, 'DOUBLE'),
        op('/', cast(secondsDiff, 'DOUBLE'), double(String(31 * 86_400))),
      );
      // Java's Math.round(x) is floor(x + 0.5).
      const rounded = op(
        '/',
        fn('floor', op('+', op('*', diff, double('1e8')), double('0.5'))),
        double('1e8'),
      );
      const result =
        roundArg === undefined || roundOff === 'true'
          ? rounded
          : roundOff === 'false'
            ? diff
            : when(
                [[cast(roundArg, 'BOOLEAN'), rounded]],
                when([[isNull(roundArg), nullOf('DOUBLE')]], diff),
              );
      const whole = or(
        cmp(fn('day', d1), '=', fn('day', d2)),
        and(cmp(d1, '=', fn('last_day', d1)), cmp(d2, '=', fn('last_day', d2))),
      );
      return when([[whole, cast(monthDiff, 'DOUBLE')]], result);
    }),
  );
}

const DAYS_OF_WEEK: Readonly<Record<string, number>> = {
  MO: 1,
  MON: 1,
  MONDAY: 1,
  TU: 2,
  TUE: 2,
  TUESDAY: 2,
  WE: 3,
  WED: 3,
  WEDNESDAY: 3,
  TH: 4,
  THU: 4,
  THURSDAY: 4,
  FR: 5,
  FRI: 5,
  FRIDAY: 5,
  SA: 6,
  SAT: 6,
  SATURDAY: 6,
  SU: 7,
  SUN: 7,
  SUNDAY: 7,
};

/** `next_day(start, 'TU')`: the first date after `start` on that day of the week. */
function nextDay(c: FunctionCall): AstNode {
  arity(c, 2);
  const start = toDate(c, c.args[0]!);
  const name = fn('upper', c.args[1]!);
  const target = when(
    Object.entries(DAYS_OF_WEEK).map(([k, v]) => [cmp(name, '=', str_(k)), int(v)] as const),
    when(
      [[isNull(c.args[1]!), nullOf('INTEGER')]],
      raise(messageWith(`[CAST_INVALID_INPUT] Illegal input for day of week: `, c.args[1]!), 'INTEGER'),
    ),
  );
  const ahead = op('+', op('%', op('+', op('-', target, fn('isodow', start)), int(6)), int(7)), int(1));
  return typed(op('+', start, cast(ahead, 'INTEGER')), 'DATE');
}

// ---------------------------------------------------------------------------------------------
// Epoch conversions

/** `timestamp_seconds(x)`: integers exactly, decimals to whole microseconds, doubles truncated. */
function timestampSeconds(c: FunctionCall): AstNode {
  arity(c, 1);
  const million = int(MICROS_PER_SECOND);
  return byType(
    c.args[0]!,
    {
      integral: (n) => fn('make_timestamptz', op('*', cast(n, 'BIGINT'), big(MICROS_PER_SECOND))),
      decimal: (n) => {
        const micros = op('*', n, cast(million, 'DECIMAL(38,0)'));
        return when(
          [
            [
              cmp(micros, '<>', fn('trunc', micros)),
              raise(
                messageWith('[ARITHMETIC_OVERFLOW] timestamp_seconds(', n, ') is finer than a microsecond'),
                TSTZ,
              ),
            ],
          ],
          fn('make_timestamptz', cast(micros, 'BIGINT')),
        );
      },
      fractional: (n) =>
        when(
          [[or(fn('isnan', n), fn('isinf', n)), nullOf(TSTZ)]],
          fn('make_timestamptz', cast(fn('trunc', op('*', n, cast(million, 'DOUBLE'))), 'BIGINT')),
        ),
      null: () => nullOf(TSTZ),
    },
    (_x, kind) => {
      if (kind !== undefined) c.unsupported(`${c.name}() takes a number`);
      return raise(`[DATATYPE_MISMATCH] ${c.name}() takes a number`, TSTZ);
    },
  );
}

/** `timestamp_millis` / `timestamp_micros`: an integer count since the epoch. */
function timestampFromUnits(micros: number): FunctionRule {
  return (c) => {
    arity(c, 1);
    const n = toInt(c, c.args[0]!, 'BIGINT');
    return fn('make_timestamptz', micros === 1 ? n : op('*', n, big(micros)));
  };
}

/** `unix_seconds` / `unix_millis` / `unix_micros`: the instant's count, rounded down. */
function unixUnits(micros: number): FunctionRule {
  return (c) => {
    arity(c, 1);
    const us = fn('epoch_us', toInstant(c, c.args[0]!));
    return micros === 1 ? us : floorDiv(us, micros);
  };
}

/** `floor(a / b)` for BIGINT a and positive b (Java's `Math.floorDiv`). */
export function floorDiv(a: AstNode, b: number): AstNode {
  const mod = op('%', op('+', op('%', a, big(b)), big(b)), big(b));
  return op('//', op('-', a, mod), big(b));
}

// ---------------------------------------------------------------------------------------------
// Zones

function fromUtcTimestamp(c: FunctionCall): AstNode {
  arity(c, 2);
  return instantOf(wallClockInZone(c, toInstant(c, c.args[0]!), c.args[1]!));
}

function toUtcTimestamp(c: FunctionCall): AstNode {
  arity(c, 2);
  return typed(instantInZone(c, wallClock(toInstant(c, c.args[0]!)), c.args[1]!), TSTZ);
}

/** `convert_timezone([source,] target, ts)`: a TIMESTAMP_NTZ moved from one zone's clock to another's. */
function convertTimezone(c: FunctionCall): AstNode {
  arity(c, 2, 3);
  const [source, target, ts] = c.args.length === 3 ? c.args : [str_('UTC'), c.args[0]!, c.args[1]!];
  return typed(wallClockInZone(c, instantInZone(c, toLocal(c, ts!), source!), target!), 'TIMESTAMP');
}

export const TIMESTAMP_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  make_timestamp: makeTimestamp('ltz', false),
  make_timestamp_ltz: makeTimestamp('ltz', false),
  make_timestamp_ntz: makeTimestamp('ntz', false),
  try_make_timestamp: makeTimestamp('ltz', true),
  try_make_timestamp_ltz: makeTimestamp('ltz', true),
  try_make_timestamp_ntz: makeTimestamp('ntz', true),
  timestampdiff: timestampDiff,
  timestampadd: timestampAdd,
  months_between: monthsBetween,
  next_day: nextDay,
  timestamp_seconds: timestampSeconds,
  timestamp_millis: timestampFromUnits(1000),
  timestamp_micros: timestampFromUnits(1),
  unix_seconds: unixUnits(MICROS_PER_SECOND),
  unix_millis: unixUnits(1000),
  unix_micros: unixUnits(1),
  from_utc_timestamp: fromUtcTimestamp,
  to_utc_timestamp: toUtcTimestamp,
  convert_timezone: convertTimezone,
};
