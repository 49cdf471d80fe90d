import { type Locate, sparkSyntaxError } from './syntax-errors.ts';
import { isSymbol, isWord, type Token } from './tokenizer.ts';

/**
 * Spark interval literals read from tokens and written as DuckDB intervals of the same value.
 *
 * Spark (ANSI mode, the default) has two interval types and sluice keeps their values apart:
 * - **year-month** (`INTERVAL '1-2' YEAR TO MONTH`, `INTERVAL 3 MONTHS`): a number of months,
 *   written `to_months(n)`;
 * - **day-time** (`INTERVAL '1 2:03' DAY TO MINUTE`, `INTERVAL 1 DAY 2 HOURS`,
 *   `INTERVAL '90' MINUTE`): a number of microseconds, written
 *   `(to_days(d) + to_microseconds(us))` with whole days in `d`, so DuckDB's `date_part` reads
 *   the fields Spark's `extract` does (`INTERVAL 25 HOURS` is 1 day 1 hour).
 *
 * Forms: multi-unit (`INTERVAL [-]v unit [[-]v unit …]`, values numbers or strings, fractions
 * only for seconds), unit-to-unit (`INTERVAL [-]'…' YEAR TO MONTH | DAY|HOUR|MINUTE TO
 * HOUR|MINUTE|SECOND`) and the interval string (`INTERVAL '1 day 2 hours'`). Mixing year-month
 * and day-time units is an error in Spark, and so here; so are out-of-range fields.
 */

const MICROS_PER_SECOND = 1_000_000n;
const MICROS_PER_MINUTE = 60n * MICROS_PER_SECOND;
const MICROS_PER_HOUR = 60n * MICROS_PER_MINUTE;
const MICROS_PER_DAY = 24n * MICROS_PER_HOUR;
const LONG_MAX = 2n ** 63n - 1n;
const INT_MAX = 2n ** 31n - 1n;

type Unit = 'year' | 'month' | 'week' | 'day' | 'hour' | 'minute' | 'second' | 'millisecond' | 'microsecond';

const MULTI_UNITS: Readonly<Record<string, Unit>> = {
  YEAR: 'year',
  YEARS: 'year',
  MONTH: 'month',
  MONTHS: 'month',
  WEEK: 'week',
  WEEKS: 'week',
  DAY: 'day',
  DAYS: 'day',
  HOUR: 'hour',
  HOURS: 'hour',
  MINUTE: 'minute',
  MINUTES: 'minute',
  SECOND: 'second',
  SECONDS: 'second',
  MILLISECOND: 'millisecond',
  MILLISECONDS: 'millisecond',
  MICROSECOND: 'microsecond',
  MICROSECONDS: 'microsecond',
};

const TO_UNITS = new Set(['YEAR', 'MONTH', 'DAY', 'HOUR', 'MINUTE', 'SECOND']);

/** An interval value: year-month (months) or day-time (microseconds). */
export type IntervalValue =
  | { readonly kind: 'year-month'; readonly months: bigint }
  | { readonly kind: 'day-time'; readonly micros: bigint };

/** A parsed interval literal: its DuckDB text and the index just past it. */
export interface ParsedInterval {
  readonly text: string;
  readonly end: number;
  readonly value: IntervalValue;
}

class IntervalError extends Error {}

const fail = (message: string): never => {
  throw new IntervalError(message);
};

/** An interval value as text (`day-time:<micros>` or `year-month:<months>`), read back by {@link intervalValueOfText}. */
export function intervalValueText(v: IntervalValue): string {
  return v.kind === 'day-time' ? `day-time:${v.micros}` : `year-month:${v.months}`;
}

/** The interval value written by {@link intervalValueText}, or undefined for other text. */
export function intervalValueOfText(text: string): IntervalValue | undefined {
  const m = /^(day-time|year-month):(-?\d+)$/.exec(text);
  if (!m) return undefined;
  return m[1] === 'day-time'
    ? { kind: 'day-time', micros: BigInt(m[2]!) }
    : { kind: 'year-month', months: BigInt(m[2]!) };
}

