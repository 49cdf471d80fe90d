/**
 * Spark functions between strings and bytes: base64, hex, encode / decode, to_binary and the
 * UTF-8 validity functions. See `index.ts` for how rules work.
 *
 * Spark 4 fails on bytes a charset cannot decode (and characters it cannot encode) instead of
 * replacing them, as DuckDB's `decode` does for UTF-8.
 */
import { type AstNode, constantText } from '../ast.ts';
import {
  asBytes,
  asText,
  cast,
  col,
  fail,
  fn,
  int,
  isNull,
  isNullLiteral,
  lambda,
  notDistinct,
  nul,
  op,
  reuse,
  text,
  typeIs,
  when,
} from './builders.ts';
import { arity, type FunctionCall, type FunctionRule } from './rules.ts';

/**
 * UTF-8 cut into tokens on its hex digits (two per byte): a valid sequence, or a maximal part of
 * an invalid one (what one U+FFFD replaces, as Spark's `UTF8String.makeValid` counts them).
 * Longer alternatives come first: RE2 takes the first that matches.
 */
const C = '[89AB][0-9A-F]';
const VALID_UTF8 = [
  '[0-7][0-9A-F]',
  `(?:C[2-9A-F]|D[0-9A-F])${C}`,
  `E0[AB][0-9A-F]${C}`,
  `E[1-9A-CEF]${C}${C}`,
  `ED[89][0-9A-F]${C}`,
  `F0(?:9[0-9A-F]|[AB][0-9A-F])${C}${C}`,
  `F[1-3]${C}${C}${C}`,
  `F48[0-9A-F]${C}${C}`,
].join('|');
const INVALID_UTF8 = [
  `E0[AB][0-9A-F]`,
  `E[1-9A-CEF]${C}`,
  `ED[89][0-9A-F]`,
  `F0(?:9[0-9A-F]|[AB][0-9A-F])${C}`,
  `F0(?:9[0-9A-F]|[AB][0-9A-F])`,
  `F[1-3]${C}${C}`,
  `F[1-3]${C}`,
  `F48[0-9A-F]${C}`,
  `F48[0-9A-F]`,
  '[0-9A-F]{2}',
].join('|');

/** Whether the bytes (a BLOB) are valid UTF-8. */
const validUtf8 = (bytes: AstNode) => fn('regexp_full_match', fn('hex', bytes), text(`(?:${VALID_UTF8})*`));

/** The bytes (a BLOB) as a string, each invalid part replaced by U+FFFD. */
export function madeValid(bytes: AstNode): AstNode {
  const t = '__sluice_t';
  const tokens = fn('regexp_extract_all', fn('hex', bytes), text(`${VALID_UTF8}|${INVALID_UTF8}`));
  const fixed = fn(
    'list_transform',
    tokens,
    lambda([t], when([[fn('regexp_full_match', col(t), text(`(?:${VALID_UTF8})`)), col(t)]], text('EFBFBD'))),
  );
  return fn('decode', fn('unhex', fn('array_to_string', fixed, text(''))));
}

/** A UTF-8 validity function: strings are valid UTF-8 in DuckDB, binaries are checked. */
function utf8Rule(kind: 'is_valid' | 'make_valid' | 'validate' | 'try_validate'): FunctionRule {
  return (c) => {
    arity(c, 1);
    const x = () => reuse(c, 0);
    const bytes = () => asBytes(x());
    const result = (): AstNode => {
      switch (kind) {
        case 'is_valid':
          return validUtf8(bytes());
        case 'make_valid':
          return madeValid(bytes());
        case 'validate':
          return when(
            [[validUtf8(bytes()), fn('decode', bytes())]],
            fail('INVALID_FUNCTION_INPUT', `${c.name}: the bytes are not valid UTF-8`),
          );
        case 'try_validate':
          return when([[validUtf8(bytes()), fn('decode', bytes())]], cast(nul(), 'VARCHAR'));
      }
    };
    const onText = kind === 'is_valid' ? cast(text('t'), 'BOOLEAN') : cast(x(), 'VARCHAR');
    return when(
      [
        [isNull(x()), nul()],
        [typeIs(x(), 'VARCHAR'), onText],
      ],
      result(),
    );
  };
}

/** A charset name Spark 4 accepts that sluice can encode / decode exactly. */
function charsetOf(c: FunctionCall, i: number): 'utf-8' | 'us-ascii' | 'iso-8859-1' {
  const name = constantText(c.args[i]!)?.toLowerCase();
  if (name === undefined) c.unsupported('the charset must be a literal');
  if (name === 'utf-8' || name === 'us-ascii' || name === 'iso-8859-1') return name;
  return c.unsupported(`the charset '${name}' is not supported (utf-8, us-ascii, iso-8859-1)`);
}

