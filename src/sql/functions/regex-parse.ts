/**
 * The parser of the Java → RE2 regex translation (`regex.ts`): Java pattern syntax into a small
 * tree whose character sets already carry Java's meaning (`.`, `\\s`, `(?i)` …).
 */
import {
  asciiCaseVariants,
  CATEGORIES,
  type CharSet,
  complement,
  DIGIT,
  HSPACE,
  LINE_TERMINATORS,
  normalize,
  POSIX,
  type Range,
  SCRIPTS,
  SPACE,
  VSPACE,
  WORD,
} from './regex-sets.ts';

export type Node =
  | { readonly k: 'set'; readonly set: CharSet }
  | { readonly k: 'any' }
  | { readonly k: 'assert'; readonly re2: string }
  | { readonly k: 'seq'; readonly items: Node[] }
  | { readonly k: 'alt'; readonly items: Node[] }
  | { readonly k: 'group'; readonly index?: number; readonly name?: string; readonly body: Node }
  | {
      readonly k: 'repeat';
      readonly node: Node;
      readonly min: number;
      readonly max: number;
      readonly lazy: boolean;
      possessive: boolean;
    };

export interface Flags {
  readonly i: boolean;
  readonly s: boolean;
  readonly m: boolean;
  readonly d: boolean;
}

export class Unsupported extends Error {}

const set = (ranges: Range[], negated = false, props: string[] = []): Node => ({
  k: 'set',
  set: { ranges: normalize(ranges), props, negated },
});

export class Parser {
  private pos = 0;
  private groupCount = 0;
  readonly names = new Map<string, number>();
  guardDollar: 'none' | 'java' | 'unix' = 'none';
  guardMultiline: 'none' | 'java' | 'unix' = 'none';

  constructor(private readonly cps: readonly number[]) {}

  get groups(): number {
    return this.groupCount;
  }

  private peek(offset = 0): number | undefined {
    return this.cps[this.pos + offset];
  }

  private at(ch: string, offset = 0): boolean {
    return this.peek(offset) === ch.codePointAt(0);
  }

  private fail(reason: string): never {
    throw new Unsupported(reason);
  }

  parseAll(flags: Flags): Node {
    const node = this.alternation(flags);
    if (this.pos < this.cps.length) this.fail(`unmatched ')' at offset ${this.pos}`);
    return node;
  }

  /** alternation := sequence ('|' sequence)*; inline flags last to the end of the group. */
  private alternation(flags: Flags): Node {
    const state = { flags };
    const items = [this.sequence(state)];
    while (this.at('|')) {
      this.pos++;
      items.push(this.sequence(state));
    }
    return items.length === 1 ? items[0]! : { k: 'alt', items };
  }

  private sequence(state: { flags: Flags }): Node {
    const items: Node[] = [];
    for (;;) {
      const ch = this.peek();
      if (ch === undefined || this.at('|') || this.at(')')) break;
      if (this.at('(') && this.at('?', 1) && this.inlineFlags(state)) continue;
      const atom = this.atom(state.flags);
      if (atom === undefined) continue;
      // A quantifier after \Q…\E repeats its last character only.
      if (atom.k === 'seq') {
        items.push(...atom.items.slice(0, -1));
        items.push(this.quantified(atom.items[atom.items.length - 1]!));
      } else items.push(this.quantified(atom));
    }
    return items.length === 1 ? items[0]! : { k: 'seq', items };
  }

  /** `(?flags)` on its own: changes the flags for the rest of the group; true when consumed. */
  private inlineFlags(state: { flags: Flags }): boolean {
    let i = 2;
    while (this.peek(i) !== undefined && /[a-zA-Z-]/.test(String.fromCodePoint(this.peek(i)!))) i++;
    if (!this.at(')', i)) return false;
    const spec = String.fromCodePoint(...this.cps.slice(this.pos + 2, this.pos + i));
    state.flags = this.applyFlags(state.flags, spec);
    this.pos += i + 1;
    return true;
  }

  private applyFlags(flags: Flags, spec: string): Flags {
    let on = true;
    const next = { ...flags };
    for (const f of spec) {
      if (f === '-') {
        on = false;
        continue;
      }
      if (f === 'i' || f === 's' || f === 'm' || f === 'd') next[f] = on;
      else if (f === 'u') {
        // UNICODE_CASE only changes case-insensitive matching, checked below.
      } else this.fail(`the inline flag '${f}' (${FLAG_NAMES[f] ?? 'unknown'}) is not supported`);
    }
    if (next.i && spec.includes('u') && on)
      this.fail('Unicode case-insensitive matching (?iu) is not supported');
    return next;
  }

