/**
 * Character sets for the Java → RE2 regex translation (`regex.ts`): code point ranges, Java's
 * predefined classes written as ranges (ASCII, as Java's are by default), and the property
 * names RE2 understands.
 */

/** An inclusive code point range. */
export type Range = [number, number];

/** Code point ranges plus RE2 property escapes (`\\p{Lu}`), optionally negated. */
export interface CharSet {
  readonly ranges: Range[];
  readonly props: string[];
  readonly negated: boolean;
}

/** Ranges from hex code points: `'30-39 5f'` → [[0x30, 0x39], [0x5f, 0x5f]]. */
function r(spec: string): Range[] {
  return spec.split(' ').map((part) => {
    const [lo, hi] = part.split('-');
    return [Number.parseInt(lo!, 16), Number.parseInt(hi ?? lo!, 16)];
  });
}

export const LINE_TERMINATORS = r('a d 85 2028-2029');
export const DIGIT = r('30-39');
export const WORD = r('30-39 41-5a 5f 61-7a');
export const SPACE = r('9-d 20');
export const HSPACE = r('9 20 a0 1680 180e 2000-200a 202f 205f 3000');
export const VSPACE = r('a-d 85 2028-2029');

/** Java's ASCII POSIX classes (`\\p{Alpha}`, …). */
export const POSIX: Readonly<Record<string, Range[]>> = {
  Lower: r('61-7a'),
  Upper: r('41-5a'),
  ASCII: r('0-7f'),
  Alpha: r('41-5a 61-7a'),
  Digit: DIGIT,
  Alnum: r('30-39 41-5a 61-7a'),
  Punct: r('21-2f 3a-40 5b-60 7b-7e'),
  Graph: r('21-7e'),
  Print: r('20-7e'),
  Blank: r('9 20'),
  Cntrl: r('0-1f 7f'),
  XDigit: r('30-39 41-46 61-66'),
  Space: SPACE,
};

/** Unicode general categories RE2 knows under the same name. */
export const CATEGORIES: ReadonlySet<string> = new Set(
  'L Lu Ll Lt Lm Lo M Mn Mc Me N Nd Nl No P Pc Pd Ps Pe Pi Pf Po S Sm Sc Sk So Z Zs Zl Zp Cc Cf Co Cs'.split(
    ' ',
  ),
);

/** Scripts RE2 knows, by lower-case name (Java accepts `IsLatin`, `script=Latin`, … in any case). */
export const SCRIPTS: ReadonlyMap<string, string> = new Map(
  (
    'Arabic Armenian Bengali Common Cyrillic Devanagari Georgian Greek Gujarati Gurmukhi Han Hangul ' +
    'Hebrew Hiragana Inherited Kannada Katakana Khmer Lao Latin Malayalam Myanmar Sinhala Tamil Telugu ' +
    'Thai Tibetan'
  )
    .split(' ')
    .map((s) => [s.toLowerCase(), s]),
);

export function normalize(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

export function complement(ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of normalize(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= 0x10ffff) out.push([next, 0x10ffff]);
  return out;
}

/** ASCII letters of the ranges in the other case (Java's default case-insensitive matching). */
export function asciiCaseVariants(ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  for (const [lo, hi] of ranges) {
    for (const [a, b, shift] of [
      [0x41, 0x5a, 0x20],
      [0x61, 0x7a, -0x20],
    ] as const) {
      const from = Math.max(lo, a);
      const to = Math.min(hi, b);
      if (from <= to) out.push([from + shift, to + shift]);
    }
  }
  return out;
}

export function effective(s: CharSet): Range[] {
  return s.negated ? complement(s.ranges) : s.ranges;
}

export function intersects(a: readonly Range[], b: readonly Range[]): boolean {
  return a.some(([lo, hi]) => b.some(([l2, h2]) => lo <= h2 && l2 <= hi));
}