/** The DuckDB expression of an interval value. */
export function intervalSql(v: IntervalValue): string {
  if (v.kind === 'year-month') return `to_months(${v.months})`;
  const days = v.micros / MICROS_PER_DAY;
  const micros = v.micros % MICROS_PER_DAY;
  return `(to_days(${days}) + to_microseconds(${micros}))`;
}

function isValueToken(t: Token | undefined): boolean {
  return (
    t !== undefined &&
    (t.kind === 'string' ||
      t.kind === 'dstring' ||
      (t.kind === 'number' && /^(\d+\.?\d*|\.\d+)$/.test(t.text)))
  );
}

/**
 * Reads the interval literal whose `INTERVAL` word is `tokens[i]`, or returns undefined when
 * the word does not start one (a column named `interval`). Invalid literals are
 * SQL_SYNTAX_ERROR (Spark refuses them when parsing).
 */
export function parseIntervalAt(
  tokens: readonly Token[],
  i: number,
  locate: Locate,
): ParsedInterval | undefined {
  const start = tokens[i]!;
  let j = i + 1;
  const signed = isSymbol(tokens[j], '-') || isSymbol(tokens[j], '+');
  if (!isValueToken(tokens[j + (signed ? 1 : 0)])) return undefined;
  try {
    const first = tokens[j + (signed ? 1 : 0)]!;
    const firstUnit = tokens[j + (signed ? 2 : 1)];
    if (isWord(tokens[j + (signed ? 3 : 2)], 'TO') && firstUnit?.kind === 'word') {
      const toUnit = tokens[j + (signed ? 4 : 3)];
      const from = firstUnit.text.toUpperCase();
      const to = toUnit?.kind === 'word' ? toUnit.text.toUpperCase() : '';
      if (!TO_UNITS.has(from) || !TO_UNITS.has(to))
        fail(`'${from} TO ${to || '…'}' is not an interval qualifier`);
      if (first.kind === 'number') fail(`an interval ${from} TO ${to} value must be a string`);
      const value = applySign(first.value, isSymbol(tokens[j], '-'));
      const v = unitToUnit(value, from, to);
      return { text: intervalSql(v), end: j + (signed ? 5 : 4), value: v };
    }
    if (!signed && (first.kind === 'string' || first.kind === 'dstring') && !unitAt(tokens, j + 1)) {
      const v = fromIntervalString(first.value);
      return { text: intervalSql(v), end: j + 1, value: v };
    }
    const pairs: [string, Unit][] = [];
    const units: Unit[] = [];
    for (;;) {
      const neg = isSymbol(tokens[j], '-');
      const k = j + (neg || isSymbol(tokens[j], '+') ? 1 : 0);
      const valueToken = tokens[k];
      const unit = unitAt(tokens, k + 1);
      if (!isValueToken(valueToken) || !unit) break;
      let value = valueToken!.value;
      if (valueToken!.kind !== 'number' && /\p{L}/u.test(value))
        fail(`'${value}' is not an interval value (units go outside the quotes)`);
      value = applySign(value, neg);
      pairs.push([value, unit]);
      units.push(unit);
      j = k + 2;
    }
    if (pairs.length === 0) fail('expected an interval value and unit');
    const v = fromUnits(pairs, units);
    return { text: intervalSql(v), end: j, value: v };
  } catch (e) {
    if (!(e instanceof IntervalError)) throw e;
    const text = tokens
      .slice(i, Math.min(tokens.length, i + 6))
      .map((t) => t.text)
      .join(' ');
    throw sparkSyntaxError(`invalid interval literal: ${e.message}`, { start: start.start, text }, locate);
  }
}