  private quantified(atom: Node): Node {
    let min: number;
    let max: number;
    if (this.at('*')) [min, max] = [0, Infinity];
    else if (this.at('+')) [min, max] = [1, Infinity];
    else if (this.at('?')) [min, max] = [0, 1];
    else if (this.at('{')) {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(String.fromCodePoint(...this.cps.slice(this.pos, this.pos + 24)));
      if (!m) this.fail(`'{' at offset ${this.pos} is not a valid repetition`);
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (max < min) this.fail(`repetition {${min},${max}} has its bounds the wrong way round`);
      if (min > 1000 || (max !== Infinity && max > 1000))
        this.fail('repetition counts above 1000 are not supported (RE2)');
      this.pos += m[0].length - 1;
    } else return atom;
    this.pos++;
    if (atom.k === 'assert') this.fail('a quantifier after an anchor is not supported');
    let lazy = false;
    let possessive = false;
    if (this.at('?')) {
      lazy = true;
      this.pos++;
    } else if (this.at('+')) {
      possessive = true;
      this.pos++;
    }
    if (this.at('*') || this.at('+') || this.at('?') || this.at('{'))
      this.fail('a repeated quantifier (such as a**) is not supported');
    return { k: 'repeat', node: atom, min, max, lazy, possessive };
  }

  private atom(flags: Flags): Node | undefined {
    const ch = this.peek()!;
    const c = String.fromCodePoint(ch);
    this.pos++;
    switch (c) {
      case '(':
        return this.group(flags);
      case '[':
        return this.charClass(flags);
      case '.':
        if (flags.s) return { k: 'any' };
        return set(flags.d ? [[0x0a, 0x0a]] : LINE_TERMINATORS, true);
      case '^':
        if (flags.m) this.multiline(flags);
        return { k: 'assert', re2: flags.m ? '(?m:^)' : '^' };
      case '$':
        if (flags.m) {
          this.multiline(flags);
          return { k: 'assert', re2: '(?m:$)' };
        }
        this.dollar(flags);
        return { k: 'assert', re2: '\\z' };
      case '\\':
        return this.escape(flags);
      case '*':
      case '+':
      case '?':
      case '{':
        return this.fail(`dangling '${c}' at offset ${this.pos - 1}`);
      default:
        return this.literal(ch, flags);
    }
  }

  private multiline(flags: Flags): void {
    this.guardMultiline = flags.d || this.guardMultiline === 'unix' ? 'unix' : 'java';
  }

  private dollar(flags: Flags): void {
    this.guardDollar = flags.d && this.guardDollar !== 'java' ? 'unix' : 'java';
  }

  private literal(cp: number, flags: Flags): Node {
    const ranges: Range[] = [[cp, cp]];
    return set(flags.i ? [...ranges, ...asciiCaseVariants(ranges)] : ranges);
  }

  private group(flags: Flags): Node {
    let index: number | undefined;
    let name: string | undefined;
    let inner = flags;
    if (this.at('?')) {
      this.pos++;
      if (this.at(':')) this.pos++;
      else if (this.at('<') && /[a-zA-Z]/.test(String.fromCodePoint(this.peek(1) ?? 0))) {
        let end = this.pos + 1;
        while (end < this.cps.length && !this.cpIs(end, '>')) end++;
        name = String.fromCodePoint(...this.cps.slice(this.pos + 1, end));
        if (!/^[a-zA-Z][a-zA-Z0-9]*$/.test(name)) this.fail(`group name '${name}' is not valid`);
        if (this.names.has(name)) this.fail(`group name '${name}' is defined twice`);
        this.pos = end + 1;
        index = ++this.groupCount;
        this.names.set(name, index);
      } else if (this.at('=') || this.at('!') || this.at('<')) {
        this.fail('look-ahead and look-behind groups are not supported (RE2)');
      } else if (this.at('>')) {
        this.fail('atomic groups (?>…) are not supported (RE2)');
      } else {
        let i = 0;
        while (this.peek(i) !== undefined && /[a-zA-Z-]/.test(String.fromCodePoint(this.peek(i)!))) i++;
        if (!this.at(':', i)) this.fail(`'(?' at offset ${this.pos - 2} is not a supported group`);
        inner = this.applyFlags(flags, String.fromCodePoint(...this.cps.slice(this.pos, this.pos + i)));
        this.pos += i + 1;
      }
    } else index = ++this.groupCount;
    const body = this.alternation(inner);
    if (!this.at(')')) this.fail("missing ')'");
    this.pos++;
    return { k: 'group', ...(index !== undefined ? { index } : {}), ...(name ? { name } : {}), body };
  }

  private cpIs(i: number, ch: string): boolean {
    return this.cps[i] === ch.codePointAt(0);
  }

