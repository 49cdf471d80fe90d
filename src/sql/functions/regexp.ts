/**
 * Spark functions on regular expressions (rlike, regexp_extract, regexp_replace, split, …) and
 * LIKE patterns. Patterns must be literals: each is translated from Java's syntax to RE2's by
 * `regex.ts` at compile time, or refused with UNSUPPORTED_REGEX. A pattern whose meaning
 * depends on the input (Java's `$` before a final line break) fails the rows it cannot answer
 * for, at run time. See `index.ts` for how rules work.
 */
import { type AstNode, constantText } from '../ast.ts';
import {
  asText,
  cast,
  castTextList,
  coalesce,
  col,
  fail,
  fn,
  int,
  isNullLiteral,
  lambda,
  le,
  nul,
  op,
  refuse,
  reuse,
  text,
  when,
} from './builders.ts';
import { type Re2Pattern, translateJavaRegex, translateJavaReplacement } from './regex.ts';
import { arity, type FunctionCall, type FunctionRule } from './rules.ts';
import { sparkLower } from './string-case.ts';

/** The translated literal pattern of argument `i`, or undefined for a NULL literal. */
function patternOf(c: FunctionCall, i: number): Re2Pattern | undefined {
  const arg = c.args[i]!;
  if (isNullLiteral(arg)) return undefined;
  const source = constantText(arg);
  if (source === undefined) {
    return refuse(
      c,
      'UNSUPPORTED_REGEX',
      'the regular expression must be a literal (sluice translates it from Java to RE2 at compile time)',
      {
        pattern: null,
      },
    );
  }
  const t = translateJavaRegex(source);
  if (!t.ok)
    return refuse(c, 'UNSUPPORTED_REGEX', `regular expression '${source}': ${t.reason}`, {
      pattern: source,
      problem: t.reason,
    });
  return t;
}

/** `result`, or a run-time failure for the inputs the pattern's guard says RE2 cannot answer for. */
function guarded(c: FunctionCall, p: Re2Pattern, input: () => AstNode, result: AstNode): AstNode {
  if (!p.guard) return result;
  return when(
    [
      [
        fn('regexp_matches', input(), text(p.guard)),
        fail(
          'UNSUPPORTED_REGEX',
          `${c.name}: the input ends with a line break, where Java's '$' differs from RE2's (not supported)`,
        ),
      ],
    ],
    result,
  );
}

/** rlike / regexp / regexp_like (and `x RLIKE p`): whether the pattern matches anywhere. */
function rlike(c: FunctionCall): AstNode {
  arity(c, 2);
  const p = patternOf(c, 1);
  if (!p) return cast(nul(), 'BOOLEAN');
  const s = () => asText(reuse(c, 0));
  return guarded(c, p, s, fn('regexp_matches', s(), text(p.re2)));
}

/** A literal group index argument (default `fallback`), checked against the pattern. */
function groupIndex(c: FunctionCall, i: number, p: Re2Pattern, fallback: number): number {
  if (c.args[i] === undefined) {
    if (fallback > p.groups) c.unsupported(`the pattern has no group ${fallback} (Spark fails)`);
    return fallback;
  }
  const v = constantText(c.args[i]!);
  if (v === undefined || !/^\d+$/.test(v))
    c.unsupported('the group index must be a non-negative integer literal');
  const n = Number(v);
  if (n > p.groups) c.unsupported(`the pattern has ${p.groups} group(s), not ${n} (Spark fails)`);
  if (n > 9) c.unsupported('a group index above 9 is not supported (DuckDB)');
  return n;
}

/** regexp_extract(str, regexp[, idx = 1]): the group of the first match, '' when none. */
function regexpExtract(c: FunctionCall): AstNode {
  arity(c, 2, 3);
  const p = patternOf(c, 1);
  if (!p) return cast(nul(), 'VARCHAR');
  const idx = groupIndex(c, 2, p, 1);
  const s = () => asText(reuse(c, 0));
  return guarded(c, p, s, fn('regexp_extract', s(), text(p.re2), int(idx)));
}

/** regexp_extract_all(str, regexp[, idx = 1]): the group of every match. */
function regexpExtractAll(c: FunctionCall): AstNode {
  arity(c, 2, 3);
  const p = patternOf(c, 1);
  if (!p) return castTextList(nul());
  const idx = groupIndex(c, 2, p, 1);
  const s = () => asText(reuse(c, 0));
  return guarded(c, p, s, fn('regexp_extract_all', s(), text(p.re2), int(idx)));
}