function unitAt(tokens: readonly Token[], k: number): Unit | undefined {
  const t = tokens[k];
  if (t?.kind !== 'word') return undefined;
  const word = t.text.toUpperCase();
  if (word === 'NANOSECOND' || word === 'NANOSECONDS')
    return fail('nanosecond intervals are not supported by Spark');
  return MULTI_UNITS[word];
}

/** Spark's sign rule for `INTERVAL -'v'`: the minus flips a sign already in the string. */
function applySign(value: string, negative: boolean): string {
  if (!negative) return value;
  const trimmed = value.trimStart();
  return trimmed.startsWith('-') ? trimmed.slice(1) : `-${trimmed}`;
}

const YM_UNITS = new Set<Unit>(['year', 'month']);

/** Multi-unit literal: year-month units and day-time units must not mix. */
function fromUnits(pairs: readonly [string, Unit][], units: readonly Unit[]): IntervalValue {
  const ym = units.some((u) => YM_UNITS.has(u));
  const dt = units.some((u) => !YM_UNITS.has(u));
  if (ym && dt) fail('year-month and day-time units cannot be mixed in one interval');
  let months = 0n;
  let micros = 0n;
  for (const [value, unit] of pairs) {
    const { whole, fractionMicros } = number(value, unit);
    switch (unit) {
      case 'year':
        months += whole * 12n;
        break;
      case 'month':
        months += whole;
        break;
      case 'week':
        micros += whole * 7n * MICROS_PER_DAY;
        break;
      case 'day':
        micros += whole * MICROS_PER_DAY;
        break;
      case 'hour':
        micros += whole * MICROS_PER_HOUR;
        break;
      case 'minute':
        micros += whole * MICROS_PER_MINUTE;
        break;
      case 'second':
        micros += whole * MICROS_PER_SECOND + fractionMicros;
        break;
      case 'millisecond':
        micros += whole * 1000n;
        break;
      case 'microsecond':
        micros += whole;
        break;
      default:
        unit satisfies never;
    }
  }
  return checked(ym ? { kind: 'year-month', months } : { kind: 'day-time', micros });
}

function checked(v: IntervalValue): IntervalValue {
  if (v.kind === 'year-month' && (v.months > INT_MAX || v.months < -INT_MAX - 1n))
    fail('the interval is out of range');
  if (v.kind === 'day-time' && (v.micros > LONG_MAX || v.micros < -LONG_MAX - 1n))
    fail('the interval is out of range');
  return v;
}

/** `[+-]digits[.fraction]` → whole units and, for seconds, the fraction in microseconds (truncated). */
function number(text: string, unit: Unit): { whole: bigint; fractionMicros: bigint } {
  const m = /^\s*([+-])?\s*(\d*)(?:\.(\d*))?\s*$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return fail(`'${text}' is not a number`);
  const sign = m[1] === '-' ? -1n : 1n;
  const fraction = m[3];
  if (fraction !== undefined && unit !== 'second')
    fail(`only seconds can have a fraction ('${text}' ${unit})`);
  if ((fraction ?? '').length > 9) fail(`'${text}' has more than 9 fractional digits`);
  const whole = BigInt(m[2] || '0');
  if (whole > LONG_MAX) fail(`'${text}' is out of range`);
  const fractionMicros = BigInt(((fraction ?? '') + '000000').slice(0, 6));
  return { whole: sign * whole, fractionMicros: sign * fractionMicros };
}

/**
 * The value of a Spark interval string (`'10 seconds'`, `'interval 1 day 2 hours'`), as
 * `window()` durations are written; undefined when it is not one.
 */
export function intervalStringValue(input: string): IntervalValue | undefined {
  try {
    return fromIntervalString(input);
  } catch (e) {
    if (e instanceof IntervalError) return undefined;
    throw e;
  }
}

