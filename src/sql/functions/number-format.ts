/**
 * Spark's number format strings (`to_number`, `try_to_number`, `to_char` of a number): '0' / '9'
 * digits, '.' / 'D' the decimal point, ',' / 'G' grouping, '$', 'S' / 'MI' signs and 'PR'
 * angle brackets. The format is a literal, so sluice reads it at compile time and writes the
 * parsing as one RE2 pattern and the formatting as string operations specialised to it, with
 * Spark's rules (see Spark's ToNumberParser): the format is validated as Spark validates it,
 * parsing ignores whitespace inside digit runs, formatting pads with spaces (zeros after a
 * leading '0'), moves signs next to the digits, and fills with '#' when the value is too long.
 */
import type { AstNode } from '../ast.ts';
import {
  and,
  bind,
  cast,
  castDecimal,
  eq,
  fail,
  fn,
  gt,
  int,
  isNull,
  list,
  listItem,
  lt,
  ne,
  not,
  nul,
  op,
  or,
  text,
  typeIs,
  when,
} from './builders.ts';

type Token =
  | { readonly t: 'digits'; readonly n: number; readonly exact: boolean }
  | { readonly t: 'group' }
  | { readonly t: 'point' }
  | { readonly t: 'dollar' }
  | { readonly t: 'S' }
  | { readonly t: 'MI' }
  | { readonly t: 'open' }
  | { readonly t: 'close' };

/** A parsed and validated format: its tokens in order, precision and scale. */
export interface NumberFormat {
  readonly tokens: readonly Token[];
  readonly precision: number;
  readonly scale: number;
}

/** Reads a format string as Spark does, or says why Spark rejects it. */
export function parseNumberFormat(format: string): NumberFormat | string {
  const tokens: Token[] = [];
  let afterPoint = false;
  for (let i = 0; i < format.length; ) {
    const ch = format[i]!;
    if (ch === '0' || ch === '9') {
      let j = i + 1;
      while (j < format.length && (format[j] === '0' || format[j] === '9')) j++;
      tokens.push({ t: 'digits', n: j - i, exact: ch === '0' && !afterPoint });
      i = j;
    } else if (ch === '.' || ch === 'D') {
      tokens.push({ t: 'point' });
      afterPoint = true;
      i++;
    } else if (ch === ',' || ch === 'G') {
      tokens.push({ t: 'group' });
      i++;
    } else if (ch === '$') {
      tokens.push({ t: 'dollar' });
      i++;
    } else if (ch === 'S') {
      tokens.push({ t: 'S' });
      i++;
    } else if (format.startsWith('MI', i)) {
      tokens.push({ t: 'MI' });
      i += 2;
    } else if (format.startsWith('PR', i)) {
      tokens.unshift({ t: 'open' });
      tokens.push({ t: 'close' });
      i += 2;
    } else return `the number format '${format}' has the character '${ch}'`;
  }
  if (format === '') return 'the number format is empty';
  if (!tokens.some((x) => x.t === 'digits')) return `the number format '${format}' has no digits`;
  // Spark's order: [PR] [MI|S] [$] [digits and groups] [.] [digits] [$] [PR|MI|S].
  const order: Token['t'][][] = [
    ['open'],
    ['MI', 'S'],
    ['dollar'],
    ['run'],
    ['point'],
    ['run'],
    ['dollar'],
    ['MI', 'S', 'close'],
  ] as never;
  const kinds: string[] = [];
  for (const x of tokens) {
    const kind = x.t === 'digits' || x.t === 'group' ? 'run' : x.t;
    if (kind !== 'run' || kinds[kinds.length - 1] !== 'run') kinds.push(kind);
  }
  let k = 0;
  for (const allowed of order) if (k < kinds.length && (allowed as string[]).includes(kinds[k]!)) k++;
  if (k < kinds.length)
    return `the number format '${format}' has '${kinds[k]}' where Spark does not allow it`;
  // Grouping separators only between digits, before the decimal point.
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.t !== 'group') continue;
    const before = tokens[i - 1]?.t;
    const after = tokens[i + 1]?.t;
    const pointBefore = tokens.slice(0, i).some((x) => x.t === 'point');
    if (before !== 'digits' || after !== 'digits' || pointBefore)
      return `the number format '${format}' has a grouping separator not between digits before the decimal point`;
  }
  const precision = tokens.reduce((n, x) => n + (x.t === 'digits' ? x.n : 0), 0);
  const point = tokens.findIndex((x) => x.t === 'point');
  const scale = point < 0 ? 0 : tokens.slice(point).reduce((n, x) => n + (x.t === 'digits' ? x.n : 0), 0);
  if (precision > 38) return `the number format '${format}' has more than 38 digits`;
  return { tokens, precision, scale };
}

