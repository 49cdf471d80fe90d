/**
 * Spark functions: strings — concatenation, lengths, substrings, padding, trimming. See
 * `index.ts` for how rules work, `builders.ts` for how rules branch on an argument's type.
 *
 * Spark's string functions also take BINARY (bytes, not characters) and convert other types to
 * strings. A rule uses the byte form when the argument is known to be binary, otherwise it
 * branches on `typeof` (folded by DuckDB at bind time).
 */
import { type AstNode, constantText } from '../ast.ts';
import {
  asBytes,
  asText,
  cast,
  castTextList,
  eq,
  fail,
  fn,
  ge,
  gt,
  int,
  isBinaryExpression,
  isNull,
  isNullLiteral,
  lt,
  nul,
  op,
  or,
  reuse,
  sparkText,
  text,
  typeIs,
  when,
} from './builders.ts';
import { FORMAT_FUNCTIONS } from './format.ts';
import { arity, type FunctionCall, type FunctionRule } from './rules.ts';
import { STRING_CASE_FUNCTIONS } from './string-case.ts';
import { STRING_SEARCH_FUNCTIONS } from './string-search.ts';
import { STRING_TEXT_FUNCTIONS } from './string-text.ts';

/** `n` when it is not negative, else 0 (NULL stays NULL, unlike `greatest`). */
const atLeastZero = (n: AstNode) => when([[lt(n, int(0)), int(0)]], structuredClone(n));

/** Whether any argument is known to be binary (Spark then works on bytes). */
const anyBinary = (c: FunctionCall, ...indexes: number[]) =>
  indexes.some((i) => c.args[i] !== undefined && isBinaryExpression(c.args[i]));

/** Spark's concat: NULL when any argument is NULL; binary when every argument is. */
function concat(c: FunctionCall): AstNode {
  if (c.args.length === 0) return text('');
  if (c.args.every((a) => isBinaryExpression(a)))
    return c.args.slice(1).reduce((acc, a) => op('||', acc, a), c.args[0]!);
  // DuckDB's concat skips NULLs and prints a BLOB as escaped text: a BLOB fails at run time.
  const args = c.args.map((a, i) => {
    if (isBinaryExpression(a)) c.unsupported('mixing binary and other arguments is not supported');
    if (a.class === 'CONSTANT') return a;
    return when(
      [
        [
          typeIs(a, 'BLOB'),
          fail('UNSUPPORTED_VALUE', 'concat of a BINARY column is not supported by sluice'),
        ],
      ],
      // ANSI mode off: an explicit text cast, which prints a DECIMAL as Java does
      // (cast-legacy.ts `legacyDecimalText`); DuckDB's concat converts the same way.
      c.legacy === true ? sparkText(reuse(c, i)) : reuse(c, i),
    );
  });
  const anyNull = or(
    ...c.args.map((a, i) => isNull(a.class === 'CONSTANT' ? structuredClone(a) : reuse(c, i))),
  );
  return when([[anyNull, nul()]], fn('concat', ...args));
}

/** Characters of a string, bytes of a binary; Spark's INT result. */
function length(c: FunctionCall): AstNode {
  arity(c, 1);
  const x = c.args[0]!;
  if (isBinaryExpression(x)) return cast(fn('octet_length', x), 'INTEGER');
  if (x.class === 'CONSTANT') return cast(fn('length', asText(x)), 'INTEGER');
  return cast(
    when([[typeIs(x, 'BLOB'), fn('octet_length', cast(x, 'BLOB'))]], fn('length', sparkText(reuse(c, 0)))),
    'INTEGER',
  );
}

/** Bytes of the UTF-8 encoding (or of the binary), times `factor`. */
function byteLength(factor: number): FunctionRule {
  return (c) => {
    arity(c, 1);
    const n = fn('octet_length', asBytes(c.args[0]!));
    return cast(factor === 1 ? n : op('*', n, int(factor)), 'INTEGER');
  };
}

/**
 * Spark's 1-based SQL substring: position 0 is the first character, a negative position counts
 * from the end, and the end is `start + len` before clamping (so `substr('abc', -5, 3)` is `a`).
 * DuckDB's `substring` differs for a zero position and negative lengths, so the 0-based start
 * and the count are computed first; a binary is cut on its hex digits (two per byte).
 */
function sqlSubstring(
  s: () => AstNode,
  pos: () => AstNode,
  len: (() => AstNode) | undefined,
  binary: boolean,
): AstNode {
  const n = binary ? fn('octet_length', s()) : fn('length', s());
  const start0 = () =>
    when(
      [
        [gt(pos(), int(0)), op('-', pos(), int(1))],
        [lt(pos(), int(0)), op('+', structuredClone(n), pos())],
      ],
      int(0),
    );
  const scale = (x: AstNode) => (binary ? op('*', x, int(2)) : x);
  const from = op('+', scale(fn('greatest', start0(), int(0))), int(1));
  const target = binary ? fn('hex', s()) : s();
  const count = len && atLeastZero(op('-', op('+', start0(), len()), fn('greatest', start0(), int(0))));
  const cut = count ? fn('substring', target, from, scale(count)) : fn('substring', target, from);
  return binary ? fn('unhex', cut) : cut;
}