/** regexp_count(str, regexp): the number of matches (INT). */
function regexpCount(c: FunctionCall): AstNode {
  arity(c, 2);
  const p = patternOf(c, 1);
  if (!p) return cast(nul(), 'INTEGER');
  const s = () => asText(reuse(c, 0));
  return guarded(c, p, s, cast(fn('len', fn('regexp_extract_all', s(), text(p.re2), int(0))), 'INTEGER'));
}

/** regexp_substr(str, regexp): the first match, NULL when none (or empty). */
function regexpSubstr(c: FunctionCall): AstNode {
  arity(c, 2);
  const p = patternOf(c, 1);
  if (!p) return cast(nul(), 'VARCHAR');
  const s = () => asText(reuse(c, 0));
  return guarded(c, p, s, fn('nullif', fn('regexp_extract', s(), text(p.re2), int(0)), text('')));
}

/**
 * regexp_instr(str, regexp[, 0]): the 1-based position of the first match, 0 when none. Java
 * counts UTF-16 units, so a character beyond U+FFFF before the match counts twice.
 */
function regexpInstr(c: FunctionCall): AstNode {
  arity(c, 2, 3);
  const p = patternOf(c, 1);
  if (!p) return cast(nul(), 'INTEGER');
  if (groupIndex(c, 2, p, 0) !== 0) c.unsupported('regexp_instr() of a group other than 0 is not supported');
  const s = () => asText(reuse(c, 0));
  // The shortest prefix after which the pattern matches is where the leftmost match starts.
  const prefix = () => fn('regexp_extract', s(), text(`^((?s:.)*?)(?:${p.re2})`), int(1));
  const units = op(
    '+',
    fn('length', prefix()),
    fn('length', fn('regexp_replace', prefix(), text('[^\\x{10000}-\\x{10FFFF}]'), text(''), text('g'))),
  );
  return guarded(
    c,
    p,
    s,
    cast(when([[fn('regexp_matches', s(), text(p.re2)), op('+', units, int(1))]], int(0)), 'INTEGER'),
  );
}

/**
 * regexp_replace(str, regexp, rep[, position = 1]): every match replaced, `$n` / `${name}`
 * naming groups. RE2 skips an empty match right after a match where Java replaces it, so a
 * pattern that can match nothing needs an empty replacement (then both agree).
 */
function regexpReplace(c: FunctionCall): AstNode {
  arity(c, 3, 4);
  if (c.args[3] !== undefined && constantText(c.args[3]) !== '1')
    c.unsupported('regexp_replace() from a position other than 1 is not supported');
  const p = patternOf(c, 1);
  if (!p) return cast(nul(), 'VARCHAR');
  const repArg = c.args[2]!;
  if (isNullLiteral(repArg)) return cast(nul(), 'VARCHAR');
  const rep = constantText(repArg);
  if (rep === undefined) return c.unsupported('the replacement must be a literal');
  const r = translateJavaReplacement(rep, p);
  if (!r.ok) return c.unsupported(r.reason);
  if (p.nullable && rep !== '')
    return refuse(
      c,
      'UNSUPPORTED_REGEX',
      'a pattern that can match the empty string needs an empty replacement (RE2 and Java differ there)',
      {
        pattern: constantText(c.args[1]!) ?? null,
      },
    );
  const s = () => asText(reuse(c, 0));
  return guarded(c, p, s, fn('regexp_replace', s(), text(p.re2), text(r.re2), text('g')));
}

/**
 * split(str, regexp[, limit = -1]): Java's `String.split` keeping trailing empty strings; a
 * positive limit keeps at most `limit` parts, the last holding the rest. An empty pattern splits
 * into characters (the first `limit` of them).
 */
