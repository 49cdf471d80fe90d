/**
 * Spark functions on bits: shifts, bit_get, and the bitmap helpers. See `index.ts` for how rules
 * work.
 *
 * Java shifts an INT by the amount modulo 32 and a BIGINT modulo 64 (TINYINT and SMALLINT are
 * widened to INT first), and wraps on overflow. The rules branch on `typeof` for the width and
 * keep DuckDB's result type (INTEGER or BIGINT, as Spark's); a left shift that overflows fails
 * in DuckDB rather than wrapping.
 */
import type { AstNode } from '../ast.ts';
import { cast, eq, fail, fn, ge, gt, int, isNull, lt, nul, op, or, reuse, typeIs, when } from './builders.ts';
import { arity, type FunctionCall, type FunctionRule } from './rules.ts';

/** `x` widened to at least INTEGER, keeping BIGINT (Spark's shift input types). */
const widen = (x: AstNode) => op('+', x, cast(int(0), 'INTEGER'));

/** The shift amount modulo the width of `x`'s type (an INTEGER). */
function amount(c: FunctionCall): AstNode {
  const mask = when([[typeIs(reuse(c, 0), 'BIGINT'), int(63)]], int(31));
  return cast(op('&', cast(reuse(c, 1), 'BIGINT'), mask), 'INTEGER');
}

function shiftLeft(c: FunctionCall) {
  arity(c, 2);
  const w = () => widen(reuse(c, 0));
  // DuckDB refuses to shift a negative number left: shift its magnitude.
  return when([[lt(w(), int(0)), op('-', op('<<', op('-', w()), amount(c)))]], op('<<', w(), amount(c)));
}

function shiftRight(c: FunctionCall) {
  arity(c, 2);
  return op('>>', widen(reuse(c, 0)), amount(c));
}

/**
 * Logical right shift: for a negative value, shift by one, clear the sign bit (AND with the
 * type's maximum, built in the value's own type), then shift arithmetically by the rest.
 */
function shiftRightUnsigned(c: FunctionCall) {
  arity(c, 2);
  const w = () => widen(reuse(c, 0));
  const zero = () => op('&', w(), int(0));
  const bits = when([[typeIs(reuse(c, 0), 'BIGINT'), int(64)]], int(32));
  // MIN = (0 - (1 << (bits - 2))) * 2, MAX = ~MIN, both in the value's type.
  const min = op('*', op('-', zero(), op('<<', op('+', zero(), int(1)), op('-', bits, int(2)))), int(2));
  const max = op('~', min);
  return when(
    [
      [ge(w(), int(0)), op('>>', w(), amount(c))],
      [eq(amount(c), int(0)), w()],
    ],
    op('>>', op('&', op('>>', w(), int(1)), max), op('-', amount(c), int(1))),
  );
}

/** Spark's bit_get(x, pos): the bit at `pos` (0 = lowest) as a TINYINT; `pos` outside the type fails. */
function bitGet(c: FunctionCall) {
  arity(c, 2);
  const x = () => reuse(c, 0);
  const pos = () => reuse(c, 1);
  const width = when(
    [
      [typeIs(x(), 'TINYINT'), int(8)],
      [typeIs(x(), 'SMALLINT'), int(16)],
      [typeIs(x(), 'INTEGER'), int(32)],
    ],
    int(64),
  );
  return when(
    [
      [or(isNull(x()), isNull(pos())), nul()],
      [
        or(lt(pos(), int(0)), ge(pos(), width)),
        fail('INVALID_FUNCTION_INPUT', 'bit_get: the position is outside the value'),
      ],
    ],
    cast(op('&', op('>>', x(), pos()), int(1)), 'TINYINT'),
  );
}

/** Bits per bitmap bucket in Spark's bitmap functions. */
const NUM_BITS = 32768;

export const BITWISE_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  shiftleft: shiftLeft,
  shiftright: shiftRight,
  shiftrightunsigned: shiftRightUnsigned,
  bit_get: bitGet,
  getbit: bitGet,
  bitmap_bucket_number: (c) => {
    arity(c, 1);
    const v = () => cast(reuse(c, 0), 'BIGINT');
    return when(
      [[gt(v(), int(0)), op('+', int(1), op('//', op('-', v(), int(1)), int(NUM_BITS)))]],
      op('//', v(), int(NUM_BITS)),
    );
  },
  bitmap_bit_position: (c) => {
    arity(c, 1);
    const v = () => cast(reuse(c, 0), 'BIGINT');
    return when(
      [[gt(v(), int(0)), op('%', op('-', v(), int(1)), int(NUM_BITS))]],
      op('%', op('-', v()), int(NUM_BITS)),
    );
  },
  bitmap_count: (c) => {
    arity(c, 1);
    return fn('bit_count', cast(c.args[0]!, 'BIT'));
  },
};