function substring(c: FunctionCall): AstNode {
  arity(c, 2, 3);
  const [s, pos, len] = c.args as [AstNode, AstNode, AstNode | undefined];
  const p = constantText(pos);
  const l = len === undefined ? undefined : constantText(len);
  const binary = isBinaryExpression(s);
  // A positive start and a non-negative length mean the same in DuckDB.
  if (
    !binary &&
    p !== undefined &&
    /^[1-9]\d*$/.test(p) &&
    (len === undefined || (l !== undefined && /^\d+$/.test(l)))
  )
    return len === undefined ? fn('substring', asText(s), pos) : fn('substring', asText(s), pos, len);
  const text = binary ? () => reuse(c, 0) : () => asText(reuse(c, 0));
  return sqlSubstring(text, () => reuse(c, 1), len === undefined ? undefined : () => reuse(c, 2), binary);
}

/**
 * Spark's overlay(input PLACING replace FROM pos [FOR len]): `input` up to `pos`, `replace`,
 * then `input` from `pos + len` (`len` defaults to the length of `replace`, and a negative one
 * is ignored).
 */
function overlay(c: FunctionCall): AstNode {
  arity(c, 3, 4);
  const binary = anyBinary(c, 0, 1);
  const input = binary ? () => asBytes(reuse(c, 0)) : () => asText(reuse(c, 0));
  const replacement = () => (binary ? asBytes(reuse(c, 1)) : asText(reuse(c, 1)));
  const pos = () => reuse(c, 2);
  const replLength = () => (binary ? fn('octet_length', replacement()) : fn('length', replacement()));
  const length = () =>
    c.args[3] === undefined ? replLength() : when([[ge(reuse(c, 3), int(0)), reuse(c, 3)]], replLength());
  const head = sqlSubstring(
    input,
    () => int(1),
    () => op('-', pos(), int(1)),
    binary,
  );
  const tail = sqlSubstring(input, () => op('+', pos(), length()), undefined, binary);
  return op('||', op('||', head, replacement()), tail);
}

/** `left` / `right`: a non-positive length gives '' (DuckDB counts from the other end). */
function leftRight(name: 'left' | 'right'): FunctionRule {
  return (c) => {
    arity(c, 2);
    const [s, n] = c.args as [AstNode, AstNode];
    if (isBinaryExpression(s)) {
      if (name === 'left')
        return sqlSubstring(
          () => reuse(c, 0),
          () => int(1),
          () => reuse(c, 1),
          true,
        );
      return c.unsupported('right() of a binary is not supported');
    }
    return fn(name, asText(s), atLeastZero(n));
  };
}

/**
 * `lpad` / `rpad`: truncate to `len` (keeping the left part) when the input is at least as long
 * or the pad is empty; binary pads with zero bytes by default.
 */
function pad(name: 'lpad' | 'rpad'): FunctionRule {
  return (c) => {
    arity(c, 2, 3);
    const [s, len] = c.args as [AstNode, AstNode];
    if (anyBinary(c, 0, 2)) {
      const padHex = c.args[2] === undefined ? text('00') : fn('hex', asBytes(c.args[2]));
      const hex = fn('hex', asBytes(s));
      const n = op('*', atLeastZero(len), int(2));
      return fn(
        'unhex',
        when(
          [[eq(padHex, text('')), fn('left', hex, n)]],
          fn(name, structuredClone(hex), structuredClone(n), structuredClone(padHex)),
        ),
      );
    }
    const str = asText(s);
    const fill = c.args[2] === undefined ? text(' ') : asText(c.args[2]);
    const n = atLeastZero(len);
    if (constantText(fill) !== undefined && constantText(fill) !== '') return fn(name, str, n, fill);
    return when(
      [[eq(fill, text('')), fn('left', str, n)]],
      fn(name, structuredClone(str), structuredClone(n), structuredClone(fill)),
    );
  };
}

/**
 * Spark's concat_ws: the separator, then strings or arrays of strings (flattened); NULL values
 * and NULL elements are skipped; a NULL separator gives NULL.
 */
