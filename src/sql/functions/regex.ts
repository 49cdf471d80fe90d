/**
 * Java regular expressions (what Spark's regexp functions compile, `java.util.regex`) translated
 * to RE2 (what DuckDB runs), exactly or not at all.
 *
 * The pattern is parsed into a small tree and written back in RE2 syntax with Java's meaning:
 *
 * - `.` excludes Java's line terminators (\n, \r, \u0085, \u2028, \u2029), not only \n;
 * - `\s` includes \x0B, `\h` and `\v` are Java's horizontal / vertical whitespace, the POSIX
 *   classes (`\p{Alpha}`, `\p{Punct}`, …) are ASCII as in Java;
 * - `(?i)` folds ASCII letters only (Java's default), written out as `[aA]`;
 * - a possessive quantifier is written greedy only where giving characters back could never
 *   help (`[ ]*+[a-z]`), which is when Java's and RE2's matches agree;
 * - `\b` is ASCII, as in Java 21 (`\b` follows `\w`).
 *
 * Some Java meanings depend on the input: `$` also matches before a final line terminator, and
 * `(?m)` treats \r, \u0085, \u2028, \u2029 as line ends. Those patterns come with a `guard`, an
 * RE2 pattern matching exactly the inputs where RE2 could answer differently; callers fail
 * those rows at run time instead of answering wrong. Look-around, atomic groups, back
 * references and the other constructs RE2 lacks are refused.
 */

/** A translated pattern. */
import { type Node, Parser, Unsupported } from './regex-parse.ts';
import { type CharSet, effective, intersects } from './regex-sets.ts';

export interface Re2Pattern {
  /** The pattern in RE2 syntax. */
  readonly re2: string;
  /** Capturing groups, numbered as in Java. */
  readonly groups: number;
  /** Named groups and their numbers. */
  readonly names: ReadonlyMap<string, number>;
  /** Whether the pattern can match the empty string. */
  readonly nullable: boolean;
  /** An RE2 pattern matching the inputs this translation cannot answer for, if any. */
  readonly guard?: string;
}

export type RegexTranslation =
  | ({ readonly ok: true } & Re2Pattern)
  | { readonly ok: false; readonly reason: string };

/** Code point ranges (inclusive) plus RE2 property escapes (`\p{Lu}`), optionally negated. */
function resolvePossessive(node: Node, next: Node | undefined, atEnd: boolean): void {
  switch (node.k) {
    case 'seq':
      for (const [i, item] of node.items.entries())
        resolvePossessive(item, node.items[i + 1], atEnd && i === node.items.length - 1);
      return;
    case 'alt':
      for (const item of node.items) resolvePossessive(item, next, atEnd);
      return;
    case 'group':
      resolvePossessive(node.body, undefined, false);
      return;
    case 'repeat': {
      resolvePossessive(node.node, undefined, false);
      if (!node.possessive) return;
      const x = node.node;
      const simple = (n: Node | undefined): n is Node & { k: 'set' } =>
        n?.k === 'set' && n.set.props.length === 0;
      let nextSet = next;
      if (nextSet?.k === 'repeat' && nextSet.min > 0) nextSet = nextSet.node;
      const disjoint = simple(x) && simple(nextSet) && !intersects(effective(x.set), effective(nextSet.set));
      if (disjoint || (atEnd && next === undefined)) node.possessive = false;
      else throw new Unsupported('possessive quantifiers (*+, ++, ?+) are not supported (RE2) here');
      return;
    }
    default:
      return;
  }
}

function nullable(node: Node): boolean {
  switch (node.k) {
    case 'set':
    case 'any':
      return false;
    case 'assert':
      return true;
    case 'seq':
      return node.items.every(nullable);
    case 'alt':
      return node.items.some(nullable);
    case 'group':
      return nullable(node.body);
    case 'repeat':
      return node.min === 0 || nullable(node.node);
  }
}

const META = new Set('\\.+*?()|[]{}^$'.split(''));
const CLASS_META = new Set('\\]^-['.split(''));

function literalText(cp: number, inClass: boolean): string {
  const c = String.fromCodePoint(cp);
  // Controls, and in classes everything beyond ASCII, as \x{…} (readable and unambiguous).
  if (
    cp < 0x20 ||
    cp === 0x7f ||
    (cp >= 0x80 && (inClass || cp < 0xa0 || cp === 0x2028 || cp === 0x2029 || cp >= 0xe000))
  )
    return `\\x{${cp.toString(16)}}`;
  if ((inClass ? CLASS_META : META).has(c)) return `\\${c}`;
  return c;
}

