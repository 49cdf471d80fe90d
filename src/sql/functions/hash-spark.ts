/**
 * Spark's `hash` (Murmur3 x86 32-bit, seed 42) and `xxhash64` (XXH64, seed 42), written in
 * DuckDB SQL. See `index.ts` for how rules work.
 *
 * Spark hashes each argument by its type and feeds the result to the next argument as its seed
 * (NULL leaves the seed as it is): BOOLEAN, TINYINT, SMALLINT, INT and DATE (days) as a 4-byte
 * int; BIGINT and timestamps (microseconds) as an 8-byte long; DECIMAL up to 18 digits as its
 * unscaled long; strings (UTF-8) and binaries as bytes; an array element by element. A rule
 * branches on `typeof` (folded at bind time); each branch converts through VARCHAR so that it
 * binds whatever the type. Floating-point numbers, wider decimals, maps, structs and arrays that
 * are not written out (`array(…)`) fail at run time with UNSUPPORTED_VALUE.
 *
 * Murmur3 works on unsigned 32-bit values held in BIGINT (products in HUGEINT), XXH64 on
 * unsigned 64-bit values held in UHUGEINT, both masked after every step.
 */
import { type AstNode, str } from '../ast.ts';
import {
  and,
  bigConstant,
  bind,
  cast,
  col,
  fail,
  fn,
  ge,
  int,
  isNull,
  lambda,
  list,
  listItem,
  lt,
  op,
  or,
  text,
  typeIs,
  when,
} from './builders.ts';
import type { FunctionCall, FunctionRule } from './rules.ts';

type Ref = () => AstNode;

/** How one algorithm hashes the kinds of values (all values unsigned, as AST). */
interface Hasher {
  /** A 4-byte int (unsigned, BIGINT) with the seed. */
  int(i: Ref, seed: Ref): AstNode;
  /** An 8-byte long (signed BIGINT) with the seed. */
  long(l: Ref, seed: Ref): AstNode;
  /** Bytes (a BLOB) with the seed. */
  bytes(b: Ref, seed: Ref): AstNode;
  /** The initial seed 42. */
  seed(): AstNode;
  /** The unsigned result as Spark's signed type. */
  signed(h: Ref): AstNode;
}

/** The bytes of a BLOB as hex pairs. */
const hexPairs = (hex: AstNode) => fn('regexp_extract_all', hex, text('[0-9A-F]{2}'));

/** Little-endian value of up to 4 bytes given as 8 hex digits (BIGINT). */
const le32 = (hex8: AstNode) =>
  cast(op('||', text('0x'), fn('array_to_string', fn('list_reverse', hexPairs(hex8)), text(''))), 'BIGINT');

// ---------------------------------------------------------------------------------------------
// Murmur3 x86 32 (Spark's Murmur3_x86_32, with its own tail: each remaining byte, sign-extended,
// is mixed as an int)

const M32 = () => bigConstant('4294967295', 'BIGINT');
const mul32 = (a: AstNode, c: number) =>
  cast(
    op(
      '&',
      op('*', cast(a, 'HUGEINT'), bigConstant(String(c), 'HUGEINT')),
      bigConstant('4294967295', 'HUGEINT'),
    ),
    'BIGINT',
  );
const rotl32 = (x: Ref, r: number) =>
  op('&', op('|', op('<<', x(), int(r)), op('>>', x(), int(32 - r))), M32());
const xor = (a: AstNode, b: AstNode) => fn('xor', a, b);

function mixK1(k: AstNode, name: string): AstNode {
  return bind(`${name}_k`, mul32(k, 0xcc9e2d51), (k1) =>
    mul32(
      bind(`${name}_r`, rotl32(k1, 15), (r) => r()),
      0x1b873593,
    ),
  );
}

function mixH1(h: AstNode, k1: AstNode, name: string): AstNode {
  return bind(`${name}_x`, xor(h, k1), (x) =>
    op('&', op('+', op('*', rotl32(x, 13), int(5)), bigConstant(String(0xe6546b64), 'BIGINT')), M32()),
  );
}

function fmix32(h: AstNode, length: AstNode, name: string): AstNode {
  return bind(`${name}_f1`, xor(h, length), (a) =>
    bind(`${name}_f2`, mul32(xor(a(), op('>>', a(), int(16))), 0x85ebca6b), (b) =>
      bind(`${name}_f3`, mul32(xor(b(), op('>>', b(), int(13))), 0xc2b2ae35), (c) =>
        xor(c(), op('>>', c(), int(16))),
      ),
    ),
  );
}