function concatWs(c: FunctionCall): AstNode {
  if (c.args.length === 0) c.unsupported('concat_ws() needs a separator');
  const [sep, ...rest] = c.args as [AstNode, ...AstNode[]];
  if (rest.length === 0) return when([[isNull(sep), nul()]], text(''));
  const items = rest.map((a, i) => {
    if (a.class === 'CONSTANT') return fn('list_value', isNullLiteral(a) ? cast(a, 'VARCHAR') : asText(a));
    const arg = reuse(c, i + 1);
    // A list argument is flattened; anything else is one element.
    return when(
      [[fn('ends_with', fn('typeof', arg), text('[]')), castTextList(structuredClone(arg), true)]],
      fn('list_value', asText(structuredClone(arg))),
    );
  });
  const all = items.length === 1 ? items[0]! : fn('flatten', fn('list_value', ...items));
  return when([[isNull(sep), nul()]], fn('array_to_string', all, reuse(c, 0)));
}

/** `trim` family on a binary: only the default (spaces) on a value known to be binary. */
function trimRule(name: 'trim' | 'ltrim' | 'rtrim'): FunctionRule {
  return (c) => {
    arity(c, 1, 2);
    if (anyBinary(c, 0, 1)) {
      // Bytes trimmed on the hex digits: every alternative is one byte (two digits), so a match
      // anchored at either end starts and ends on a byte.
      const bytes =
        c.args[1] === undefined
          ? text('20')
          : fn(
              'rtrim',
              fn('regexp_replace', fn('hex', asBytes(c.args[1])), text('(..)'), text('\\1|'), text('g')),
              text('|'),
            );
      const left = () => op('||', op('||', text('^(?:'), structuredClone(bytes)), text(')+'));
      const right = () => op('||', op('||', text('(?:'), structuredClone(bytes)), text(')+$'));
      const re =
        name === 'trim'
          ? op('||', op('||', left(), text('|')), right())
          : name === 'ltrim'
            ? left()
            : right();
      const trimmed = fn(
        'unhex',
        fn('regexp_replace', fn('hex', asBytes(c.args[0]!)), re, text(''), text('g')),
      );
      return c.args[1] === undefined
        ? trimmed
        : when([[eq(fn('octet_length', asBytes(reuse(c, 1))), int(0)), asBytes(reuse(c, 0))]], trimmed);
    }
    return fn(name, ...c.args.map(asText));
  };
}

/** Spark's chr: the character of `n % 256` (a Latin-1 code point); '' for a negative `n`. */
function chr(c: FunctionCall): AstNode {
  arity(c, 1);
  const n = c.args[0]!;
  return when(
    [[lt(n, int(0)), text('')]],
    fn('chr', cast(op('%', cast(reuse(c, 0), 'BIGINT'), int(256)), 'INTEGER')),
  );
}

/** Spark's repeat: '' for a count below 1. */
function repeat(c: FunctionCall): AstNode {
  arity(c, 2);
  return fn('repeat', asText(c.args[0]!), atLeastZero(c.args[1]!));
}

/** Spark's split_part: part 0 is an error; an empty delimiter does not split. */
function splitPart(c: FunctionCall): AstNode {
  arity(c, 3);
  const [s, delim, part] = c.args as [AstNode, AstNode, AstNode];
  if (constantText(part) === '0') c.unsupported('split_part() part number 0 is an error in Spark');
  const whole = () =>
    when(
      [
        [or(isNull(reuse(c, 0)), isNull(reuse(c, 2))), nul()],
        [or(eq(reuse(c, 2), int(1)), eq(reuse(c, 2), int(-1))), asText(reuse(c, 0))],
      ],
      text(''),
    );
  const d = constantText(delim);
  if (d === '') return whole();
  const checks: [AstNode, AstNode][] = [];
  if (constantText(part) === undefined)
    checks.push([
      eq(reuse(c, 2), int(0)),
      fail('INVALID_FUNCTION_INPUT', 'split_part: the part number must not be 0'),
    ]);
  if (d === undefined) checks.push([eq(reuse(c, 1), text('')), whole()]);
  const base = fn('split_part', asText(s), delim, part);
  return checks.length === 0 ? base : when(checks, base);
}

export const STRING_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  ...STRING_SEARCH_FUNCTIONS,
  ...STRING_CASE_FUNCTIONS,
  ...STRING_TEXT_FUNCTIONS,
  // to_char / to_varchar of numbers and binaries (the date-time module formats dates and
  // timestamps and delegates the rest here).
  ...FORMAT_FUNCTIONS,
  concat,
  concat_ws: concatWs,
  length,
  len: length,
  char_length: length,
  character_length: length,
  bit_length: byteLength(8),
  octet_length: byteLength(1),
  char: chr,
  chr,
  repeat,
  trim: trimRule('trim'),
  btrim: trimRule('trim'),
  ltrim: trimRule('ltrim'),
  rtrim: trimRule('rtrim'),
  substr: substring,
  substring,
  overlay,
  left: leftRight('left'),
  right: leftRight('right'),
  lpad: pad('lpad'),
  rpad: pad('rpad'),
  split_part: splitPart,
};
