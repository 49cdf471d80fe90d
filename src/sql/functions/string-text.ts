/**
 * Spark functions that rewrite text character by character: initcap, mask, soundex, quote,
 * levenshtein, luhn_check, ascii, space. See `index.ts` for how rules work.
 */
import { type AstNode, constantText } from '../ast.ts';
import {
  asText,
  cast,
  col,
  eq,
  fail,
  fn,
  gt,
  int,
  isNull,
  isNullLiteral,
  lambda,
  list,
  listItem,
  lt,
  ne,
  not,
  nul,
  op,
  reuse,
  text,
  when,
} from './builders.ts';
import { arity, type FunctionCall, type FunctionRule } from './rules.ts';
import { sparkLower } from './string-case.ts';

/** `list_transform(string_split(s, ''), c -> body(c))` joined back: one code point at a time. */
function perCharacter(s: AstNode, body: (ch: AstNode) => AstNode): AstNode {
  const ch = '__sluice_ch';
  return fn(
    'array_to_string',
    fn('list_transform', fn('string_split', s, text('')), lambda([ch], body(col(ch)))),
    text(''),
  );
}

/**
 * Title case of one character the way ICU's `toTitleCase(char)` gives it: DŽ-style digraphs have
 * their own title form, Georgian letters have none, supplementary characters (a UTF-16
 * surrogate pair in Java) are left as they are; everything else is upper-cased.
 */
function titleChar(ch: () => AstNode): AstNode {
  const digraphs: [string, string][] = [
    ['ǆ', 'ǅ'],
    ['ǉ', 'ǈ'],
    ['ǌ', 'ǋ'],
    ['ǳ', 'ǲ'],
  ];
  return when(
    [
      ...digraphs.map(([lower, title]) => [eq(ch(), text(lower)), text(title)] as [AstNode, AstNode]),
      [fn('regexp_matches', ch(), text('^[\\x{10D0}-\\x{10FF}\\x{10000}-\\x{10FFFF}]')), ch()],
    ],
    fn('upper', ch()),
  );
}

/**
 * Spark's initcap: lower-case everything (full case mapping, see `string-case.ts`), then
 * title-case the first character and every character after a space (only U+0020 separates
 * words).
 */
function initcap(c: FunctionCall): AstNode {
  arity(c, 1);
  const w = '__sluice_w';
  const word = () => col(w);
  const first = () => fn('substring', word(), int(1), int(1));
  return fn(
    'array_to_string',
    fn(
      'list_transform',
      fn('string_split', sparkLower(asText(c.args[0]!)), text(' ')),
      lambda([w], op('||', titleChar(first), fn('substring', word(), int(2)))),
    ),
    text(' '),
  );
}

/**
 * Characters Java's `Character.isUpperCase` / `isLowerCase` count beyond the Lu / Ll categories
 * (the Other_Uppercase / Other_Lowercase properties): Roman numerals, circled letters, modifier
 * letters such as ª and º.
 */
const OTHER_UPPER =
  '\\x{2160}-\\x{216F}\\x{24B6}-\\x{24CF}\\x{1F130}-\\x{1F149}\\x{1F150}-\\x{1F169}\\x{1F170}-\\x{1F189}';
const OTHER_LOWER =
  '\\x{AA}\\x{BA}\\x{2B0}-\\x{2B8}\\x{2C0}-\\x{2C1}\\x{2E0}-\\x{2E4}\\x{345}\\x{37A}\\x{1D2C}-\\x{1D6A}\\x{1D78}\\x{1D9B}-\\x{1DBF}\\x{2071}\\x{207F}\\x{2090}-\\x{209C}\\x{2170}-\\x{217F}\\x{24D0}-\\x{24E9}\\x{2C7C}-\\x{2C7D}\\x{A69C}-\\x{A69D}\\x{A770}\\x{A7F8}-\\x{A7F9}\\x{AB5C}-\\x{AB5F}';