const MURMUR3: Hasher = {
  int: (i, seed) => fmix32(mixH1(seed(), mixK1(op('&', i(), M32()), 'mi'), 'mi'), int(4), 'mi'),
  long: (l, seed) => {
    const low = op('&', l(), M32());
    const high = op('&', op('>>', l(), int(32)), M32());
    return fmix32(mixH1(mixH1(seed(), mixK1(low, 'ml'), 'ml1'), mixK1(high, 'mh'), 'ml2'), int(8), 'ml');
  },
  bytes: (b, seed) =>
    bind('mb_hex', fn('hex', b()), (hex) => {
      const n = () => op('//', fn('length', hex()), int(2));
      const aligned = () => op('*', op('//', n(), int(4)), int(8));
      const w = '__sluice_mw';
      const words = fn(
        'list_transform',
        fn('regexp_extract_all', fn('left', hex(), aligned()), text('.{8}')),
        lambda([w], le32(col(w))),
      );
      const t = '__sluice_mt';
      const byte = () => cast(op('||', text('0x'), col(t)), 'BIGINT');
      // Spark mixes each tail byte as a signed byte widened to an int.
      const tail = fn(
        'list_transform',
        hexPairs(fn('substring', hex(), op('+', aligned(), int(1)))),
        lambda(
          [t],
          when([[ge(byte(), int(128)), op('+', byte(), bigConstant('4294967040', 'BIGINT'))]], byte()),
        ),
      );
      const h = '__sluice_mh';
      const k = '__sluice_mk';
      const folded = fn(
        'list_reduce',
        fn('list_prepend', seed(), fn('list_concat', words, tail)),
        lambda([h, k], mixH1(col(h), mixK1(col(k), 'mbk'), 'mbh')),
      );
      return fmix32(folded, n(), 'mb');
    }),
  seed: () => cast(int(42), 'BIGINT'),
  signed: (h) =>
    cast(
      when(
        [[ge(h(), bigConstant('2147483648', 'BIGINT')), op('-', h(), bigConstant('4294967296', 'BIGINT'))]],
        h(),
      ),
      'INTEGER',
    ),
};

// ---------------------------------------------------------------------------------------------
// XXH64 (Spark's XXH64)

const U64 = (v: bigint) => bigConstant(v.toString(), 'UHUGEINT');
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;
const MASK64 = (1n << 64n) - 1n;
const mask64 = (x: AstNode) => op('&', x, U64(MASK64));
const add64 = (...xs: AstNode[]) => mask64(xs.reduce((a, b) => op('+', a, b)));
const mul64 = (a: AstNode, b: AstNode) => mask64(op('*', a, b));
const rotl64 = (x: Ref, r: number) => mask64(op('|', op('<<', x(), int(r)), op('>>', x(), int(64 - r))));

/** hash ^= rotl(k * P2, 31) * P1; hash = rotl(hash, 27) * P1 + P4 (one 8-byte step). */
function round8(hash: AstNode, k: AstNode, name: string): AstNode {
  const mixed = bind(`${name}_k`, mul64(k, U64(P2)), (kp) => mul64(rotl64(kp, 31), U64(P1)));
  return bind(`${name}_h`, xor(hash, mixed), (h) => add64(mul64(rotl64(h, 27), U64(P1)), U64(P4)));
}

/** hash ^= (int & 0xFFFFFFFF) * P1; hash = rotl(hash, 23) * P2 + P3 (one 4-byte step). */
function round4(hash: AstNode, i: AstNode, name: string): AstNode {
  return bind(`${name}_h`, xor(hash, mul64(i, U64(P1))), (h) =>
    add64(mul64(rotl64(h, 23), U64(P2)), U64(P3)),
  );
}

/** hash ^= byte * P5; hash = rotl(hash, 11) * P1 (one 1-byte step). */
function round1(hash: AstNode, b: AstNode, name: string): AstNode {
  return bind(`${name}_h`, xor(hash, mul64(b, U64(P5))), (h) => mul64(rotl64(h, 11), U64(P1)));
}

function fmix64(h: AstNode): AstNode {
  return bind('xf1', mul64(xor(h, op('>>', h, int(33))), U64(P2)), (a) =>
    bind('xf2', mul64(xor(a(), op('>>', a(), int(29))), U64(P3)), (b) => xor(b(), op('>>', b(), int(32)))),
  );
}

/** A BIGINT as its unsigned 64-bit pattern. */
const unsigned64 = (l: AstNode) =>
  cast(
    op(
      '%',
      op('+', cast(l, 'HUGEINT'), bigConstant((1n << 64n).toString(), 'HUGEINT')),
      bigConstant((1n << 64n).toString(), 'HUGEINT'),
    ),
    'UHUGEINT',
  );