function emitSet(s: CharSet): string {
  if (!s.negated && s.props.length === 0 && s.ranges.length === 1 && s.ranges[0]![0] === s.ranges[0]![1])
    return literalText(s.ranges[0]![0], false);
  if (!s.negated && s.ranges.length === 0 && s.props.length === 1) return s.props[0]!;
  const body = s.ranges
    .map(([lo, hi]) =>
      lo === hi ? literalText(lo, true) : `${literalText(lo, true)}-${literalText(hi, true)}`,
    )
    .join('');
  if (body === '' && s.props.length === 0) return s.negated ? '(?s:.)' : '[^\\x00-\\x{10FFFF}]';
  return `[${s.negated ? '^' : ''}${body}${s.props.join('')}]`;
}

function emit(node: Node): string {
  switch (node.k) {
    case 'set':
      return emitSet(node.set);
    case 'any':
      return '(?s:.)';
    case 'assert':
      return node.re2;
    case 'seq':
      return node.items.map((n) => (n.k === 'alt' ? `(?:${emit(n)})` : emit(n))).join('');
    case 'alt':
      return node.items.map(emit).join('|');
    case 'group':
      return node.index === undefined
        ? `(?:${emit(node.body)})`
        : `(${node.name ? `?P<${node.name}>` : ''}${emit(node.body)})`;
    case 'repeat': {
      const inner =
        node.node.k === 'seq' || node.node.k === 'alt' ? `(?:${emit(node.node)})` : emit(node.node);
      const q =
        node.min === 0 && node.max === Infinity
          ? '*'
          : node.min === 1 && node.max === Infinity
            ? '+'
            : node.min === 0 && node.max === 1
              ? '?'
              : node.max === Infinity
                ? `{${node.min},}`
                : node.min === node.max
                  ? `{${node.min}}`
                  : `{${node.min},${node.max}}`;
      return `${inner}${q}${node.lazy ? '?' : ''}`;
    }
  }
}

/** Translates a Java pattern to RE2, or says why it cannot be translated exactly. */
export function translateJavaRegex(pattern: string): RegexTranslation {
  const parser = new Parser([...pattern].map((c) => c.codePointAt(0)!));
  try {
    const tree = parser.parseAll({ i: false, s: false, m: false, d: false });
    resolvePossessive(tree, undefined, true);
    const guards: string[] = [];
    if (parser.guardDollar === 'java') guards.push('[\\n\\r\\x{85}\\x{2028}\\x{2029}]\\z');
    if (parser.guardDollar === 'unix') guards.push('\\n\\z');
    if (parser.guardMultiline === 'java') guards.push('[\\r\\x{85}\\x{2028}\\x{2029}]', '\\n\\z');
    if (parser.guardMultiline === 'unix') guards.push('\\n\\z');
    return {
      ok: true,
      re2: emit(tree),
      groups: parser.groups,
      names: parser.names,
      nullable: nullable(tree),
      ...(guards.length > 0 ? { guard: [...new Set(guards)].join('|') } : {}),
    };
  } catch (e) {
    if (e instanceof Unsupported) return { ok: false, reason: e.message };
    throw e;
  }
}

/**
 * Translates a `Matcher.replaceAll` replacement (`$1`, `${name}`, `\$`) to RE2's (`\1`, `\\`).
 * Undefined when it names a group the pattern lacks or one above 9 (RE2's limit).
 */
export function translateJavaReplacement(
  replacement: string,
  pattern: Re2Pattern,
): { ok: true; re2: string } | { ok: false; reason: string } {
  let out = '';
  const chars = [...replacement];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\') {
      const next = chars[++i];
      if (next === undefined) return { ok: false, reason: 'the replacement ends with a backslash' };
      out += next === '\\' ? '\\\\' : next;
    } else if (c === '$') {
      let group: number;
      if (chars[i + 1] === '{') {
        const end = chars.indexOf('}', i);
        const name = chars.slice(i + 2, end < 0 ? chars.length : end).join('');
        const n = pattern.names.get(name);
        if (end < 0 || n === undefined)
          return { ok: false, reason: `the replacement names no group '${name}'` };
        group = n;
        i = end;
      } else {
        if (!/[0-9]/.test(chars[i + 1] ?? ''))
          return { ok: false, reason: "a '$' in the replacement must name a group" };
        // Java reads further digits while the number stays a group of the pattern.
        group = Number(chars[++i]);
        while (/[0-9]/.test(chars[i + 1] ?? '') && group * 10 + Number(chars[i + 1]) <= pattern.groups) {
          group = group * 10 + Number(chars[++i]);
        }
        if (group > pattern.groups)
          return {
            ok: false,
            reason: `the replacement names group ${group}, the pattern has ${pattern.groups}`,
          };
      }
      if (group > 9) return { ok: false, reason: 'a replacement group above 9 is not supported (RE2)' };
      out += `\\${group}`;
    } else out += c;
  }
  return { ok: true, re2: out };
}
