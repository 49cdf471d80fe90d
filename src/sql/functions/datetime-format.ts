/**
 * Formatting and parsing with Spark datetime patterns (`date_format`, `from_unixtime`,
 * `to_date(s, fmt)`, `to_timestamp(s, fmt)`, `unix_timestamp(s, fmt)`, …), from the patterns
 * `date-patterns.ts` compiles. Patterns must be literals: the pattern decides the translation.
 */
import { type AstNode, constantText } from '../ast.ts';
import {
  compileFormat,
  compileParsePattern,
  type FormatPart,
  isPatternProblem,
  MONTH_ABBREVIATIONS,
  MONTH_NAMES,
  type ParseField,
  type ParsePattern,
} from '../date-patterns.ts';
import { instantOf, listOf, localDateTime, wallClock } from './datetime-coerce.ts';
import {
  and,
  big,
  bind,
  byType,
  cast,
  cmp,
  concat,
  field,
  fn,
  int,
  isNull,
  messageWith,
  not,
  nullOf,
  op,
  or,
  raise,
  str_,
  TSTZ,
  when,
} from './datetime-sql.ts';
import type { FunctionCall } from './rules.ts';

/** The literal pattern argument `i` (NULL → undefined result handled by the caller). */
export function patternText(c: FunctionCall, i: number): string | null {
  const a = c.args[i]!;
  if (a.class === 'CONSTANT' && (a.value as { is_null?: boolean } | null)?.is_null === true) return null;
  const text = constantText(a);
  if (text === undefined) c.unsupported(`the pattern of ${c.name}() must be a literal string`);
  return text;
}

// ---------------------------------------------------------------------------------------------
// Formatting

/** `s` left-padded with zeros to `width` (never cut, unlike `lpad`). */
function padTo(s: AstNode, width: number): AstNode {
  return when([[cmp(fn('length', s), '>=', int(width)), s]], fn('lpad', s, int(width), str_('0')));
}

const text = (x: AstNode) => cast(x, 'VARCHAR');

/** Java's proleptic year (`u`) printed for `count` letters. */
function yearText(local: AstNode, count: number): AstNode {
  return bind(
    fn('year', local),
    'dt_year',
    (y) => {
      const abs = text(fn('abs', y));
      if (count === 1) return text(y);
      if (count === 2) return padTo(text(op('%', fn('abs', y), int(100))), 2);
      const negative = cmp(y, '<', int(0));
      if (count === 3) return when([[negative, concat(str_('-'), padTo(abs, 3))]], padTo(abs, 3));
      // EXCEEDS_PAD: a sign when the year is negative or has more digits than letters.
      return when(
        [
          [negative, concat(str_('-'), padTo(abs, count))],
          [cmp(fn('length', abs), '>', int(count)), concat(str_('+'), abs)],
        ],
        padTo(abs, count),
      );
    },
    true,
  );
}

function formatPart(local: AstNode, p: FormatPart): AstNode {
  switch (p.kind) {
    case 'strftime':
      return fn('strftime', local, str_(p.text));
    case 'year':
      return yearText(local, p.count);
    case 'padded': {
      const hour = fn('hour', local);
      const value =
        p.field === 'dayofyear'
          ? fn('dayofyear', local)
          : p.field === 'quarter'
            ? fn('quarter', local)
            : p.field === 'hour1to24'
              ? when([[cmp(hour, '=', int(0)), int(24)]], hour)
              : op('%', hour, int(12));
      return padTo(text(value), p.width);
    }
    case 'quarterText':
      return concat(str_('Q'), text(fn('quarter', local)));
    case 'fraction': {
      const micros = fn('strftime', local, str_('%f'));
      return p.digits <= 6
        ? fn('substr', micros, int(1), int(p.digits))
        : concat(micros, str_('0'.repeat(p.digits - 6)));
    }
    default: {
      const never: never = p;
      return never;
    }
  }
}