/** Little-endian value of 8 bytes given as 16 hex digits (UHUGEINT). */
const le64 = (hex16: Ref) =>
  op(
    '+',
    op('*', cast(le32(fn('substring', hex16(), int(9), int(8))), 'UHUGEINT'), U64(1n << 32n)),
    cast(le32(fn('substring', hex16(), int(1), int(8))), 'UHUGEINT'),
  );

/** A lane step of the 32-byte stripes: v = rotl(v + word * P2, 31) * P1. */
const lane = (v: AstNode, word: AstNode, name: string) =>
  bind(`${name}`, add64(v, mul64(word, U64(P2))), (x) => mul64(rotl64(x, 31), U64(P1)));

/** The merge of one lane into the hash after the stripes. */
function merge(hash: AstNode, v: AstNode, name: string): AstNode {
  const mixed = bind(`${name}_v`, mul64(v, U64(P2)), (x) => mul64(rotl64(x, 31), U64(P1)));
  return add64(mul64(xor(hash, mixed), U64(P1)), U64(P4));
}

function xxBytes(b: Ref, seed: Ref): AstNode {
  return bind('xb_hex', fn('hex', b()), (hex) => {
    const n = () => op('//', fn('length', hex()), int(2));
    // 32-byte stripes: four lanes, folded stripe by stripe (state and stripes are 4-lists).
    const stripes = () => op('*', op('//', n(), int(32)), int(64));
    const s = '__sluice_xs';
    const stripeWords = fn(
      'list_transform',
      fn('regexp_extract_all', fn('left', hex(), stripes()), text('.{64}')),
      lambda(
        [s],
        list(...[0, 1, 2, 3].map((i) => le64(() => fn('substring', col(s), int(i * 16 + 1), int(16))))),
      ),
    );
    const init = list(
      add64(seed(), U64(P1), U64(P2)),
      add64(seed(), U64(P2)),
      seed(),
      add64(seed(), U64((1n << 64n) - P1)),
    );
    const v = '__sluice_xv';
    const w = '__sluice_xw';
    const lanes = fn(
      'list_reduce',
      fn('list_prepend', init, stripeWords),
      lambda(
        [v, w],
        list(...[1, 2, 3, 4].map((i) => lane(listItem(col(v), int(i)), listItem(col(w), int(i)), `xl${i}`))),
      ),
    );
    const long = bind('xlanes', lanes, (l) => {
      const at = (i: number) => listItem(l(), int(i));
      let h: AstNode = add64(
        rotl64(() => at(1), 1),
        rotl64(() => at(2), 7),
        rotl64(() => at(3), 12),
        rotl64(() => at(4), 18),
      );
      for (const i of [1, 2, 3, 4]) h = bind(`xm${i}`, h, (hr) => merge(hr(), at(i), `xm${i}`));
      return h;
    });
    const start = add64(when([[ge(n(), int(32)), long]], add64(seed(), U64(P5))), cast(n(), 'UHUGEINT'));
    // Then 8-byte words, one 4-byte word, single bytes.
    const rest = () => fn('substring', hex(), op('+', stripes(), int(1)));
    const eights = () => op('*', op('//', fn('length', rest()), int(16)), int(16));
    const e = '__sluice_xe';
    const k = '__sluice_xk';
    const h = '__sluice_xh';
    const words8 = fn(
      'list_transform',
      fn('regexp_extract_all', fn('left', rest(), eights()), text('.{16}')),
      lambda(
        [e],
        le64(() => col(e)),
      ),
    );
    const after8 = fn(
      'list_reduce',
      fn('list_prepend', start, words8),
      lambda([h, k], round8(col(h), col(k), 'x8')),
    );
    return bind('x8', after8, (h8) => {
      const tail = () => fn('substring', rest(), op('+', eights(), int(1)));
      const with4 = when(
        [
          [
            ge(fn('length', tail()), int(8)),
            round4(h8(), cast(le32(fn('left', tail(), int(8))), 'UHUGEINT'), 'x4'),
          ],
        ],
        h8(),
      );
      const bytesLeft = () =>
        when([[ge(fn('length', tail()), int(8)), fn('substring', tail(), int(9))]], tail());
      const t = '__sluice_xt';
      const singles = fn(
        'list_transform',
        hexPairs(bytesLeft()),
        lambda([t], cast(cast(op('||', text('0x'), col(t)), 'BIGINT'), 'UHUGEINT')),
      );
      const h1 = '__sluice_x1';
      const b1 = '__sluice_xb';
      const folded = fn(
        'list_reduce',
        fn('list_prepend', with4, singles),
        lambda([h1, b1], round1(col(h1), col(b1), 'x1')),
      );
      return fmix64(folded);
    });
  });
}