/** Spark's encode(str, charset): the string's bytes; a character the charset lacks is an error. */
function encode(c: FunctionCall): AstNode {
  arity(c, 2);
  const charset = charsetOf(c, 1);
  const s = () => asText(reuse(c, 0));
  if (charset === 'utf-8') return fn('encode', s());
  const limit = charset === 'us-ascii' ? '\\x{7F}' : '\\x{FF}';
  // Each character is one byte: its code point.
  const ch = '__sluice_ch';
  const bytes = fn(
    'unhex',
    fn(
      'array_to_string',
      fn(
        'list_transform',
        fn('string_split', s(), text('')),
        lambda([ch], fn('lpad', fn('to_hex', fn('unicode', col(ch))), int(2), text('0'))),
      ),
      text(''),
    ),
  );
  return when(
    [
      [
        fn('regexp_matches', s(), text(`[^\\x00-${limit}]`)),
        fail('INVALID_FUNCTION_INPUT', `encode: a character is not in ${charset}`),
      ],
    ],
    bytes,
  );
}

/** Spark's decode(bin, charset), or the other decode(expr, search, result, …[, default]). */
function decode(c: FunctionCall): AstNode {
  if (c.args.length === 2) {
    const charset = charsetOf(c, 1);
    const bytes = () => asBytes(reuse(c, 0));
    if (charset === 'utf-8') return fn('decode', bytes());
    const h = '__sluice_h';
    const chars = fn(
      'array_to_string',
      fn(
        'list_transform',
        fn('regexp_extract_all', fn('hex', bytes()), text('[0-9A-F]{2}')),
        lambda([h], fn('chr', cast(op('||', text('0x'), col(h)), 'INTEGER'))),
      ),
      text(''),
    );
    if (charset === 'iso-8859-1') return chars;
    return when(
      [
        [
          fn('regexp_matches', fn('hex', bytes()), text('^(?:[0-9A-F]{2})*?[89A-F]')),
          fail('INVALID_FUNCTION_INPUT', 'decode: a byte is not US-ASCII'),
        ],
      ],
      chars,
    );
  }
  if (c.args.length < 3) c.unsupported('decode() takes (bin, charset) or (expr, search, result, …)');
  // NULL matches NULL here (Spark compares with <=>).
  const checks: [AstNode, AstNode][] = [];
  for (let i = 1; i + 1 < c.args.length; i += 2)
    checks.push([notDistinct(reuse(c, 0), c.args[i]!), c.args[i + 1]!]);
  return when(checks, c.args.length % 2 === 0 ? c.args[c.args.length - 1] : undefined);
}

/** Spark's MIME base64 decoder ignores characters outside the alphabet (line breaks, spaces). */
const fromBase64 = (s: AstNode) =>
  fn('from_base64', fn('regexp_replace', s, text('[^A-Za-z0-9+/=]'), text(''), text('g')));

/** to_binary(str[, fmt = 'hex']) and try_to_binary (NULL instead of an error). */
function toBinary(tryIt: boolean): FunctionRule {
  return (c) => {
    arity(c, 1, 2);
    const fmt = c.args[1] === undefined ? 'hex' : constantText(c.args[1])?.toLowerCase();
    if (c.args[1] !== undefined && isNullLiteral(c.args[1])) return cast(nul(), 'BLOB');
    if (fmt === undefined) return c.unsupported('the format must be a literal');
    const s = asText(c.args[0]!);
    let out: AstNode;
    if (fmt === 'hex') out = fn('unhex', s);
    else if (fmt === 'utf-8' || fmt === 'utf8') return fn('encode', s);
    else if (fmt === 'base64') out = fn('from_base64', s);
    else if (tryIt) return cast(nul(), 'BLOB');
    else return c.unsupported(`the format '${fmt}' is not one of hex, utf-8, utf8, base64`);
    return tryIt ? fn('try', out) : out;
  };
}

/** Spark's unhex: NULL (not an error) for a string that is not hex. */
function unhex(c: FunctionCall): AstNode {
  arity(c, 1);
  return fn('try', fn('unhex', asText(c.args[0]!)));
}

export const BINARY_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  base64: (c) => {
    arity(c, 1);
    return fn('to_base64', asBytes(c.args[0]!));
  },
  unbase64: (c) => {
    arity(c, 1);
    return fromBase64(asText(c.args[0]!));
  },
  unhex,
  encode,
  decode,
  to_binary: toBinary(false),
  try_to_binary: toBinary(true),
  is_valid_utf8: utf8Rule('is_valid'),
  make_valid_utf8: utf8Rule('make_valid'),
  validate_utf8: utf8Rule('validate'),
  try_validate_utf8: utf8Rule('try_validate'),
};
