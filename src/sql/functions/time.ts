/**
 * Spark 4.1's TIME type (a time of day with microseconds, DuckDB's TIME): `to_time`,
 * `try_to_time`, `make_time`, `time_diff`, `time_trunc`. `hour` / `minute` / `second` and
 * `extract` of a TIME are with the other fields (`datetime-fields.ts`).
 */
import type { AstNode } from '../ast.ts';
import { compileParsePattern, isPatternProblem } from '../date-patterns.ts';
import { microsOfTime, stringToTime, timeOfMicros, toDecimal, toInt } from './datetime-coerce.ts';
import { parseWithPattern, patternText } from './datetime-format.ts';
import {
  and,
  big,
  byType,
  cast,
  cmp,
  int,
  MICROS_PER_HOUR,
  MICROS_PER_MINUTE,
  MICROS_PER_SECOND,
  messageWith,
  not,
  nullOf,
  op,
  raise,
  staticKind,
  when,
} from './datetime-sql.ts';
import { arity, type FunctionCall, type FunctionRule } from './rules.ts';
import { tryRule, unitWord } from './timestamps.ts';

const TIME_UNITS: Readonly<Record<string, number>> = {
  HOUR: MICROS_PER_HOUR,
  MINUTE: MICROS_PER_MINUTE,
  SECOND: MICROS_PER_SECOND,
  MILLISECOND: 1000,
  MICROSECOND: 1,
};

function timeUnit(c: FunctionCall, i: number): number {
  const unit = unitWord(c, i);
  const micros = TIME_UNITS[unit];
  if (micros === undefined)
    c.unsupported(`'${unit}' is not a unit of ${c.name}() (HOUR, MINUTE, SECOND, MILLISECOND, MICROSECOND)`);
  return micros;
}

/** A TIME argument: a TIME only (Spark does not read other types as TIME here). */
function timeArg(c: FunctionCall, x: AstNode): AstNode {
  const kind = staticKind(x);
  if (kind === 'time' || kind === 'null') return kind === 'null' ? nullOf('TIME') : x;
  return byType(x, { time: (t) => t, null: () => nullOf('TIME') }, (_x, k) => {
    if (k !== undefined) c.unsupported(`${c.name}() takes a TIME`);
    return raise(`[DATATYPE_MISMATCH] ${c.name}() takes a TIME`, 'TIME');
  });
}

/** `to_time(s[, fmt])`: Spark's string → TIME, or a parse with a pattern of time fields. */
function toTime(c: FunctionCall): AstNode {
  arity(c, 1, 2);
  const x = c.args[0]!;
  if (c.args.length === 1) {
    return byType(
      x,
      { string: (s) => stringToTime(c, s), time: (t) => t, null: () => nullOf('TIME') },
      (_x, k) => {
        if (k !== undefined) c.unsupported(`${c.name}() takes a STRING`);
        return raise(`[DATATYPE_MISMATCH] ${c.name}() takes a STRING`, 'TIME');
      },
    );
  }
  const pattern = patternText(c, 1);
  if (pattern !== null) {
    const pp = compileParsePattern(pattern);
    const fields = isPatternProblem(pp) ? [] : pp.groups.map((g) => g.field);
    const dateOrZone = fields.some((f) => ['year', 'month', 'day', 'offset'].includes(f));
    const hasHour = fields.includes('hour') || fields.includes('clockHour');
    if (!isPatternProblem(pp) && (dateOrZone || !hasHour || !fields.includes('minute'))) {
      c.unsupported(`the time pattern '${pattern}' must read an hour and a minute and no date or zone`);
    }
  }
  const local = parseWithPattern(c, x, pattern, 'local', () =>
    raise(`[DATATYPE_MISMATCH] ${c.name}() parses a STRING`, 'TIMESTAMP'),
  );
  return cast(local, 'TIME');
}

/** `make_time(hour, minute, second)`: second is DECIMAL(16,6), below 60. */
function makeTime(c: FunctionCall): AstNode {
  arity(c, 3);
  const h = toInt(c, c.args[0]!);
  const m = toInt(c, c.args[1]!);
  const micros = cast(op('*', toDecimal(c, c.args[2]!, 'DECIMAL(16,6)'), int(MICROS_PER_SECOND)), 'BIGINT');
  const valid = and(
    cmp(h, '>=', int(0)),
    cmp(h, '<=', int(23)),
    cmp(m, '>=', int(0)),
    cmp(m, '<=', int(59)),
    cmp(micros, '>=', big(0)),
    cmp(micros, '<', big(60 * MICROS_PER_SECOND)),
  );
  const total = op(
    '+',
    op(
      '+',
      op('*', cast(h, 'BIGINT'), big(MICROS_PER_HOUR)),
      op('*', cast(m, 'BIGINT'), big(MICROS_PER_MINUTE)),
    ),
    micros,
  );
  return cast(
    when(
      [
        [
          not(valid),
          raise(
            messageWith('[CAST_INVALID_INPUT] make_time(): hour ', h, ', minute or second out of range'),
            'TIME',
          ),
        ],
      ],
      timeOfMicros(total),
    ),
    'TIME',
  );
}

/** `time_diff(unit, start, end)`: whole units from start to end, truncated toward zero (BIGINT). */
function timeDiff(c: FunctionCall): AstNode {
  arity(c, 3);
  const unit = timeUnit(c, 0);
  const diff = op('-', microsOfTime(timeArg(c, c.args[2]!)), microsOfTime(timeArg(c, c.args[1]!)));
  return unit === 1 ? diff : op('//', diff, big(unit));
}

/** `time_trunc(unit, time)`: the time with the parts below the unit set to zero. */
function timeTrunc(c: FunctionCall): AstNode {
  arity(c, 2);
  const unit = timeUnit(c, 0);
  const t = timeArg(c, c.args[1]!);
  if (unit === 1) return t;
  const us = microsOfTime(t);
  return timeOfMicros(op('-', us, op('%', us, big(unit))));
}

export const TIME_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  to_time: toTime,
  try_to_time: tryRule(toTime, 'TIME'),
  make_time: makeTime,
  time_diff: timeDiff,
  time_trunc: timeTrunc,
};