  /** An escape outside a character class. */
  private escape(flags: Flags): Node | undefined {
    const ch = this.peek();
    if (ch === undefined) this.fail('the pattern ends with a backslash');
    const c = String.fromCodePoint(ch);
    switch (c) {
      case 'b':
      case 'B':
        this.pos++;
        if (this.at('{')) this.fail('\\b{…} boundaries are not supported');
        return { k: 'assert', re2: `\\${c}` };
      case 'A':
        this.pos++;
        return { k: 'assert', re2: '\\A' };
      case 'z':
        this.pos++;
        return { k: 'assert', re2: '\\z' };
      case 'Z':
        this.pos++;
        this.dollar(flags);
        return { k: 'assert', re2: '\\z' };
      case 'Q': {
        this.pos++;
        const items: Node[] = [];
        while (this.pos < this.cps.length && !(this.at('\\') && this.at('E', 1))) {
          items.push(this.literal(this.cps[this.pos]!, flags));
          this.pos++;
        }
        if (this.pos < this.cps.length) this.pos += 2;
        return items.length === 1 ? items[0] : items.length === 0 ? undefined : { k: 'seq', items };
      }
      default:
        return this.classEscape(flags, false);
    }
  }

  /**
   * An escape standing for characters (`\d`, `\x41`, `\t`, `\.`, `\p{L}`): a set. Used inside
   * and outside classes; `this.pos` is at the character after the backslash.
   */
  private classEscape(flags: Flags, inClass: boolean): Node & { k: 'set' } {
    const ch = this.peek()!;
    const c = String.fromCodePoint(ch);
    this.pos++;
    const one = (cp: number) => this.literal(cp, flags) as Node & { k: 'set' };
    const of = (ranges: Range[], negated = false) => set(ranges, negated) as Node & { k: 'set' };
    switch (c) {
      case 'd':
        return of(DIGIT);
      case 'D':
        return of(DIGIT, true);
      case 'w':
        return of(WORD);
      case 'W':
        return of(WORD, true);
      case 's':
        return of(SPACE);
      case 'S':
        return of(SPACE, true);
      case 'h':
        return of(HSPACE);
      case 'H':
        return of(HSPACE, true);
      case 'v':
        return of(VSPACE);
      case 'V':
        return of(VSPACE, true);
      case 't':
        return one(0x09);
      case 'n':
        return one(0x0a);
      case 'r':
        return one(0x0d);
      case 'f':
        return one(0x0c);
      case 'a':
        return one(0x07);
      case 'e':
        return one(0x1b);
      case '0': {
        const m = /^([0-3][0-7]{0,2}|[0-7]{1,2})/.exec(this.rest(3));
        if (!m) this.fail('\\0 must be followed by an octal digit');
        this.pos += m[0].length;
        return one(Number.parseInt(m[0], 8));
      }
      case 'x': {
        const m = /^(\{([0-9a-fA-F]+)\}|[0-9a-fA-F]{2})/.exec(this.rest(10));
        if (!m) this.fail('\\x must be followed by two hex digits or {…}');
        this.pos += m[0].length;
        const cp = Number.parseInt(m[2] ?? m[0], 16);
        if (cp > 0x10ffff) this.fail('\\x{…} is beyond U+10FFFF');
        return one(cp);
      }
      case 'u': {
        const m = /^[0-9a-fA-F]{4}/.exec(this.rest(4));
        if (!m) this.fail('\\u must be followed by four hex digits');
        this.pos += 4;
        let cp = Number.parseInt(m[0], 16);
        if (cp >= 0xd800 && cp <= 0xdbff) {
          const low = /^\\u(d[c-f][0-9a-f]{2})/i.exec(this.rest(6));
          if (!low) this.fail('a lone UTF-16 surrogate \\u escape is not supported');
          this.pos += 6;
          cp = 0x10000 + ((cp - 0xd800) << 10) + (Number.parseInt(low[1]!, 16) - 0xdc00);
        } else if (cp >= 0xdc00 && cp <= 0xdfff)
          this.fail('a lone UTF-16 surrogate \\u escape is not supported');
        return one(cp);
      }
      case 'c': {
        const x = this.peek();
        if (x === undefined) this.fail('\\c must be followed by a character');
        this.pos++;
        return one(x ^ 64);
      }
      case 'p':
      case 'P':
        return this.property(c === 'P', flags) as Node & { k: 'set' };
      default:
        if (/[0-9]/.test(c)) this.fail('back references are not supported (RE2)');
        if (/[a-zA-Z]/.test(c)) {
          const what: Record<string, string> = {
            R: 'the line-break matcher \\R',
            X: 'the grapheme matcher \\X',
            N: 'named characters \\N{…}',
            k: 'named back references \\k<…>',
            G: 'the end-of-previous-match anchor \\G',
          };
          this.fail(
            `${what[c] ?? `the escape \\${c}`} is not supported${inClass ? ' in a character class' : ''}`,
          );
        }
        return one(ch);
    }
  }

