/**
 * Spark functions that print or read numbers: to_number, try_to_number, to_char / to_varchar of
 * numbers and binaries, format_number, format_string / printf. See `index.ts` for how rules
 * work, `number-format.ts` for Spark's number format strings.
 *
 * Decimals are rounded on their digits (exactly, half to even as Java's DecimalFormat does);
 * doubles with DuckDB's `format`, which rounds the exact binary value half to even like Java.
 */
import { type AstNode, constantText, isNode } from '../ast.ts';
import {
  and,
  asBytes,
  asText,
  bind,
  cast,
  coalesce,
  eq,
  fail,
  fn,
  ge,
  gt,
  int,
  isNull,
  isNullLiteral,
  list,
  listItem,
  lt,
  not,
  nul,
  op,
  or,
  reuse,
  text,
  typeIs,
  when,
} from './builders.ts';
import { formatNumber, parseNumber, parseNumberFormat } from './number-format.ts';
import { arity, type FunctionCall, type FunctionRule } from './rules.ts';

/** The literal number format of argument `i`, validated as Spark validates it. */
function numberFormatOf(c: FunctionCall, i: number) {
  const fmt = constantText(c.args[i]!);
  if (fmt === undefined) return c.unsupported('the format must be a literal');
  const f = parseNumberFormat(fmt);
  if (typeof f === 'string') return c.unsupported(f);
  return f;
}

function toNumber(tryIt: boolean): FunctionRule {
  return (c: FunctionCall) => {
    arity(c, 2);
    const f = numberFormatOf(c, 1);
    const mismatch = () =>
      tryIt
        ? nul()
        : fail(
            'INVALID_FUNCTION_INPUT',
            `${c.name}: the input does not match the format '${constantText(c.args[1]!)}'`,
          );
    return parseNumber(f, () => asText(reuse(c, 0)), mismatch);
  };
}

/** to_char / to_varchar of a number (a format of digits) or of a binary ('base64', 'hex', 'utf-8'). */
function toChar(c: FunctionCall): AstNode {
  arity(c, 2);
  const fmt = constantText(c.args[1]!);
  if (isNullLiteral(c.args[1]!)) return cast(nul(), 'VARCHAR');
  if (fmt === undefined) return c.unsupported('the format must be a literal');
  const lower = fmt.toLowerCase();
  if (lower === 'base64') return fn('to_base64', asBytes(c.args[0]!));
  if (lower === 'hex') return fn('hex', asBytes(c.args[0]!));
  if (lower === 'utf-8' || lower === 'utf8') return fn('decode', asBytes(c.args[0]!));
  const f = numberFormatOf(c, 1);
  return formatNumber(f, c.args[0]!);
}

// ---------------------------------------------------------------------------------------------
// format_number

/** A DecimalFormat pattern sluice supports: digits ('#', '0'), grouping (','), one '.'. */
interface DecimalPattern {
  readonly grouping: number;
  readonly minInt: number;
  readonly minFrac: number;
  readonly maxFrac: number;
}