// ---------------------------------------------------------------------------------------------
// Parsing (to_number)

/** Java's `Character.isWhitespace`, which Spark skips inside digit runs. */
const WS =
  '[\\t-\\r\\x{1C}-\\x{1F} \\x{1680}\\x{2000}-\\x{2006}\\x{2008}-\\x{200A}\\x{2028}\\x{2029}\\x{205F}\\x{3000}]';

/**
 * The RE2 pattern of one run of digit groups: Spark reads every digit, comma and whitespace,
 * then matches the groups from the right against the format's (a missing leading group counts
 * as 0 digits, which a '0' group refuses).
 */
function runPattern(groups: readonly { n: number; exact: boolean }[]): string {
  const group = (g: { n: number; exact: boolean }) => `${WS}*(?:[0-9]${WS}*){${g.exact ? g.n : `0,${g.n}`}}`;
  const options: string[] = [];
  for (let m = groups.length; m >= 1; m--) {
    const missing = groups.slice(0, groups.length - m);
    if (missing.some((g) => g.exact)) continue;
    options.push(
      groups
        .slice(groups.length - m)
        .map(group)
        .join(','),
    );
  }
  return `(?:${options.join('|')})`;
}

/** The digit groups of a run of tokens (digits separated by grouping separators). */
function runGroups(tokens: readonly Token[]): { n: number; exact: boolean }[] {
  return tokens.filter((x) => x.t === 'digits').map((x) => ({ n: x.n, exact: x.exact }));
}

/**
 * The whole-input RE2 pattern of a format. Its capture groups, in order: for a PR format the
 * opening '<'; then per token — the digits before the point and after it (two groups), a sign
 * group per 'S' or 'MI'; for a PR format the closing '>' last.
 */
export function parsePattern(f: NumberFormat): {
  re: string;
  before: number;
  after: number;
  signs: number[];
  open?: number;
  close?: number;
} {
  const point = f.tokens.findIndex((x) => x.t === 'point');
  const beforeTokens = f.tokens.filter(
    (x, i) => (point < 0 || i < point) && (x.t === 'digits' || x.t === 'group'),
  );
  const afterTokens = point < 0 ? [] : f.tokens.filter((x, i) => i > point && x.t === 'digits');
  const bracketed = f.tokens.some((x) => x.t === 'open');
  let group = 0;
  let out = '';
  let before = 0;
  let after = 0;
  const signs: number[] = [];
  let open: number | undefined;
  let close: number | undefined;
  let numberDone = false;
  for (const x of f.tokens) {
    switch (x.t) {
      case 'open':
        out += '(<?)';
        open = ++group;
        break;
      case 'close':
        out += '(>?)';
        close = ++group;
        break;
      case 'digits':
      case 'group':
      case 'point': {
        if (numberDone) break;
        numberDone = true;
        const b = beforeTokens.length > 0 ? runPattern(runGroups(beforeTokens)) : '';
        out += `(${b})`;
        before = ++group;
        const a = afterTokens.length > 0 ? runPattern(runGroups(afterTokens)) : '';
        out += point < 0 ? '()' : `(?:\\.(${a}))?`;
        after = ++group;
        break;
      }
      case 'dollar':
        out += '(?:\\$|\\z)';
        break;
      case 'S':
        out += '([+-]?)';
        signs.push(++group);
        break;
      case 'MI':
        out += '(-?)';
        signs.push(++group);
        break;
    }
  }
  return { re: `^${out}$`, before, after, signs, ...(bracketed ? { open, close } : {}) };
}

/**
 * `to_number(s, fmt)`: the DECIMAL(precision, scale) the string shows, or `onMismatch` when it
 * does not match the format. A non-ASCII digit fails (Java would read it).
 */