/** A mask character: one character as a literal, or NULL (keep the character). */
function maskChar(c: FunctionCall, i: number, fallback: string | null): AstNode | undefined {
  const a = c.args[i];
  if (a === undefined) return fallback === null ? undefined : text(fallback);
  if (isNullLiteral(a)) return undefined;
  const v = constantText(a);
  if (v === undefined) c.unsupported(`mask() character argument ${i + 1} must be a literal`);
  if ([...v].length !== 1) c.unsupported(`mask() character argument ${i + 1} must be one character`);
  return text(v);
}

/**
 * Spark's mask(str[, upper = 'X'[, lower = 'x'[, digit = 'n'[, other = NULL]]]]): every
 * upper-case letter, lower-case letter, digit and other character replaced by its mask
 * character, NULL keeping the original.
 */
function mask(c: FunctionCall): AstNode {
  arity(c, 1, 5);
  const masks = [maskChar(c, 1, 'X'), maskChar(c, 2, 'x'), maskChar(c, 3, 'n'), maskChar(c, 4, null)];
  const classes = [`[\\p{Lu}${OTHER_UPPER}]`, `[\\p{Ll}${OTHER_LOWER}]`, '\\p{Nd}'];
  return perCharacter(asText(c.args[0]!), (ch) => {
    const checks: [AstNode, AstNode][] = [];
    classes.forEach((cls, i) => {
      checks.push([fn('regexp_full_match', structuredClone(ch), text(cls)), masks[i] ?? structuredClone(ch)]);
    });
    return when(checks, masks[3] ?? structuredClone(ch));
  });
}

/**
 * Spark's soundex (American Soundex over ASCII letters): the first letter, then up to three
 * digits of consonant codes; equal adjacent codes count once, H and W do not separate them,
 * vowels and non-letters do. A string not starting with an ASCII letter is returned as is.
 */
function soundex(c: FunctionCall): AstNode {
  arity(c, 1);
  const s = () => asText(reuse(c, 0));
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const codes = '01230127022455012623017202';
  const upper = (x: AstNode) => fn('translate', x, text(letters.toLowerCase()), text(letters));
  // Codes of every character: non-letters are '0', H and W ('7') are dropped.
  const rest = fn(
    'regexp_replace',
    upper(fn('substring', s(), int(2))),
    text('[^A-Z]'),
    text('0'),
    text('g'),
  );
  let seq: AstNode = fn(
    'replace',
    op(
      '||',
      fn('translate', upper(fn('substring', s(), int(1), int(1))), text(letters), text(codes)),
      fn('translate', rest, text(letters), text(codes)),
    ),
    text('7'),
    text(''),
  );
  for (const d of '123456') seq = fn('regexp_replace', seq, text(`${d}+`), text(d), text('g'));
  const digits = fn(
    'rpad',
    fn('left', fn('replace', fn('substring', seq, int(2)), text('0'), text('')), int(3)),
    int(3),
    text('0'),
  );
  return when(
    [[not(fn('regexp_matches', s(), text('^[A-Za-z]'))), s()]],
    op('||', upper(fn('substring', s(), int(1), int(1))), digits),
  );
}

/** Spark's quote: wrapped in single quotes, inner single quotes escaped with a backslash. */
function quote(c: FunctionCall): AstNode {
  arity(c, 1);
  return op('||', op('||', text("'"), fn('replace', asText(c.args[0]!), text("'"), text("\\'"))), text("'"));
}

/**
 * Levenshtein distance over code points (DuckDB's `levenshtein` counts bytes, so a non-ASCII
 * pair takes a dynamic programme over code points: one row per character of `b`).
 */