/** An instant formatted with a Spark pattern, in the (UTC) session zone. */
export function formatInstant(c: FunctionCall, instant: AstNode, pattern: string): AstNode {
  const compiled = compileFormat(pattern);
  if (isPatternProblem(compiled)) c.unsupported(`the date pattern '${pattern}' has ${compiled.problem}`);
  const { parts, fourDigitYears } = compiled;
  if (parts.length === 0) return when([[isNull(instant), nullOf('VARCHAR')]], str_(''));
  return bind(wallClock(instant), 'dt_local', (local) => {
    // `||` of a NULL piece is NULL, as is strftime of NULL: a NULL instant gives NULL.
    const pieces = concat(...parts.map((p) => formatPart(local, p)));
    if (fourDigitYears === undefined) return pieces;
    const inRange = and(
      cmp(local, '>=', cast(str_('1000-01-01'), 'TIMESTAMP')),
      cmp(local, '<', cast(str_('10000-01-01'), 'TIMESTAMP')),
    );
    return when([[inRange, fn('strftime', local, str_(fourDigitYears))]], pieces);
  });
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** What to produce from a parsed string. */
export type ParseTarget = 'instant' | 'local';

function parseFieldValue(groups: readonly ParseField[], g: AstNode, name: ParseField['field']) {
  const i = groups.findIndex((f) => f.field === name);
  return i < 0 ? undefined : { spec: groups[i]!, value: field(g, `g${i}`) };
}

const monthIndex = (names: readonly string[], value: AstNode) =>
  cast(fn('list_position', listOf(names.map((n) => n.toLowerCase())), fn('lower', value)), 'INTEGER');

/**
 * A string parsed with a compiled pattern: the instant (or local date-time) it names; a string
 * the pattern does not describe, or a field out of range, raises `[CAST_INVALID_INPUT]`.
 */
function parseWith(
  c: FunctionCall,
  s: AstNode,
  pattern: string,
  pp: ParsePattern,
  target: ParseTarget,
): AstNode {
  const resultType = target === 'instant' ? TSTZ : 'TIMESTAMP';
  const names = pp.groups.map((_, i) => `g${i}`);
  if (names.length === 0) {
    // Only literal text: the string is the pattern's text or it is not, and names 1970-01-01.
    return bind(s, 'dt_s', (s) =>
      when(
        [
          [isNull(s), nullOf(resultType)],
          [not(fn('regexp_full_match', s, str_(pp.regex))), parseFailure(c, s, pattern, resultType)],
        ],
        target === 'instant' ? fn('make_timestamptz', big(0)) : fn('make_timestamp', big(0)),
      ),
    );
  }
  const slow = (s: AstNode) =>
    bind(fn('regexp_extract', s, str_(pp.regex), listOf(names)), 'dt_g', (g) =>
      when(
        [
          [isNull(s), nullOf(resultType)],
          [cmp(field(g, 'g0'), '=', str_('')), parseFailure(c, s, pattern, resultType)],
        ],
        parsedValue(c, s, pattern, pp, g, target),
      ),
    );
  const fast = pp.fast;
  if (!fast) return bind(s, 'dt_s', slow);
  return bind(s, 'dt_s', (s) => {
    const local = fn('strptime', s, str_(fast.strptime));
    return when(
      [[fn('regexp_full_match', s, str_(fast.regex)), target === 'instant' ? instantOf(local) : local]],
      slow(s),
    );
  });
}

function parseFailure(c: FunctionCall, s: AstNode, pattern: string, resultType: string): AstNode {
  // ANSI mode off: NULL (Spark 4's default time parser policy, CORRECTED, returns NULL then).
  if (c.legacy === true) return nullOf(resultType);
  return raise(
    messageWith(
      `[CAST_INVALID_INPUT] The value '`,
      s,
      `' does not match the pattern '${pattern}' (in ${c.name}())`,
    ),
    resultType,
  );
}

/** The value of a string that matched a compiled pattern (fields in `g.g0…`), range-checked. */
function parsedValue(
  c: FunctionCall,
  s: AstNode,
  pattern: string,
  pp: ParsePattern,
  g: AstNode,
  target: ParseTarget,
): AstNode {
  const get = (name: ParseField['field']) => parseFieldValue(pp.groups, g, name);
  const num = (v: AstNode) => cast(v, 'INTEGER');

  const y = get('year');
  const year = !y
    ? int(1970)
    : y.spec.field === 'year' && y.spec.style === 'twoDigit'
      ? op('+', int(2000), num(y.value))
      : num(y.value);
  const m = get('month');
  const month = !m
    ? int(1)
    : m.spec.field === 'month' && m.spec.style !== 'number'
      ? monthIndex(m.spec.style === 'short' ? MONTH_ABBREVIATIONS : MONTH_NAMES, m.value)
      : num(m.value);
  const d = get('day');
  const day = d ? num(d.value) : int(1);
  const checks: AstNode[] = [between(month, 1, 12), between(day, 1, 31)];

  const h24 = get('hour');
  const h12 = get('clockHour');
  const ampm = get('ampm');
  let hour: AstNode = int(0);
  if (h24) {
    hour = num(h24.value);
    checks.push(between(hour, 0, 23));
  } else if (h12) {
    const pm = ampm ? cmp(fn('upper', fn('substr', ampm.value, int(1), int(1))), '=', str_('P')) : undefined;
    const base = op('%', num(h12.value), int(12));
    hour = pm ? when([[pm, op('+', base, int(12))]], base) : base;
    checks.push(between(num(h12.value), 1, 12));
  }
  const mi = get('minute');
  const minute = mi ? num(mi.value) : int(0);
  const se = get('second');
  const second = se ? num(se.value) : int(0);
  checks.push(between(minute, 0, 59), between(second, 0, 59));
  const fr = get('fraction');
  const micros = fr
    ? cast(fn('rpad', fn('substr', fr.value, int(1), int(6)), int(6), str_('0')), 'BIGINT')
    : cast(int(0), 'BIGINT');

  const local = localDateTime(fn('make_date', year, month, day), hour, minute, second, micros);
  const off = get('offset');
  let value: AstNode;
  if (target === 'local') value = local;
  else if (!off) value = instantOf(local);
  else {
    const o = off.value;
    const zero = cmp(fn('upper', o), '=', str_('Z'));
    const digits = fn('replace', fn('substr', o, int(2)), str_(':'), str_(''));
    const hh = num(fn('substr', digits, int(1), int(2)));
    const mm = when(
      [[cmp(fn('length', digits), '>', int(2)), num(fn('substr', digits, int(3), int(2)))]],
      int(0),
    );
    checks.push(or(zero, and(cmp(hh, '<=', int(18)), cmp(mm, '<=', int(59)))));
    const sign = when([[fn('starts_with', o, str_('-')), int(-1)]], int(1));
    const seconds = when(
      [[zero, int(0)]],
      op('*', sign, op('+', op('*', hh, int(3600)), op('*', mm, int(60)))),
    );
    value = instantOf(op('-', local, fn('to_seconds', cast(seconds, 'BIGINT'))));
  }
  return when(
    [[not(and(...checks)), parseFailure(c, s, pattern, target === 'instant' ? TSTZ : 'TIMESTAMP')]],
    value,
  );
}

const between = (x: AstNode, lo: number, hi: number) => and(cmp(x, '>=', int(lo)), cmp(x, '<=', int(hi)));

/**
 * Spark's `GetTimestamp` (the parse behind `to_timestamp(x, fmt)`, `to_date(x, fmt)`,
 * `unix_timestamp(x, fmt)`): strings parsed with the pattern, dates and timestamps taken as they
 * are. `convert` turns a non-string argument into the target type.
 */
export function parseWithPattern(
  c: FunctionCall,
  x: AstNode,
  pattern: string | null,
  target: ParseTarget,
  convert: (x: AstNode) => AstNode,
): AstNode {
  const resultType = target === 'instant' ? TSTZ : 'TIMESTAMP';
  if (pattern === null) return nullOf(resultType);
  const pp = compileParsePattern(pattern);
  if (isPatternProblem(pp)) c.unsupported(`the date pattern '${pattern}' has ${pp.problem}`);
  if (target === 'local' && pp.groups.some((g) => g.field === 'offset')) {
    c.unsupported(`the date pattern '${pattern}' reads a zone offset, which a TIMESTAMP_NTZ cannot hold`);
  }
  return byType(
    x,
    {
      string: (s) => parseWith(c, s, pattern, pp, target),
      date: convert,
      timestamp_tz: convert,
      timestamp_ntz: convert,
      null: () => nullOf(resultType),
    },
    (_x, kind) => {
      const message = `${c.name}() parses a STRING, DATE or TIMESTAMP`;
      if (kind !== undefined) c.unsupported(message);
      return raise(`[DATATYPE_MISMATCH] ${message}`, resultType);
    },
  );
}