export function parseNumber(f: NumberFormat, s: () => AstNode, onMismatch: () => AstNode): AstNode {
  const p = parsePattern(f);
  const group = (i: number) => fn('regexp_extract', s(), text(p.re), int(i));
  const digitsOnly = (x: AstNode) => fn('regexp_replace', x, text('[^0-9]'), text(''), text('g'));
  const intPart = () => digitsOnly(group(p.before));
  const fracPart = () => digitsOnly(group(p.after));
  // Each '-' and a bracket pair toggle the sign.
  const toggles = p.signs.map((g) => eq(group(g), text('-')));
  if (p.open !== undefined) toggles.push(eq(group(p.open), text('<')));
  const negative =
    toggles.length === 0
      ? undefined
      : eq(
          op(
            '%',
            toggles.map((m) => cast(m, 'INTEGER')).reduce((a, b) => op('+', a, b)),
            int(2),
          ),
          int(1),
        );
  const body = () =>
    op('||', op('||', op('||', text('0'), intPart()), text('.')), op('||', fracPart(), text('0')));
  const value = castDecimal(body(), f.precision, f.scale);
  const signed = negative
    ? when([[negative, op('-', value)]], castDecimal(body(), f.precision, f.scale))
    : value;
  const unbalanced =
    p.open !== undefined && p.close !== undefined
      ? [ne(group(p.open), fn('replace', group(p.close), text('>'), text('<')))]
      : [];
  return when(
    [
      [isNull(s()), nul()],
      [
        fn('regexp_matches', s(), text('[^\\x00-\\x7F\\P{Nd}]')),
        fail('UNSUPPORTED_VALUE', 'to_number: a non-ASCII digit is not supported'),
      ],
      [
        or(
          not(fn('regexp_matches', s(), text(p.re))),
          eq(op('||', intPart(), fracPart()), text('')),
          ...unbalanced,
        ),
        onMismatch(),
      ],
    ],
    signed,
  );
}

// ---------------------------------------------------------------------------------------------
// Formatting (to_char)

/** Spark's stripTrailingLoneDecimalPoint: a '.' at the end or before a space becomes a space. */
const stripLonePoint = (r: () => AstNode) =>
  when(
    [[fn('regexp_matches', r(), text('^[^.]*\\.( |$)')), fn('regexp_replace', r(), text('\\.'), text(' '))]],
    r(),
  );

/** Appends `ch` and moves it left past trailing spaces (addCharacterCheckingTrailingSpaces). */
const addBeforeSpaces = (r: () => AstNode, ch: AstNode) =>
  op(
    '||',
    op('||', fn('rtrim', r(), text(' ')), ch),
    fn('repeat', text(' '), op('-', fn('length', r()), fn('length', fn('rtrim', r(), text(' '))))),
  );

type Sign = (pos: string, neg: string) => AstNode;

/**
 * The digits before the point: blanks are spaces ('0' after a leading '0' in the format); a
 * separator after a digit is ',', after a blank a space.
 */
function integerPart(f: NumberFormat, beforePoint: (i: number) => boolean, before: () => AstNode): AstNode {
  const pieces: AstNode[] = [];
  let position = 0;
  let last: (() => AstNode) | undefined;
  for (const [i, x] of f.tokens.entries()) {
    if (!beforePoint(i)) break;
    if (x.t === 'digits') {
      for (let k = 0; k < x.n; k++) {
        const at = ++position;
        const ch = () => fn('substring', before(), int(at), int(1));
        const rendered = x.exact ? () => fn('replace', ch(), text(' '), text('0')) : ch;
        pieces.push(rendered());
        last = rendered;
      }
    } else if (x.t === 'group' && last) {
      pieces.push(when([[fn('regexp_full_match', last(), text('[0-9]')), text(',')]], text(' ')));
    }
  }
  return pieces.length === 0 ? text('') : pieces.reduce((a, b) => op('||', a, b));
}

/** What precedes the digits ('<', a sign), and whether a '$' comes before them. */
function leadingSymbols(f: NumberFormat, sign: Sign): { pre: AstNode; dollarFirst: boolean } {
  let pre: AstNode = text('');
  let dollarFirst = false;
  for (const x of f.tokens) {
    if (x.t === 'digits' || x.t === 'group' || x.t === 'point') break;
    if (x.t === 'open') pre = op('||', pre, sign('', '<'));
    if (x.t === 'S') pre = op('||', pre, sign('+', '-'));
    if (x.t === 'MI') pre = op('||', pre, sign(' ', '-'));
    if (x.t === 'dollar') dollarFirst = true;
  }
  return { pre, dollarFirst };
}

/** The prefix and the digits joined: leading blanks of the digits move left past '<', '+', '-'. */
function joinPrefix(prefix: () => AstNode, body: () => AstNode, dollarFirst: boolean): AstNode {
  if (dollarFirst) return op('||', op('||', prefix(), text('$')), body());
  const run = () => fn('regexp_extract', prefix(), text('[-+<]*$'), int(0));
  const blanks = op('-', fn('length', body()), fn('length', fn('ltrim', body(), text(' '))));
  const head = fn('left', prefix(), op('-', fn('length', prefix()), fn('length', run())));
  return op(
    '||',
    op('||', op('||', head, fn('repeat', text(' '), blanks)), run()),
    fn('ltrim', body(), text(' ')),
  );
}