function distance(a: () => AstNode, b: () => AstNode): AstNode {
  const codes = (x: AstNode) =>
    fn(
      'list_transform',
      fn('string_split', x, text('')),
      lambda(['__sluice_k'], fn('unicode', col('__sluice_k'))),
    );
  const row = '__sluice_row';
  const item = '__sluice_b';
  const acc = '__sluice_acc';
  const e = '__sluice_e';
  const n = () => fn('length', a());
  // Each element of b: [code]; each step of a row: [i, code of a[i]].
  const bItems = fn('list_transform', codes(b()), lambda(['__sluice_x'], list(col('__sluice_x'))));
  const aItems = fn(
    'list_transform',
    fn('range', int(1), op('+', n(), int(1))),
    lambda(['__sluice_i'], list(cast(col('__sluice_i'), 'INTEGER'), listItem(codes(a()), col('__sluice_i')))),
  );
  const prev = (k: AstNode) => listItem(col(row), k);
  const nextRow = fn(
    'list_reduce',
    aItems,
    lambda(
      [acc, e],
      fn(
        'list_append',
        col(acc),
        fn(
          'least',
          op('+', listItem(col(acc), int(-1)), int(1)),
          op('+', prev(op('+', listItem(col(e), int(1)), int(1))), int(1)),
          op(
            '+',
            prev(listItem(col(e), int(1))),
            cast(ne(listItem(col(e), int(2)), listItem(col(item), int(1))), 'INTEGER'),
          ),
        ),
      ),
    ),
    list(op('+', prev(int(1)), int(1))),
  );
  const first = fn(
    'list_transform',
    fn('range', int(0), op('+', n(), int(1))),
    lambda(['__sluice_j'], cast(col('__sluice_j'), 'INTEGER')),
  );
  const dp = listItem(
    fn('list_reduce', fn('list_prepend', first, bItems), lambda([row, item], nextRow)),
    int(-1),
  );
  return when(
    [[fn('regexp_matches', op('||', a(), b()), text('[^\\x00-\\x7F]')), dp]],
    fn('levenshtein', a(), b()),
  );
}

/** Spark's levenshtein(a, b[, threshold]): INT; -1 when the distance is above the threshold. */
function levenshtein(c: FunctionCall): AstNode {
  arity(c, 2, 3);
  const a = () => asText(reuse(c, 0));
  const b = () => asText(reuse(c, 1));
  const d = cast(distance(a, b), 'INTEGER');
  if (c.args.length === 2) return d;
  const t = () => reuse(c, 2);
  return when(
    [
      [isNull(t()), nul()],
      [gt(d, t()), int(-1)],
    ],
    structuredClone(d),
  );
}

/**
 * Spark's luhn_check: a non-empty string of digits whose Luhn checksum is 0. Java counts any
 * Unicode decimal digit; sluice answers for ASCII digits and fails on other digits.
 */
function luhnCheck(c: FunctionCall): AstNode {
  arity(c, 1);
  const s = () => asText(reuse(c, 0));
  const v = '__sluice_v';
  const i = '__sluice_i';
  // Digits from the right; every second one doubled, its two decimal digits summed.
  const digit = () => cast(col(v), 'INTEGER');
  const term = when(
    [
      [
        eq(op('%', col(i), int(2)), int(0)),
        op('+', op('%', op('*', digit(), int(2)), int(10)), op('//', op('*', digit(), int(2)), int(10))),
      ],
    ],
    digit(),
  );
  const sum = fn(
    'list_sum',
    fn('list_transform', fn('string_split', fn('reverse', s()), text('')), lambda([v, i], term)),
  );
  return when(
    [
      [isNull(s()), nul()],
      [fn('regexp_full_match', s(), text('[0-9]+')), eq(op('%', sum, int(10)), int(0))],
      [
        fn('regexp_matches', s(), text('^\\p{Nd}+$')),
        fail('UNSUPPORTED_VALUE', 'luhn_check: sluice handles ASCII digits only'),
      ],
    ],
    cast(text('f'), 'BOOLEAN'),
  );
}

/** Spark's ascii: the code point of the first character, 0 for ''. */
function ascii(c: FunctionCall): AstNode {
  arity(c, 1);
  return fn('ascii', asText(c.args[0]!));
}

/** Spark's space(n): n spaces, '' for n < 1. */
function space(c: FunctionCall): AstNode {
  arity(c, 1);
  const n = c.args[0]!;
  return fn('repeat', text(' '), when([[lt(n, int(0)), int(0)]], reuse(c, 0)));
}

export const STRING_TEXT_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  initcap,
  mask,
  soundex,
  quote,
  levenshtein,
  luhn_check: luhnCheck,
  ascii,
  space,
};
