/**
 * Spark's upper / lower (and initcap): full Unicode case mapping, as ICU and Java's
 * `String.toUpperCase` / `toLowerCase` do it, where DuckDB maps one character to one:
 *
 * - upper: 'ß' is "SS" and the ligatures ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ become their letters; the other characters
 *   whose capital is several letters (ŉ, ǰ, Greek letters with a subscript iota, Armenian
 *   ligatures …) fail at run time (UNSUPPORTED_VALUE) rather than be mapped differently;
 * - lower: 'İ' is "i̇" (i and a combining dot), and a capital sigma ending a word is 'ς'. Where
 *   that depends on a character sluice does not classify exactly (a case-ignorable one next to
 *   the sigma: an apostrophe, a period, a combining mark …) the row fails at run time.
 */
import type { AstNode } from '../ast.ts';
import { asText, bindValue, fail, fn, not, text, when } from './builders.ts';
import { arity, type FunctionCall, type FunctionRule } from './rules.ts';

/** Characters whose full upper case is several characters, with their mapping when sluice has it. */
const UPPER_EXPANSIONS: readonly [string, string][] = [
  ['ß', 'SS'],
  ['ﬀ', 'FF'],
  ['ﬁ', 'FI'],
  ['ﬂ', 'FL'],
  ['ﬃ', 'FFI'],
  ['ﬄ', 'FFL'],
  ['ﬅ', 'ST'],
  ['ﬆ', 'ST'],
];

/** The other characters with a multi-character upper case (Unicode SpecialCasing, unconditional). */
const UPPER_UNSUPPORTED =
  '[\\x{149}\\x{1F0}\\x{390}\\x{3B0}\\x{587}\\x{1E96}-\\x{1E9A}\\x{1F50}\\x{1F52}\\x{1F54}\\x{1F56}\\x{1F80}-\\x{1FAF}' +
  '\\x{1FB2}-\\x{1FB4}\\x{1FB6}\\x{1FB7}\\x{1FBC}\\x{1FC2}-\\x{1FC4}\\x{1FC6}\\x{1FC7}\\x{1FCC}\\x{1FD2}\\x{1FD3}' +
  '\\x{1FD6}\\x{1FD7}\\x{1FE2}-\\x{1FE4}\\x{1FE6}\\x{1FE7}\\x{1FF2}-\\x{1FF4}\\x{1FF6}\\x{1FF7}\\x{1FFC}\\x{FB13}-\\x{FB17}]';

/** Spark's upper case of a string (an expression of it, used once). */
export function sparkUpper(s: AstNode): AstNode {
  return bindValue('up', s, (v) => {
    let expanded: AstNode = v();
    for (const [from, to] of UPPER_EXPANSIONS) expanded = fn('replace', expanded, text(from), text(to));
    return when(
      [
        // ASCII text (the usual case) needs nothing more than DuckDB's upper.
        [not(fn('regexp_matches', v(), text(NON_ASCII))), fn('upper', v())],
        [
          fn('regexp_matches', v(), text(UPPER_UNSUPPORTED)),
          fail('UNSUPPORTED_VALUE', 'upper: a character whose capital is several letters is not supported'),
        ],
      ],
      fn('upper', expanded),
    );
  });
}

/** Any character beyond ASCII (ASCII text takes DuckDB's own mapping). */
const NON_ASCII = '[^\\x00-\\x7F]';

/** Cased letters, and the case-ignorable characters around a sigma sluice does not decide. */
const CASED = '\\p{Lu}\\p{Ll}\\p{Lt}';
const CASE_IGNORABLE =
  "\\p{Mn}\\p{Me}\\p{Cf}\\p{Lm}\\p{Sk}'.:\\x{B7}\\x{387}\\x{5F4}\\x{2018}\\x{2019}\\x{2024}\\x{2027}\\x{FE13}\\x{FE52}\\x{FE55}\\x{FF07}\\x{FF0E}\\x{FF1A}";

/** Spark's lower case of a string (an expression of it, used once). */
export function sparkLower(s: AstNode): AstNode {
  return bindValue('low', s, (v) => {
    // 'İ' is i and a combining dot; a sigma after a cased letter and not before one ends a word.
    const dotted = fn('replace', v(), text('İ'), text('i\u0307'));
    const finalSigma = fn(
      'regexp_replace',
      dotted,
      text(`([${CASED}])Σ([^${CASED}]|$)`),
      text('\\1ς\\2'),
      text('g'),
    );
    return when(
      [
        [not(fn('regexp_matches', v(), text(NON_ASCII))), fn('lower', v())],
        [
          fn('regexp_matches', v(), text(`[${CASE_IGNORABLE}]Σ|Σ[${CASE_IGNORABLE}]`)),
          fail(
            'UNSUPPORTED_VALUE',
            'lower: a capital sigma next to a case-ignorable character is not supported',
          ),
        ],
      ],
      fn('lower', finalSigma),
    );
  });
}

const caseRule =
  (to: (s: AstNode) => AstNode): FunctionRule =>
  (c: FunctionCall) => {
    arity(c, 1);
    return to(asText(c.args[0]!));
  };

export const STRING_CASE_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  upper: caseRule(sparkUpper),
  ucase: caseRule(sparkUpper),
  lower: caseRule(sparkLower),
  lcase: caseRule(sparkLower),
};