/** The fraction after the point (a blank just before the point becomes a 0) and a trailing '$'. */
function withFraction(
  f: NumberFormat,
  point: number,
  dollarFirst: boolean,
  r1: () => AstNode,
  after: () => AstNode,
) {
  let result: AstNode = r1();
  if (point >= 0) {
    const zeroed = when(
      [
        [
          and(ne(r1(), text('')), eq(fn('right', r1(), int(1)), text(' '))),
          op('||', fn('left', r1(), int(-1)), text('0')),
        ],
      ],
      r1(),
    );
    result = op('||', op('||', zeroed, text('.')), after());
  }
  if (f.tokens.some((x) => x.t === 'dollar') && !dollarFirst) result = op('||', result, text('$'));
  return result;
}

/** The trailing sign ('S', 'MI') or '>' the format ends with, and the final clean-up. */
function withTrailingSign(f: NumberFormat, r2: () => AstNode, negative: () => AstNode, sign: Sign): AstNode {
  const end = f.tokens[f.tokens.length - 1]!;
  const endsWithSign = (t: 'S' | 'MI') =>
    end.t === t && f.tokens.findIndex((x) => x.t === t) === f.tokens.length - 1;
  let finished: AstNode = r2();
  if (endsWithSign('S')) finished = addBeforeSpaces(() => stripLonePoint(r2), sign('+', '-'));
  else if (endsWithSign('MI'))
    finished = when(
      [[negative(), addBeforeSpaces(() => stripLonePoint(r2), text('-'))]],
      op('||', r2(), text(' ')),
    );
  else if (end.t === 'close')
    finished = when(
      [[negative(), addBeforeSpaces(() => stripLonePoint(r2), text('>'))]],
      op('||', stripLonePoint(r2), text('  ')),
    );
  return bind('finished', finished, (r3) =>
    bind('final', stripLonePoint(r3), (r4) =>
      when([[fn('list_contains', list(text(''), text('+'), text('-')), r4()), text('0')]], r4()),
    ),
  );
}

/**
 * `to_char(x, fmt)` of a number: Spark's ToNumberParser.format, specialised to the format, in
 * stages that each name their result once (`bind`), so the SQL stays small.
 */
export function formatNumber(f: NumberFormat, value: AstNode): AstNode {
  const point = f.tokens.findIndex((x) => x.t === 'point');
  const beforePoint = (i: number) => point < 0 || i < point;
  const nB = f.tokens.reduce((n, x, i) => n + (x.t === 'digits' && beforePoint(i) ? x.n : 0), 0);
  const nA = f.precision - nB;
  return bind('x', value, (x) =>
    bind('plain', plainNumber(x), (plain) => {
      const negative = () => lt(x(), int(0));
      const sign: Sign = (pos, neg) => when([[negative(), text(neg)]], text(pos));
      const intDigits = fn('ltrim', fn('split_part', plain(), text('.'), int(1)), text('-0'));
      const fracDigits = fn('rtrim', fn('split_part', plain(), text('.'), int(2)), text('0'));
      return bind('digits', list(intDigits, fracDigits), (d) => {
        const ints = () => listItem(d(), int(1));
        const frac = () => listItem(d(), int(2));
        const overflow = () => or(gt(fn('length', ints()), int(nB)), gt(fn('length', frac()), int(nA)));
        const bp = when([[overflow(), text('#'.repeat(nB))]], fn('lpad', ints(), int(nB), text(' ')));
        const ap = when([[overflow(), text('#'.repeat(nA))]], fn('rpad', frac(), int(nA), text('0')));
        return bind('padded', list(bp, ap), (padded) => {
          const after = () => listItem(padded(), int(2));
          const digits = integerPart(f, beforePoint, () => listItem(padded(), int(1)));
          const { pre, dollarFirst } = leadingSymbols(f, sign);
          return bind('parts', list(pre, digits), (parts) => {
            const start = joinPrefix(
              () => listItem(parts(), int(1)),
              () => listItem(parts(), int(2)),
              dollarFirst,
            );
            return bind('start', start, (r1) =>
              bind('number', withFraction(f, point, dollarFirst, r1, after), (r2) =>
                withTrailingSign(f, r2, negative, sign),
              ),
            );
          });
        });
      });
    }),
  );
}

/** The plain decimal text Spark formats: integers and decimals as they print; floats fail at run. */
export function plainNumber(x: () => AstNode): AstNode {
  return when(
    [
      [
        or(
          typeIs(x(), 'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT'),
          fn('starts_with', fn('typeof', x()), text('DECIMAL')),
        ),
        cast(x(), 'VARCHAR'),
      ],
      [
        typeIs(x(), 'DOUBLE', 'FLOAT'),
        fail('UNSUPPORTED_VALUE', 'to_char of a floating-point number is not supported'),
      ],
    ],
    fail('UNSUPPORTED_VALUE', 'to_char with a number format needs a number'),
  );
}
