/**
 * Spark datetime patterns (Java `DateTimeFormatter` letters, as Spark 3+ reads them) compiled for
 * DuckDB: for formatting, into `strftime` text and the few fields `strftime` cannot print as Java
 * does; for parsing, into one anchored regular expression whose groups are the fields, so the SQL
 * layer assembles the value itself and a string the pattern does not describe is never read.
 *
 * Spark's rules followed here: `y` is the proleptic year (Spark substitutes `u`); week-based
 * letters (`Y w W u e c`) and `A n N p` are errors; `E F q Q` cannot parse; five-letter text
 * fields are errors. Parsing is case-insensitive, a run of `S` reads one to that many digits,
 * `h` without `a` reads a morning hour, and missing fields default to 1970-01-01 00:00:00.
 * Anything else (optional sections `[…]`, era, zone names, two variable-width numbers side by
 * side) is reported as unsupported rather than approximated.
 */

/** A pattern split into literal text and runs of one letter. */
export type PatternToken =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'field'; readonly letter: string; readonly count: number };

/** Why a pattern cannot be used, for the caller's refusal message. */
export interface PatternProblem {
  readonly problem: string;
}

const isProblem = (x: unknown): x is PatternProblem =>
  typeof x === 'object' && x !== null && 'problem' in (x as object);

/** Splits a pattern into literals (quoted text, `''`, other characters) and letter runs. */
export function tokenizePattern(pattern: string): PatternToken[] | PatternProblem {
  const out: PatternToken[] = [];
  const literal = (text: string) => {
    const last = out[out.length - 1];
    if (last?.kind === 'literal') out[out.length - 1] = { kind: 'literal', text: last.text + text };
    else out.push({ kind: 'literal', text });
  };
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === "'") {
      if (pattern[i + 1] === "'") {
        literal("'");
        i += 2;
        continue;
      }
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= pattern.length) return { problem: 'an unterminated quote' };
        if (pattern[j] === "'" && pattern[j + 1] === "'") {
          text += "'";
          j += 2;
        } else if (pattern[j] === "'") break;
        else text += pattern[j++];
      }
      literal(text);
      i = j + 1;
      continue;
    }
    if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (pattern[j] === c) j++;
      out.push({ kind: 'field', letter: c, count: j - i });
      i = j;
      continue;
    }
    if ('[]{}#'.includes(c)) return { problem: `'${c}' (optional sections and reserved characters)` };
    literal(c);
    i++;
  }
  return out;
}

const WEEK_BASED = new Set(['Y', 'W', 'w', 'u', 'e', 'c']);
const ILLEGAL = new Set(['A', 'n', 'N', 'p']);

