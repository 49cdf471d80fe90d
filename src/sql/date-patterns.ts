/**
 * Spark (Java `DateTimeFormatter`) date/time patterns → DuckDB `strftime`/`strptime` formats.
 * Returns undefined for a pattern letter DuckDB cannot express, so the caller can report it.
 */

/** Letter runs → [format pattern, parse pattern]. Parsing accepts padded and unpadded digits alike. */
const RUNS: Record<string, readonly [string, string]> = {
  yyyy: ['%Y', '%Y'],
  yyy: ['%Y', '%Y'],
  y: ['%Y', '%Y'],
  yy: ['%y', '%y'],
  uuuu: ['%Y', '%Y'],
  MMMM: ['%B', '%B'],
  MMM: ['%b', '%b'],
  MM: ['%m', '%m'],
  M: ['%-m', '%m'],
  LLLL: ['%B', '%B'],
  LLL: ['%b', '%b'],
  LL: ['%m', '%m'],
  L: ['%-m', '%m'],
  dd: ['%d', '%d'],
  d: ['%-d', '%d'],
  DDD: ['%j', '%j'],
  D: ['%-j', '%j'],
  HH: ['%H', '%H'],
  H: ['%-H', '%H'],
  hh: ['%I', '%I'],
  h: ['%-I', '%I'],
  mm: ['%M', '%M'],
  m: ['%-M', '%M'],
  ss: ['%S', '%S'],
  s: ['%-S', '%S'],
  SSS: ['%g', '%g'],
  SSSSSS: ['%f', '%f'],
  SSSSSSSSS: ['%n', '%n'],
  a: ['%p', '%p'],
  EEEE: ['%A', '%A'],
  EEE: ['%a', '%a'],
  EE: ['%a', '%a'],
  E: ['%a', '%a'],
  XXX: ['%z', '%z'],
  XX: ['%z', '%z'],
  X: ['%z', '%z'],
  xxx: ['%z', '%z'],
  xx: ['%z', '%z'],
  Z: ['%z', '%z'],
  ZZ: ['%z', '%z'],
  z: ['%Z', '%Z'],
  zzz: ['%Z', '%Z'],
};

/** Converts a Java date pattern; `mode` picks the strftime (format) or strptime (parse) spelling. */
export function javaDatePattern(pattern: string, mode: 'format' | 'parse'): string | undefined {
  let out = '';
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === "'") {
      // Quoted literal text; '' is a single quote.
      if (pattern[i + 1] === "'") {
        out += "'";
        i += 2;
        continue;
      }
      let j = i + 1;
      while (j < pattern.length) {
        if (pattern[j] === "'" && pattern[j + 1] === "'") {
          out += "'";
          j += 2;
        } else if (pattern[j] === "'") break;
        else out += pattern[j++] === '%' ? '%%' : pattern[j - 1];
      }
      i = j + 1;
      continue;
    }
    if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (pattern[j] === c) j++;
      const run = pattern.slice(i, j);
      const spec = RUNS[run];
      if (!spec) return undefined;
      out += mode === 'format' ? spec[0] : spec[1];
      i = j;
      continue;
    }
    out += c === '%' ? '%%' : c;
    i++;
  }
  return out;
}
