import { SluiceError, type SourceLocation } from '../errors/index.ts';
import { type Token, tokenize } from './tokenizer.ts';

/** Maps an offset in a rewritten text back to the offset in the text it was derived from. */
export type OffsetMap = (offset: number) => number;

export const identityMap: OffsetMap = (o) => o;

/** One `${key}` that names no configuration entry. */
export interface UndefinedKey {
  readonly key: string;
  /** Offset of the `${` in the original text. */
  readonly offset: number;
}

/** One `${key}` whose value would change the statement's structure (see `substituteConfiguration`). */
export interface UnsafeValue {
  readonly key: string;
  /** Offset of the `${` in the original text. */
  readonly offset: number;
  /** Why, for people: what the value would do there. */
  readonly reason: string;
}

export interface Substitution {
  readonly text: string;
  /** Maps offsets in `text` to offsets in the original; inside a substituted value → the `${`. */
  readonly map: OffsetMap;
  readonly undefinedKeys: readonly UndefinedKey[];
  readonly unsafe: readonly UnsafeValue[];
}

/** A value that is one token of SQL on its own: a name (or dotted path), a number, a complete literal. */
const ATOM =
  /^(?:[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*|[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|'[^'\\]*'|"[^"\\]*"|`[^`]*`(?:\.`[^`]*`)*|)$/;

/**
 * Why `value` would change the structure of the statement when put where a `${key}` token of
 * kind `inside` is, or undefined when it is safe: inside a string literal it must not contain
 * the literal's quote nor end with a backslash (either would end the literal early); inside a backtick
 * name no backtick; anywhere else it must be one token on its own (a name, a dotted path, a
 * number, a complete quoted literal) — not an expression, a list or a clause.
 */
function unsafeReason(value: string, inside: Token | undefined, text: string): string | undefined {
  if (inside?.kind === 'string' || inside?.kind === 'dstring') {
    const quote = text[inside.start]!;
    const escapesQuote = /(^|[^\\])(\\\\)*\\$/.test(value);
    if (value.includes(quote) || escapesQuote)
      return `inside a ${quote === "'" ? 'single' : 'double'}-quoted string it would end the string early (it ${value.includes(quote) ? `contains ${quote}` : 'ends with a backslash'})`;
    return undefined;
  }
  if (inside?.kind === 'backtick')
    return value.includes('`') ? 'inside a `name` it would end the name early' : undefined;
  return ATOM.test(value)
    ? undefined
    : 'outside a quoted string a value must be a single name, dotted path, number or quoted literal, not SQL text';
}

const REFERENCE = /\$\{([^}\s]*)\}/g;

/**
 * Replaces every `${key}` with `configuration[key]`, textually (inside string literals too,
 * as Lakeflow does), except inside comments: only references that start at a token of
 * `tokens` (comments are not tokens) are replaced. Unknown keys are reported and left as is.
 * Values that would change the statement's structure — close a string literal and go on as
 * SQL, or put an expression where a name goes — are reported as `unsafe` (see `unsafeReason`):
 * a configuration value is data, never SQL.
 */
export function substituteConfiguration(
  text: string,
  configuration: Readonly<Record<string, string>>,
  tokens?: readonly Token[],
): Substitution {
  if (!text.includes('${')) return { text, map: identityMap, undefinedKeys: [], unsafe: [] };
  const tokenAt = (offset: number): Token | undefined => {
    if (!tokens) return undefined;
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
    return found >= 0 && offset < tokens[found]!.end ? tokens[found] : undefined;
  };
  const inToken = (offset: number): boolean => !tokens || tokenAt(offset) !== undefined;
  const segments: { newStart: number; newEnd: number; origStart: number; origEnd: number }[] = [];
  const undefinedKeys: UndefinedKey[] = [];
  const unsafe: UnsafeValue[] = [];
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
    const reason = unsafeReason(value, tokenAt(start), text);
    if (reason) unsafe.push({ key, offset: start, reason });
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
  return { text: out, map, undefinedKeys, unsafe };
}

/** The error for a configuration value that would change a statement's structure. */
export function unsafeValueError(
  u: UnsafeValue,
  location: SourceLocation | undefined,
  dataset: string | undefined,
): SluiceError {
  return new SluiceError(
    'UNSAFE_CONFIGURATION_VALUE',
    `the value of \${${u.key}} would change the statement: ${u.reason}; a configuration value is data, not SQL — put the reference inside a quoted string, or change the value`,
    {
      params: { key: u.key },
      ...(location ? { location } : {}),
      ...(dataset ? { dataset } : {}),
    },
  );
}

/**
 * Puts configuration values into `text` at its `${key}` references (see `substituteConfiguration`);
 * references to keys with no value are left as they are.
 * @throws SluiceError UNSAFE_CONFIGURATION_VALUE for a value that would change the statement.
 */
export function substituteValues(text: string, configuration: Readonly<Record<string, string>>): string {
  const sub = substituteConfiguration(text, configuration, tokenize(text));
  const unsafe = sub.unsafe[0];
  if (unsafe) throw unsafeValueError(unsafe, undefined, undefined);
  return sub.text;
}