function decimalPattern(p: string): DecimalPattern | undefined {
  const m = /^([#,]*)(0*)(?:\.(0*)(#*))?$/.exec(p);
  if (!m || p === '' || p.endsWith('.')) return undefined;
  const intPart = (m[1] ?? '') + (m[2] ?? '');
  const comma = intPart.lastIndexOf(',');
  if (comma === intPart.length - 1 && intPart.length > 0) return undefined;
  return {
    grouping: comma < 0 ? 0 : intPart.length - comma - 1,
    minInt: (m[2] ?? '').length,
    minFrac: (m[3] ?? '').length,
    maxFrac: (m[3] ?? '').length + (m[4] ?? '').length,
  };
}

/**
 * `x` rounded half to even to `places` fraction digits, as plain text (`-12332.1235`): a
 * double by DuckDB's `format` (exact binary value), anything else on its decimal digits.
 */
function roundedText(x: () => AstNode, places: number): AstNode {
  const decimal = bind('plain', cast(x(), 'VARCHAR'), (plain) => {
    const intPart = () => fn('ltrim', fn('split_part', plain(), text('.'), int(1)), text('-'));
    const frac = () => fn('split_part', plain(), text('.'), int(2));
    const kept = fn('rpad', fn('left', frac(), int(places)), int(places), text('0'));
    const rest = () => fn('substring', frac(), int(places + 1));
    return bind('digits', op('||', intPart(), kept), (digits) => {
      const lastDigit = cast(fn('right', digits(), int(1)), 'INTEGER');
      // Round up when the rest is above a half, or exactly a half and the last kept digit is odd.
      const up = or(
        fn('regexp_matches', rest(), text('^(?:[6-9]|5[0-9]*[1-9])')),
        and(fn('regexp_full_match', rest(), text('50*')), eq(op('%', lastDigit, int(2)), int(1))),
      );
      const rounded = cast(op('+', cast(digits(), 'HUGEINT'), when([[up, int(1)]], int(0))), 'VARCHAR');
      return bind('rounded', rounded, (r) => {
        const padded = () =>
          when([[lt(fn('length', r()), int(places + 1)), fn('lpad', r(), int(places + 1), text('0'))]], r());
        const withPoint =
          places === 0
            ? padded()
            : op(
                '||',
                op('||', fn('left', padded(), op('-', fn('length', padded()), int(places))), text('.')),
                fn('right', padded(), int(places)),
              );
        return op('||', when([[fn('starts_with', plain(), text('-')), text('-')]], text('')), withPoint);
      });
    });
  });
  const double = fn('format', text(`{:.${places}f}`), cast(x(), 'DOUBLE'));
  return when([[typeIs(x(), 'DOUBLE', 'FLOAT'), double]], decimal);
}

/**
 * Java's DecimalFormat of a number with `p`: rounded, trailing fraction zeros dropped down to
 * the minimum, leading zeros down to the minimum integer digits, digits grouped; NaN and
 * infinities as Java prints them.
 */
function formatDecimal(value: AstNode, p: DecimalPattern): AstNode {
  return bind('x', value, (x) =>
    bind('t', roundedText(x, p.maxFrac), (t) => {
      const body = () => fn('ltrim', t(), text('-'));
      const fracTrimmed = fn('rtrim', fn('split_part', body(), text('.'), int(2)), text('0'));
      const intTrimmed = fn('ltrim', fn('split_part', body(), text('.'), int(1)), text('0'));
      return bind('parts', list(intTrimmed, fracTrimmed), (parts) => {
        const ints0 = () => listItem(parts(), int(1));
        const frac0 = () => listItem(parts(), int(2));
        const frac = () =>
          p.minFrac === 0
            ? frac0()
            : when(
                [[lt(fn('length', frac0()), int(p.minFrac)), fn('rpad', frac0(), int(p.minFrac), text('0'))]],
                frac0(),
              );
        const ints = () =>
          p.minInt === 0
            ? ints0()
            : when(
                [[lt(fn('length', ints0()), int(p.minInt)), fn('lpad', ints0(), int(p.minInt), text('0'))]],
                ints0(),
              );
        const grouped =
          p.grouping === 0
            ? ints()
            : fn(
                'ltrim',
                fn(
                  'reverse',
                  fn(
                    'regexp_replace',
                    fn('reverse', ints()),
                    text(`([0-9]{${p.grouping}})`),
                    text('\\1,'),
                    text('g'),
                  ),
                ),
                text(','),
              );
        const number = when(
          [[and(eq(ints(), text('')), eq(frac(), text(''))), text('0')]],
          op('||', grouped, when([[eq(frac(), text('')), text('')]], op('||', text('.'), frac()))),
        );
        // Java keeps the sign of a negative value that rounds to zero ("-0.00").
        const negative = or(
          fn('starts_with', t(), text('-')),
          fn('starts_with', cast(x(), 'VARCHAR'), text('-')),
        );
        const isDouble = () => typeIs(x(), 'DOUBLE', 'FLOAT');
        const asDouble = () => cast(x(), 'DOUBLE');
        return when(
          [
            [isNull(x()), nul()],
            [
              not(
                or(
                  typeIs(x(), 'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'DOUBLE', 'FLOAT'),
                  fn('starts_with', fn('typeof', x()), text('DECIMAL')),
                ),
              ),
              fail('UNSUPPORTED_VALUE', 'format_number of a value that is not a number is not supported'),
            ],
            [and(isDouble(), fn('isnan', asDouble())), text('NaN')],
            [and(isDouble(), eq(asDouble(), cast(text('inf'), 'DOUBLE'))), text('∞')],
            [and(isDouble(), eq(asDouble(), cast(text('-inf'), 'DOUBLE'))), text('-∞')],
          ],
          op('||', when([[negative, text('-')]], text('')), number),
        );
      });
    }),
  );
}

/** format_number(x, d): `#,###,##0.00…` with d decimals (NULL for d < 0), or with a pattern. */
function formatNumberRule(c: FunctionCall): AstNode {
  arity(c, 2);
  const arg = c.args[1]!;
  const v = constantText(arg);
  if (v === undefined)
    return isNullLiteral(arg) ? cast(nul(), 'VARCHAR') : c.unsupported('the format must be a literal');
  const isString =
    arg.class === 'CONSTANT' &&
    isNode(arg.value) &&
    isNode(arg.value.type) &&
    arg.value.type.id === 'VARCHAR';
  if (!isString) {
    if (!/^-?\d+$/.test(v)) return c.unsupported('the number of decimals must be an integer');
    const d = Number(v);
    if (d < 0) return cast(nul(), 'VARCHAR');
    if (d > 30) return c.unsupported('more than 30 decimals is not supported');
    return formatDecimal(c.args[0]!, { grouping: 3, minInt: 1, minFrac: d, maxFrac: d });
  }
  // Spark uses the default pattern for an empty string.
  if (v === '') return formatDecimal(c.args[0]!, { grouping: 3, minInt: 1, minFrac: 0, maxFrac: 0 });
  const p = decimalPattern(v);
  if (!p)
    return c.unsupported(
      `the DecimalFormat pattern '${v}' is not supported (only '#', '0', ',' and one '.')`,
    );
  return formatDecimal(c.args[0]!, p);
}

// ---------------------------------------------------------------------------------------------
// format_string / printf

/**
 * An argument printed by `%s`: as Java's `String.valueOf` prints it, for the types whose text
 * DuckDB prints the same way (strings, integers, booleans, plain decimals and doubles); other
 * types fail at run time. NULL prints as "null".
 */
function javaText(x: () => AstNode): AstNode {
  const d = () => cast(x(), 'DOUBLE');
  const scale = cast(fn('regexp_extract', fn('typeof', x()), text(',(\\d+)\\)'), int(1)), 'INTEGER');
  return when(
    [
      [isNull(x()), text('null')],
      [typeIs(x(), 'VARCHAR', 'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'BOOLEAN'), cast(x(), 'VARCHAR')],
      [
        fn('starts_with', fn('typeof', x()), text('DECIMAL')),
        when(
          [
            [
              and(
                lt(fn('abs', cast(x(), 'DOUBLE')), cast(text('0.000001'), 'DOUBLE')),
                or(gt(fn('abs', d()), cast(text('0'), 'DOUBLE')), ge(scale, int(7))),
              ),
              fail('UNSUPPORTED_VALUE', 'format_string: Java prints this decimal in scientific notation'),
            ],
          ],
          cast(x(), 'VARCHAR'),
        ),
      ],
      [
        typeIs(x(), 'DOUBLE'),
        when(
          [
            [
              or(
                fn('isnan', d()),
                fn('isinf', d()),
                and(
                  gt(fn('abs', d()), cast(text('0'), 'DOUBLE')),
                  or(
                    lt(fn('abs', d()), cast(text('0.001'), 'DOUBLE')),
                    ge(fn('abs', d()), cast(text('10000000'), 'DOUBLE')),
                  ),
                ),
              ),
              fail('UNSUPPORTED_VALUE', 'format_string: Java prints this double differently'),
            ],
          ],
          cast(x(), 'VARCHAR'),
        ),
      ],
    ],
    fail(
      'UNSUPPORTED_VALUE',
      'format_string: sluice prints only strings, integers, booleans, decimals and doubles with %s',
    ),
  );
}

const padTo = (s: AstNode, width: number, left: boolean) =>
  when(
    [
      [
        lt(fn('length', s), int(width)),
        fn(left ? 'rpad' : 'lpad', structuredClone(s), int(width), text(' ')),
      ],
    ],
    structuredClone(s),
  );

/** Spark's format_string(fmt, args…): Java's Formatter, for %s, %S, %d, %%, %n. */
function formatString(c: FunctionCall): AstNode {
  if (c.args.length === 0) c.unsupported('format_string() needs a format');
  if (isNullLiteral(c.args[0]!)) return cast(nul(), 'VARCHAR');
  const fmt = constantText(c.args[0]!);
  if (fmt === undefined) return c.unsupported('the format must be a literal');
  const parts: AstNode[] = [];
  let next = 1;
  let literal = '';
  const spec = /%(?:(\d+)\$)?([-0]*)(\d+)?([a-zA-Z%])/y;
  for (let i = 0; i < fmt.length; ) {
    if (fmt[i] !== '%') {
      literal += fmt[i++];
      continue;
    }
    spec.lastIndex = i;
    const m = spec.exec(fmt);
    if (!m) return c.unsupported(`the format specifier at '${fmt.slice(i, i + 6)}' is not supported`);
    i = spec.lastIndex;
    const [, index, flags = '', widthText, conv] = m;
    const width = widthText === undefined ? 0 : Number(widthText);
    if (conv === '%' || conv === 'n') {
      if (index !== undefined || flags !== '' || widthText !== undefined)
        return c.unsupported(`'%${conv}' takes no flags`);
      literal += conv === '%' ? '%' : '\n';
      continue;
    }
    const argIndex = index === undefined ? next++ : Number(index);
    if (argIndex < 1 || argIndex >= c.args.length)
      return c.unsupported(`the format names argument ${argIndex}, which is missing`);
    if (literal) parts.push(text(literal));
    literal = '';
    const x = () => reuse(c, argIndex);
    const left = flags.includes('-');
    if (conv === 's' || conv === 'S') {
      if (flags.includes('0')) return c.unsupported("the '0' flag with %s is an error in Java");
      const s = conv === 'S' ? fn('upper', javaText(x)) : javaText(x);
      parts.push(width > 0 ? padTo(s, width, left) : s);
    } else if (conv === 'd') {
      if (left && flags.includes('0'))
        return c.unsupported("the '-' and '0' flags together are an error in Java");
      if ((left || flags.includes('0')) && width === 0)
        return c.unsupported(`'%${flags}d' needs a width in Java`);
      const integral = typeIs(x(), 'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT');
      const digits = flags.includes('0')
        ? fn('printf', text(`%0${width}d`), x())
        : width > 0
          ? padTo(cast(x(), 'VARCHAR'), width, left)
          : cast(x(), 'VARCHAR');
      parts.push(
        when(
          [
            [
              isNull(x()),
              flags.includes('0')
                ? fail('UNSUPPORTED_VALUE', "format_string: '%0…d' of NULL is not supported")
                : width > 0
                  ? padTo(text('null'), width, left)
                  : text('null'),
            ],
            [integral, digits],
          ],
          fail('INVALID_FUNCTION_INPUT', 'format_string: %d needs an integer'),
        ),
      );
    } else return c.unsupported(`the conversion '%${conv}' is not supported (only %s, %S, %d, %%, %n)`);
  }
  if (literal || parts.length === 0) parts.push(text(literal));
  const joined = parts.reduce((a, b) => op('||', a, b));
  return c.args.length > 1 ? joined : coalesce(joined, text(''));
}

export const FORMAT_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  to_number: toNumber(false),
  try_to_number: toNumber(true),
  to_char: toChar,
  to_varchar: toChar,
  format_number: formatNumberRule,
  format_string: formatString,
  printf: formatString,
};