function split(c: FunctionCall): AstNode {
  arity(c, 2, 3);
  const limit = c.args[2] === undefined ? undefined : constantText(c.args[2]);
  if (c.args[2] !== undefined && (limit === undefined || !/^-?\d+$/.test(limit)))
    c.unsupported('the split limit must be an integer literal');
  const n = limit === undefined ? -1 : Number(limit);
  const s = () => asText(reuse(c, 0));
  if (constantText(c.args[1]!) === '') {
    const chars = fn('string_split', s(), text(''));
    return n > 0 ? fn('list_slice', chars, int(1), int(n)) : chars;
  }
  const p = patternOf(c, 1);
  if (!p) return castTextList(nul());
  if (p.nullable)
    return refuse(
      c,
      'UNSUPPORTED_REGEX',
      'split() by a pattern that can match the empty string is not supported',
      {
        pattern: constantText(c.args[1]!) ?? null,
      },
    );
  const parts = () => fn('regexp_split_to_array', s(), text(p.re2));
  if (n <= 0) return guarded(c, p, s, parts());
  // The rest starts after the first n-1 parts and the n-1 separators that followed them.
  const lengths = (l: AstNode) =>
    coalesce(
      fn(
        'list_sum',
        fn(
          'list_transform',
          fn('list_slice', l, int(1), int(n - 1)),
          lambda(['__sluice_part'], fn('length', col('__sluice_part'))),
        ),
      ),
      int(0),
    );
  const offset = op('+', lengths(parts()), lengths(fn('regexp_extract_all', s(), text(p.re2), int(0))));
  const limited = when(
    [[le(fn('len', parts()), int(n)), parts()]],
    fn(
      'list_append',
      fn('list_slice', parts(), int(1), int(n - 1)),
      fn('substring', s(), cast(op('+', offset, int(1)), 'BIGINT')),
    ),
  );
  return guarded(c, p, s, limited);
}

/**
 * A Spark LIKE pattern as a DuckDB pattern with `\` as its escape: `_` and `%` as in SQL, the
 * escape character before `_`, `%` or itself for that character; Spark rejects anything else
 * after it. Undefined (with the reason) when Spark fails on the pattern.
 */
function likePattern(
  pattern: string,
  esc: string,
): { ok: true; text: string; escapes: boolean } | { ok: false; reason: string } {
  let out = '';
  let escapes = false;
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === esc) {
      const next = chars[++i];
      if (next === undefined)
        return { ok: false, reason: `the LIKE pattern '${pattern}' ends with the escape character` };
      if (next !== '_' && next !== '%' && next !== esc)
        return {
          ok: false,
          reason: `the escape character may only precede '_', '%' or itself in '${pattern}'`,
        };
      out += `\\${next}`;
      escapes = true;
    } else if (ch === '\\') {
      out += '\\\\';
      escapes = true;
    } else out += ch;
  }
  return { ok: true, text: out, escapes };
}

/**
 * The like / ilike functions (`like(str, pattern[, escape])`): Spark's escape is `\` by default,
 * and ilike compares the lower-cased string with the lower-cased pattern. (The LIKE and ILIKE
 * operators are translated with the rest of Spark's syntax.)
 */
function like(caseInsensitive: boolean): FunctionRule {
  return (c: FunctionCall) => {
    arity(c, 2, 3);
    let esc = '\\';
    if (c.args[2] !== undefined) {
      const e = constantText(c.args[2]);
      if (e === undefined || [...e].length !== 1)
        c.unsupported('the LIKE escape must be a one-character literal');
      if (/\p{L}/u.test(e) && caseInsensitive) c.unsupported('a letter as the ILIKE escape is not supported');
      esc = e;
    }
    const fold = (x: AstNode) => (caseInsensitive ? sparkLower(x) : x);
    const s = fold(asText(c.args[0]!));
    const patternArg = c.args[1]!;
    const source = constantText(patternArg);
    if (source === undefined) {
      if (esc !== '\\') c.unsupported('a LIKE pattern that is not a literal needs the default escape');
      return fn('like_escape', s, fold(asText(patternArg)), text('\\'));
    }
    const p = likePattern(source, esc);
    if (!p.ok) return c.unsupported(p.reason);
    const pattern = fold(text(p.text));
    return p.escapes
      ? fn('like_escape', s, pattern, text('\\'))
      : { ...fn('~~', s, pattern), is_operator: true };
  };
}

export const REGEXP_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  rlike,
  regexp: rlike,
  regexp_like: rlike,
  regexp_extract: regexpExtract,
  regexp_extract_all: regexpExtractAll,
  regexp_count: regexpCount,
  regexp_substr: regexpSubstr,
  regexp_instr: regexpInstr,
  regexp_replace: regexpReplace,
  split,
  like: like(false),
  ilike: like(true),
};