  private rest(n: number): string {
    return String.fromCodePoint(...this.cps.slice(this.pos, this.pos + n));
  }

  private property(negated: boolean, flags: Flags): Node {
    let name: string;
    if (this.at('{')) {
      const end = this.cps.indexOf('}'.codePointAt(0)!, this.pos);
      if (end < 0) this.fail("\\p{ is missing its '}'");
      name = String.fromCodePoint(...this.cps.slice(this.pos + 1, end));
      this.pos = end + 1;
    } else {
      if (this.peek() === undefined) this.fail('\\p must be followed by a property');
      name = String.fromCodePoint(this.peek()!);
      this.pos++;
    }
    const posix = POSIX[name];
    if (posix) {
      if (flags.i && (name === 'Lower' || name === 'Upper'))
        this.fail(`\\p{${name}} with (?i) is not supported`);
      return set(posix, negated);
    }
    if (flags.i) this.fail(`\\p{${name}} with (?i) is not supported`);
    const category = name.replace(/^(Is|gc=|general_category=)/, '');
    if (CATEGORIES.has(category)) return set([], negated, [`\\p{${category}}`]);
    const script = SCRIPTS.get(name.replace(/^(Is|sc=|script=)/i, '').toLowerCase());
    if (script && name !== script.toLowerCase()) return set([], negated, [`\\p{${script}}`]);
    return this.fail(`the property \\p{${name}} is not supported`);
  }

  private charClass(flags: Flags): Node {
    let negated = false;
    if (this.at('^')) {
      negated = true;
      this.pos++;
    }
    if (this.at(']')) this.fail("a ']' first in a character class is not supported");
    const ranges: Range[] = [];
    const props: string[] = [];
    let lastSingle: number | undefined;
    let afterRange = false;
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) this.fail("a character class is missing its ']'");
      if (this.at(']')) {
        this.pos++;
        break;
      }
      if (this.at('[')) this.fail('nested character classes are not supported');
      if (this.at('&') && this.at('&', 1)) this.fail('character class intersections (&&) are not supported');
      if (this.at('-') && lastSingle !== undefined && !this.at(']', 1)) {
        // A range a-z: the upper end is one character (a literal or an escape for one).
        this.pos++;
        const hi = this.classMember(flags);
        if (hi.single === undefined) this.fail('a character class range must end with one character');
        if (hi.single < lastSingle) this.fail('a character class range has its ends the wrong way round');
        ranges.push([lastSingle, hi.single]);
        lastSingle = undefined;
        afterRange = true;
        continue;
      }
      if (this.at('-') && afterRange && !this.at(']', 1)) this.fail("a '-' after a range is ambiguous");
      const member = this.classMember(flags);
      if (member.single !== undefined) {
        ranges.push([member.single, member.single]);
        lastSingle = member.single;
      } else {
        ranges.push(...member.ranges);
        props.push(...member.props);
        lastSingle = undefined;
      }
      afterRange = false;
    }
    const all = flags.i ? [...ranges, ...asciiCaseVariants(ranges)] : ranges;
    return set(all, negated, props);
  }

  /** One member of a class: a character, or an escape for a set of characters. */
  private classMember(flags: Flags): { single?: number; ranges: Range[]; props: string[] } {
    const ch = this.peek()!;
    if (!this.at('\\')) {
      this.pos++;
      return { single: ch, ranges: [], props: [] };
    }
    this.pos++;
    const e = this.peek();
    if (e === undefined) this.fail('the pattern ends with a backslash');
    if ('QEbBAzZ'.includes(String.fromCodePoint(e)))
      this.fail(`\\${String.fromCodePoint(e)} in a character class is not supported`);
    const s = this.classEscape({ ...flags, i: false }, true).set;
    if (!s.negated && s.props.length === 0 && s.ranges.length === 1 && s.ranges[0]![0] === s.ranges[0]![1])
      return { single: s.ranges[0]![0], ranges: [], props: [] };
    if (s.negated) {
      if (s.props.length > 0) {
        if (s.props.length !== 1 || s.ranges.length > 0)
          this.fail('a negated property inside a class is not supported');
        return { ranges: [], props: [s.props[0]!.replace(/^\\p/, '\\P')] };
      }
      return { ranges: complement(s.ranges), props: [] };
    }
    return { ranges: s.ranges, props: s.props };
  }
}

const FLAG_NAMES: Record<string, string> = {
  x: 'comments',
  U: 'Unicode character classes',
  c: 'canonical equivalence',
};

/** Possessive `X*+` means greedy `X*` when the next thing cannot start with what X matches. */
