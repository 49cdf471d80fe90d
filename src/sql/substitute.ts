import type { Token } from './tokenizer.ts';

/** Maps an offset in a rewritten text back to the offset in the text it was derived from. */
export type OffsetMap = (offset: number) => number;

export const identityMap: OffsetMap = (o) => o;

/** One `${key}` that names no configuration entry. */
export interface UndefinedKey {
  readonly key: string;
  /** Offset of the `${` in the original text. */
  readonly offset: number;
}

export interface Substitution {
  readonly text: string;
  /** Maps offsets in `text` to offsets in the original; inside a substituted value → the `${`. */
  readonly map: OffsetMap;
  readonly undefinedKeys: readonly UndefinedKey[];
}

const REFERENCE = /\$\{([^}\s]*)\}/g;

/**
 * Replaces every `${key}` with `configuration[key]`, textually (inside string literals too,
 * as Lakeflow does), except inside comments: only references that start at a token of
 * `tokens` (comments are not tokens) are replaced. Unknown keys are reported and left as is.
 */
export function substituteConfiguration(
  text: string,
  configuration: Readonly<Record<string, string>>,
  tokens?: readonly Token[],
): Substitution {
  if (!text.includes('${')) return { text, map: identityMap, undefinedKeys: [] };
  const inToken = (offset: number): boolean => {
    if (!tokens) return true;
    // Tokens are sorted by start; find the last token starting at or before `offset`.
    let lo = 0;
    let hi = tokens.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (tokens[mid]!.start <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found >= 0 && offset < tokens[found]!.end;
  };
  const segments: { newStart: number; newEnd: number; origStart: number; origEnd: number }[] = [];
  const undefinedKeys: UndefinedKey[] = [];
  let out = '';
  let last = 0;
  for (const m of text.matchAll(REFERENCE)) {
    const start = m.index;
    if (!inToken(start)) continue;
    const key = m[1]!;
    const value = Object.hasOwn(configuration, key) ? configuration[key] : undefined;
    if (value === undefined) {
      undefinedKeys.push({ key, offset: start });
      continue;
    }
    out += text.slice(last, start);
    segments.push({
      newStart: out.length,
      newEnd: out.length + value.length,
      origStart: start,
      origEnd: start + m[0].length,
    });
    out += value;
    last = start + m[0].length;
  }
  out += text.slice(last);
  const map: OffsetMap = (offset) => {
    let shift = 0;
    for (const s of segments) {
      if (offset < s.newStart) break;
      if (offset < s.newEnd) return s.origStart;
      shift = s.origEnd - s.newEnd;
    }
    return offset + shift;
  };
  return { text: out, map, undefinedKeys };
}