/** `INTERVAL '1 day 2 hours'`: Spark's interval string, typed by its units. */
function fromIntervalString(input: string): IntervalValue {
  let words = input
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w !== '');
  if (words[0] === 'interval') words = words.slice(1);
  if (words.length === 0) fail(`'${input}' is empty`);
  const pairs: [string, Unit][] = [];
  for (let k = 0; k < words.length; ) {
    let value = words[k]!;
    if ((value === '-' || value === '+') && k + 1 < words.length) {
      value += words[k + 1];
      k++;
    }
    const unitWord = words[k + 1];
    const unit = unitWord === undefined ? undefined : MULTI_UNITS[unitWord.toUpperCase()];
    if (!unit) fail(`'${input}' is not an interval (expected a unit after '${value}')`);
    pairs.push([value, unit!]);
    k += 2;
  }
  return fromUnits(
    pairs,
    pairs.map(([, u]) => u),
  );
}

/** Unit-to-unit literals: `'y-m' YEAR TO MONTH`, `'d h:m:s.f' DAY TO SECOND`, … */
function unitToUnit(value: string, from: string, to: string): IntervalValue {
  const s = value.trim();
  if (from === 'YEAR' && to === 'MONTH') {
    const m = /^([+|-])?(\d+)-(\d+)$/.exec(s);
    if (!m) return fail(`'${value}' does not match [+|-]y-m`);
    const years = range('year', m[2]!, 0n, INT_MAX / 12n);
    const months = range('month', m[3]!, 0n, 11n);
    return checked({ kind: 'year-month', months: sign(m[1]) * (years * 12n + months) });
  }
  const shapes: Record<string, RegExp> = {
    'DAY HOUR': /^([+|-])?(\d{1,9}) (\d{1,2})$/,
    'DAY MINUTE': /^([+|-])?(\d{1,9}) (\d{1,2}):(\d{1,2})$/,
    'DAY SECOND': /^([+|-])?(\d{1,9}) (\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d{1,9})?$/,
    'HOUR MINUTE': /^([+|-])?(\d{1,10}):(\d{1,2})$/,
    'HOUR SECOND': /^([+|-])?(\d{1,10}):(\d{1,2}):(\d{1,2})(\.\d{1,9})?$/,
    'MINUTE SECOND': /^([+|-])?(\d{1,12}):(\d{1,2})(\.\d{1,9})?$/,
  };
  const shape = shapes[`${from} ${to}`];
  if (!shape) return fail(`${from} TO ${to} is not an interval qualifier`);
  const m = shape.exec(s);
  if (!m) return fail(`'${value}' does not match the ${from} TO ${to} format`);
  const fields = m.slice(2).filter((x) => x !== undefined && !x.startsWith('.'));
  const fraction = m.slice(2).find((x) => x?.startsWith('.'));
  const names = ['DAY', 'HOUR', 'MINUTE', 'SECOND'].slice(['DAY', 'HOUR', 'MINUTE', 'SECOND'].indexOf(from));
  const perUnit: Record<string, bigint> = {
    DAY: MICROS_PER_DAY,
    HOUR: MICROS_PER_HOUR,
    MINUTE: MICROS_PER_MINUTE,
    SECOND: MICROS_PER_SECOND,
  };
  const max: Record<string, bigint> = { DAY: LONG_MAX / MICROS_PER_DAY, HOUR: 23n, MINUTE: 59n, SECOND: 59n };
  let micros = 0n;
  fields.forEach((f, k) => {
    const name = names[k]!;
    // The leading field is bounded only by the range of the whole interval.
    const bound = k === 0 ? LONG_MAX / perUnit[name]! : max[name]!;
    micros += range(name.toLowerCase(), f, 0n, bound) * perUnit[name]!;
  });
  if (fraction) micros += BigInt((fraction.slice(1) + '000000').slice(0, 6));
  return checked({ kind: 'day-time', micros: sign(m[1]) * micros });
}

function sign(s: string | undefined): bigint {
  return s === '-' ? -1n : 1n;
}

function range(what: string, digits: string, min: bigint, max: bigint): bigint {
  const v = BigInt(digits);
  if (v < min || v > max) fail(`${what} ${digits} is outside [${min}, ${max}]`);
  return v;
}