function checkSparkLetters(tokens: readonly PatternToken[], parsing: boolean): PatternProblem | undefined {
  for (const t of tokens) {
    if (t.kind !== 'field') continue;
    if (WEEK_BASED.has(t.letter))
      return { problem: `the week-based letter '${t.letter}' (Spark 3+ rejects it)` };
    if (ILLEGAL.has(t.letter) || (parsing && 'EFqQ'.includes(t.letter))) {
      return { problem: `the letter '${t.letter}'${parsing ? ' when parsing' : ''} (Spark rejects it)` };
    }
    if ('GMLEQq'.includes(t.letter) && t.count >= 5)
      return { problem: `five or more '${t.letter}' (Spark rejects it)` };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Formatting

/** A piece of a formatted value: `strftime` text, or a field `strftime` cannot print like Java. */
export type FormatPart =
  | { readonly kind: 'strftime'; readonly text: string }
  /** The proleptic year as Java prints `y` × count (`u` style: sign and padding rules). */
  | { readonly kind: 'year'; readonly count: number }
  /** A number left-padded with zeros to `width`. */
  | {
      readonly kind: 'padded';
      readonly field: 'dayofyear' | 'quarter' | 'hour1to24' | 'hour0to11';
      readonly width: number;
    }
  /** `Q3` (`QQQ`). */
  | { readonly kind: 'quarterText' }
  /** The first `digits` digits of the fraction of second (zeros past microseconds). */
  | { readonly kind: 'fraction'; readonly digits: number };

/** Java's letters for numbers `strftime` prints the same way, by letter and count. */
const STRFTIME: Readonly<Record<string, Readonly<Record<number, string>>>> = {
  M: { 1: '%-m', 2: '%m', 3: '%b', 4: '%B' },
  L: { 1: '%-m', 2: '%m', 3: '%b', 4: '%B' },
  d: { 1: '%-d', 2: '%d' },
  D: { 1: '%-j', 3: '%j' },
  H: { 1: '%-H', 2: '%H' },
  h: { 1: '%-I', 2: '%I' },
  m: { 1: '%-M', 2: '%M' },
  s: { 1: '%-S', 2: '%S' },
  a: { 1: '%p' },
  E: { 1: '%a', 2: '%a', 3: '%a', 4: '%A' },
};

/**
 * Zone letters in a UTC session (sluice's; date_format prints instants in the session zone): what
 * Java prints for UTC.
 */
const UTC_ZONE_TEXT: Readonly<Record<string, Readonly<Record<number, string>>>> = {
  X: { 1: 'Z', 2: 'Z', 3: 'Z', 4: 'Z', 5: 'Z' },
  x: { 1: '+00', 2: '+0000', 3: '+00:00', 4: '+0000', 5: '+00:00' },
  Z: { 1: '+0000', 2: '+0000', 3: '+0000', 4: 'GMT', 5: 'Z' },
  O: { 1: 'GMT', 4: 'GMT' },
  z: { 1: 'UTC', 2: 'UTC', 3: 'UTC', 4: 'Coordinated Universal Time' },
};

/**
 * A compiled format pattern: its parts, and the whole pattern as one `strftime` text valid for
 * years 1000 to 9999 (where `%Y` prints every count of `y` as Java does), when there is one.
 */
export interface FormatPattern {
  readonly parts: readonly FormatPart[];
  readonly fourDigitYears?: string;
}

/** Compiles a pattern for formatting (`date_format`, `from_unixtime`). */
export function compileFormat(pattern: string): FormatPattern | PatternProblem {
  const parts = compileFormatPattern(pattern);
  if (isProblem(parts)) return parts;
  let text = '';
  for (const p of parts) {
    if (p.kind === 'strftime') text += p.text;
    else if (p.kind === 'year' && p.count !== 2 && p.count <= 4) text += '%Y';
    else if (p.kind === 'year' && p.count === 2) text += '%y';
    else if (p.kind === 'fraction' && p.digits === 3) text += '%g';
    else if (p.kind === 'fraction' && p.digits >= 6) text += `%f${'0'.repeat(p.digits - 6)}`;
    else return { parts };
  }
  return { parts, fourDigitYears: text };
}

/** The parts of a pattern for formatting (`date_format`, `from_unixtime`). */
export function compileFormatPattern(pattern: string): FormatPart[] | PatternProblem {
  const tokens = tokenizePattern(pattern);
  if (isProblem(tokens)) return tokens;
  const bad = checkSparkLetters(tokens, false);
  if (bad) return bad;
  const parts: FormatPart[] = [];
  const text = (t: string) => {
    const last = parts[parts.length - 1];
    if (last?.kind === 'strftime') parts[parts.length - 1] = { kind: 'strftime', text: last.text + t };
    else parts.push({ kind: 'strftime', text: t });
  };
  for (const t of tokens) {
    if (t.kind === 'literal') {
      text(t.text.replaceAll('%', '%%'));
      continue;
    }
    const { letter, count } = t;
    const direct = STRFTIME[letter]?.[count];
    const zone = UTC_ZONE_TEXT[letter]?.[count];
    if (direct) text(direct);
    else if (zone) text(zone);
    else if (letter === 'y' && count <= 10) parts.push({ kind: 'year', count });
    else if (letter === 'D' && count === 2) parts.push({ kind: 'padded', field: 'dayofyear', width: 2 });
    else if ((letter === 'Q' || letter === 'q') && count <= 2)
      parts.push({ kind: 'padded', field: 'quarter', width: count });
    else if ((letter === 'Q' || letter === 'q') && count === 3) parts.push({ kind: 'quarterText' });
    else if (letter === 'k' && count <= 2) parts.push({ kind: 'padded', field: 'hour1to24', width: count });
    else if (letter === 'K' && count <= 2) parts.push({ kind: 'padded', field: 'hour0to11', width: count });
    else if (letter === 'S' && count <= 9) parts.push({ kind: 'fraction', digits: count });
    else return { problem: `'${letter.repeat(count)}'` };
  }
  return parts;
}

/**
 * The `strftime` text of a format pattern for years 1000 to 9999, when one `strftime` call prints
 * it as Java does; undefined otherwise. `mode` is kept for old callers: parsing never uses
 * `strftime` (see `compileParsePattern`).
 */
export function javaDatePattern(pattern: string, mode: 'format' | 'parse'): string | undefined {
  if (mode === 'parse') return undefined;
  const compiled = compileFormat(pattern);
  return isProblem(compiled) ? undefined : compiled.fourDigitYears;
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** What a regular-expression group of a parse pattern holds. */
export type ParseField =
  | { readonly field: 'year'; readonly style: 'full' | 'twoDigit' }
  | { readonly field: 'month'; readonly style: 'number' | 'short' | 'long' }
  | { readonly field: 'day' | 'hour' | 'clockHour' | 'minute' | 'second' | 'ampm' | 'fraction' }
  | { readonly field: 'offset'; readonly style: 'X' | 'x' };

/** A parse pattern: an anchored RE2 expression and, in group order, what each group is. */
export interface ParsePattern {
  readonly regex: string;
  readonly groups: readonly ParseField[];
  /**
   * For patterns of fixed-width numbers (`yyyy MM dd HH mm ss`) and literal text: a stricter
   * expression (fields in range, literals in their case) and the `strptime` format that reads
   * every string it matches exactly as Java does.
   */
  readonly fast?: { readonly regex: string; readonly strptime: string };
}

/** Fixed-width fields `strptime` reads like Java: their in-range digits and directive. */
const FAST_FIELDS: Readonly<Record<string, readonly [string, string]>> = {
  yyyy: ['[0-9]{4}', '%Y'],
  MM: ['(?:0[1-9]|1[0-2])', '%m'],
  dd: ['(?:0[1-9]|[12][0-9]|3[01])', '%d'],
  HH: ['(?:[01][0-9]|2[0-3])', '%H'],
  mm: ['[0-5][0-9]', '%M'],
  ss: ['[0-5][0-9]', '%S'],
};

function fastParse(tokens: readonly PatternToken[]): ParsePattern['fast'] {
  let regex = '';
  let strptime = '';
  for (const t of tokens) {
    if (t.kind === 'literal') {
      regex += t.text.replace(/[\\^$.|?*+()[\]{}]/g, (ch) => `\\${ch}`);
      strptime += t.text.replaceAll('%', '%%');
      continue;
    }
    const f = FAST_FIELDS[t.letter.repeat(t.count)];
    if (!f) return undefined;
    regex += f[0];
    strptime += f[1];
  }
  return { regex: `^${regex}$`, strptime };
}

const MONTHS_SHORT = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
export const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
export const MONTH_ABBREVIATIONS = MONTHS_SHORT;

/** RE2 text matching `text` literally, letters in either case (Spark parses case-insensitively). */
function literalRegex(text: string): string {
  let out = '';
  for (const ch of text) {
    if (/[A-Za-z]/.test(ch)) out += `[${ch.toLowerCase()}${ch.toUpperCase()}]`;
    else if (/[\\^$.|?*+()[\]{}]/.test(ch)) out += `\\${ch}`;
    else out += ch;
  }
  return out;
}

interface FieldRegex {
  readonly regex: string;
  readonly field: ParseField;
  /** A number of a variable count of digits (ambiguous next to another number). */
  readonly variable: boolean;
  readonly numeric: boolean;
}

function fieldRegex(letter: string, count: number): FieldRegex | PatternProblem {
  const num = (regex: string, field: ParseField, variable: boolean): FieldRegex => ({
    regex: `(${regex})`,
    field,
    variable,
    numeric: true,
  });
  const twoOrOne = (field: ParseField) =>
    count === 1 ? num('[0-9]{1,2}', field, true) : count === 2 ? num('[0-9]{2}', field, false) : undefined;
  let r: FieldRegex | undefined;
  switch (letter) {
    case 'y':
      // Java: y → 1..19 digits, yy → two digits from 2000, yyy → 3..19, yyyy+ → exactly n
      // (more only with a sign). Years beyond 9999 are not read.
      if (count === 1) r = num('[0-9]{1,4}', { field: 'year', style: 'full' }, true);
      else if (count === 2) r = num('[0-9]{2}', { field: 'year', style: 'twoDigit' }, false);
      else if (count === 3) r = num('[0-9]{3,4}', { field: 'year', style: 'full' }, true);
      else if (count === 4) r = num('[0-9]{4}', { field: 'year', style: 'full' }, false);
      break;
    case 'M':
    case 'L':
      if (count <= 2) r = twoOrOne({ field: 'month', style: 'number' });
      else if (count === 3 || count === 4) {
        const names = count === 3 ? MONTHS_SHORT : MONTH_NAMES;
        r = {
          regex: `((?i)${names.join('|')})`,
          field: { field: 'month', style: count === 3 ? 'short' : 'long' },
          variable: false,
          numeric: false,
        };
      }
      break;
    case 'd':
      r = twoOrOne({ field: 'day' });
      break;
    case 'H':
      r = twoOrOne({ field: 'hour' });
      break;
    case 'h':
      r = twoOrOne({ field: 'clockHour' });
      break;
    case 'm':
      r = twoOrOne({ field: 'minute' });
      break;
    case 's':
      r = twoOrOne({ field: 'second' });
      break;
    case 'S':
      if (count <= 9) r = num(`[0-9]{1,${count}}`, { field: 'fraction' }, count > 1);
      break;
    case 'a':
      if (count === 1)
        r = { regex: '([AaPp][Mm])', field: { field: 'ampm' }, variable: false, numeric: false };
      break;
    case 'X':
    case 'x': {
      const zero = letter === 'X' ? '[Zz]|' : '';
      const forms: Record<number, string> = {
        1: '[+-][0-9]{2}(?:[0-9]{2})?',
        2: '[+-][0-9]{4}',
        3: '[+-][0-9]{2}:[0-9]{2}',
      };
      if (forms[count]) {
        r = {
          regex: `(${zero}${forms[count]})`,
          field: { field: 'offset', style: letter },
          variable: false,
          numeric: false,
        };
      }
      break;
    }
    case 'Z':
      if (count <= 3)
        r = {
          regex: '([+-][0-9]{4})',
          field: { field: 'offset', style: 'x' },
          variable: false,
          numeric: false,
        };
      break;
  }
  return r ?? { problem: `'${letter.repeat(count)}' when parsing` };
}

/** Compiles a pattern for parsing (`to_date`, `to_timestamp`, `unix_timestamp`, …). */
export function compileParsePattern(pattern: string): ParsePattern | PatternProblem {
  const tokens = tokenizePattern(pattern);
  if (isProblem(tokens)) return tokens;
  const bad = checkSparkLetters(tokens, true);
  if (bad) return bad;
  let regex = '';
  const groups: ParseField[] = [];
  const seen = new Set<string>();
  let previous: FieldRegex | undefined;
  for (const t of tokens) {
    if (t.kind === 'literal') {
      regex += literalRegex(t.text);
      previous = undefined;
      continue;
    }
    const f = fieldRegex(t.letter, t.count);
    if (isProblem(f)) return f;
    const name = f.field.field;
    if (seen.has(name)) return { problem: `the ${name} given twice` };
    seen.add(name);
    if (
      previous?.numeric &&
      f.numeric &&
      (previous.variable || (f.variable && f.field.field !== 'fraction'))
    ) {
      return { problem: `two numbers side by side, one of a variable width ('${t.letter.repeat(t.count)}')` };
    }
    regex += f.regex;
    groups.push(f.field);
    previous = f;
  }
  if (seen.has('hour') && (seen.has('clockHour') || seen.has('ampm'))) {
    return { problem: "'H' with 'h' or 'a'" };
  }
  if (seen.has('ampm') && !seen.has('clockHour')) return { problem: "'a' without 'h'" };
  const fast = seen.has('year') ? fastParse(tokens) : undefined;
  return { regex: `^${regex}$`, groups, ...(fast ? { fast } : {}) };
}

export { isProblem as isPatternProblem };