const XXH64: Hasher = {
  int: (i, seed) =>
    fmix64(round4(add64(seed(), U64(P5), U64(4n)), cast(op('&', i(), M32()), 'UHUGEINT'), 'xi')),
  long: (l, seed) => fmix64(round8(add64(seed(), U64(P5), U64(8n)), unsigned64(l()), 'xl')),
  bytes: xxBytes,
  seed: () => cast(int(42), 'UHUGEINT'),
  signed: (h) =>
    cast(
      when(
        [
          [
            ge(h(), U64(1n << 63n)),
            op('-', cast(h(), 'HUGEINT'), bigConstant((1n << 64n).toString(), 'HUGEINT')),
          ],
        ],
        cast(h(), 'HUGEINT'),
      ),
      'BIGINT',
    ),
};

// ---------------------------------------------------------------------------------------------
// Arguments by type

/** `x` read as `type` whatever its DuckDB type (through VARCHAR, so every branch binds). */
const via = (x: Ref, type: string) => cast(cast(x(), 'VARCHAR'), type);

/**
 * `x` hashed with `seed`; `then` gets the result (a name for it) and builds what follows, so
 * each result is computed once however often the next argument uses its seed.
 */
function hashValue(h: Hasher, x: AstNode, seed: Ref, name: string, then: (r: Ref) => AstNode): AstNode {
  // An array written out in the query: its elements in order.
  if (x.class === 'FUNCTION' && str(x, 'function_name') === 'list_value' && Array.isArray(x.children)) {
    const items = x.children as AstNode[];
    const step = (i: number, s: Ref): AstNode =>
      i === items.length ? then(s) : hashValue(h, items[i]!, s, `${name}_${i}`, (r) => step(i + 1, r));
    return step(0, seed);
  }
  const hashed = bind(`${name}_v`, x, (v) => {
    const decimalPrecision = cast(
      fn('regexp_extract', fn('typeof', v()), text('^DECIMAL\\((\\d+),'), int(1)),
      'INTEGER',
    );
    const asInt = when(
      [
        [typeIs(v(), 'BOOLEAN'), when([[via(v, 'BOOLEAN'), cast(int(1), 'BIGINT')]], cast(int(0), 'BIGINT'))],
        [typeIs(v(), 'DATE'), fn('date_diff', text('day'), cast(text('1970-01-01'), 'DATE'), via(v, 'DATE'))],
      ],
      via(v, 'BIGINT'),
    );
    const asLong = when(
      [
        [typeIs(v(), 'TIMESTAMP WITH TIME ZONE'), fn('epoch_us', via(v, 'TIMESTAMP WITH TIME ZONE'))],
        [typeIs(v(), 'TIMESTAMP'), fn('epoch_us', via(v, 'TIMESTAMP'))],
        // A decimal's unscaled value: its digits without the point.
        [
          fn('starts_with', fn('typeof', v()), text('DECIMAL')),
          cast(fn('replace', cast(v(), 'VARCHAR'), text('.'), text('')), 'BIGINT'),
        ],
      ],
      via(v, 'BIGINT'),
    );
    const asBytes = when([[typeIs(v(), 'BLOB'), via(v, 'BLOB')]], fn('encode', cast(v(), 'VARCHAR')));
    const isDecimal = fn('starts_with', fn('typeof', v()), text('DECIMAL'));
    return when(
      [
        [isNull(v()), seed()],
        [
          typeIs(v(), 'BOOLEAN', 'TINYINT', 'SMALLINT', 'INTEGER', 'DATE'),
          h.int(() => structuredClone(asInt), seed),
        ],
        [
          or(
            typeIs(v(), 'BIGINT', 'TIMESTAMP WITH TIME ZONE', 'TIMESTAMP'),
            and(isDecimal, lt(decimalPrecision, int(19))),
          ),
          h.long(() => structuredClone(asLong), seed),
        ],
        [typeIs(v(), 'VARCHAR', 'BLOB'), h.bytes(() => structuredClone(asBytes), seed)],
        [isDecimal, fail('UNSUPPORTED_VALUE', 'hash of a DECIMAL wider than 18 digits is not supported')],
      ],
      fail('UNSUPPORTED_VALUE', 'hash of a value of this type is not supported by sluice'),
    );
  });
  return bind(name, hashed, then);
}

function sparkHash(h: Hasher): FunctionRule {
  return (c: FunctionCall) => {
    if (c.args.length === 0) c.unsupported(`${c.name}() needs at least one argument`);
    const step = (i: number, seed: Ref): AstNode =>
      i === c.args.length
        ? h.signed(seed)
        : hashValue(h, c.args[i]!, seed, `hash${i}`, (r) => step(i + 1, r));
    return step(0, h.seed);
  };
}

export const SPARK_HASH_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  hash: sparkHash(MURMUR3),
  xxhash64: sparkHash(XXH64),
};
