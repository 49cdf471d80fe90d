import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toSluiceError } from '../../src/index.ts';
import { session } from '../helpers/session.ts';
import { rows } from './helpers.ts';

// Reference implementations of Spark's Murmur3_x86_32 (with its sign-extended byte tail) and
// XXH64, written from the algorithms, to check sluice's SQL against many inputs.

const rotl32 = (x: number, r: number) => (x << r) | (x >>> (32 - r));
const mixK1 = (k: number) => Math.imul(rotl32(Math.imul(k, 0xcc9e2d51), 15), 0x1b873593);
const mixH1 = (h: number, k: number) => (Math.imul(rotl32(h ^ k, 13), 5) + 0xe6546b64) | 0;
function fmix32(h: number, len: number): number {
  let x = h ^ len;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) | 0;
}
const murmur = {
  int: (i: number, seed: number) => fmix32(mixH1(seed, mixK1(i)), 4),
  long: (l: bigint, seed: number) =>
    fmix32(
      mixH1(mixH1(seed, mixK1(Number(BigInt.asIntN(32, l)))), mixK1(Number(BigInt.asIntN(32, l >> 32n)))),
      8,
    ),
  bytes(b: Uint8Array, seed: number): number {
    const aligned = b.length - (b.length % 4);
    let h = seed;
    for (let i = 0; i < aligned; i += 4)
      h = mixH1(h, mixK1(b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)));
    for (let i = aligned; i < b.length; i++) h = mixH1(h, mixK1((b[i]! << 24) >> 24));
    return fmix32(h, b.length);
  },
};

const M64 = (1n << 64n) - 1n;
const [P1, P2, P3, P4, P5] = [
  0x9e3779b185ebca87n,
  0xc2b2ae3d27d4eb4fn,
  0x165667b19e3779f9n,
  0x85ebca77c2b2ae63n,
  0x27d4eb2f165667c5n,
];
const rotl64 = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & M64;
const mul = (a: bigint, b: bigint) => (a * b) & M64;
const add = (a: bigint, b: bigint) => (a + b) & M64;
function fmix64(h: bigint): bigint {
  let x = h ^ (h >> 33n);
  x = mul(x, P2);
  x ^= x >> 29n;
  x = mul(x, P3);
  return x ^ (x >> 32n);
}
const le = (b: Uint8Array, at: number, n: number) => {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i]!);
  return v;
};
const round8 = (h: bigint, k: bigint) => add(mul(rotl64(h ^ mul(rotl64(mul(k, P2), 31n), P1), 27n), P1), P4);
const lane = (v: bigint, k: bigint) => mul(rotl64(add(v, mul(k, P2)), 31n), P1);
const xx = {
  int: (i: number, seed: bigint) =>
    fmix64(add(mul(rotl64(add(add(seed, P5), 4n) ^ mul(BigInt(i >>> 0), P1), 23n), P2), P3)),
  long: (l: bigint, seed: bigint) => fmix64(round8(add(add(seed, P5), 8n), l & M64)),
  bytes(b: Uint8Array, seed: bigint): bigint {
    let at = 0;
    let h: bigint;
    if (b.length >= 32) {
      let v = [add(add(seed, P1), P2), add(seed, P2), seed, (seed - P1) & M64];
      for (; at + 32 <= b.length; at += 32) v = v.map((x, i) => lane(x, le(b, at + i * 8, 8)));
      h = add(add(add(rotl64(v[0]!, 1n), rotl64(v[1]!, 7n)), rotl64(v[2]!, 12n)), rotl64(v[3]!, 18n));
      for (const x of v) h = add(mul(h ^ mul(rotl64(mul(x, P2), 31n), P1), P1), P4);
    } else h = add(seed, P5);
    h = add(h, BigInt(b.length));
    for (; at + 8 <= b.length; at += 8) h = round8(h, le(b, at, 8));
    if (at + 4 <= b.length) {
      h = add(mul(rotl64(h ^ mul(le(b, at, 4), P1), 23n), P2), P3);
      at += 4;
    }
    for (; at < b.length; at++) h = mul(rotl64(h ^ mul(BigInt(b[at]!), P5), 11n), P1);
    return fmix64(h);
  },
};

/** A Spark value with its type, as the reference hashes it and as SQL writes it. */
type Value =
  | { kind: 'int'; v: number; sql: string }
  | { kind: 'long'; v: bigint; sql: string }
  | { kind: 'bytes'; v: Uint8Array; sql: string }
  | { kind: 'null'; sql: string }
  | { kind: 'array'; items: Value[]; sql: string };

function refHash(values: Value[]): [number, bigint] {
  let m = 42;
  let x = 42n;
  const one = (v: Value) => {
    if (v.kind === 'int') [m, x] = [murmur.int(v.v, m), xx.int(v.v, x)];
    else if (v.kind === 'long') [m, x] = [murmur.long(v.v, m), xx.long(v.v, x)];
    else if (v.kind === 'bytes') [m, x] = [murmur.bytes(v.v, m), xx.bytes(v.v, x)];
    else if (v.kind === 'array') v.items.forEach(one);
  };
  values.forEach(one);
  return [m, BigInt.asIntN(64, x)];
}

const utf8 = (s: string): Value => ({
  kind: 'bytes',
  v: new TextEncoder().encode(s),
  sql: `'${s.replace(/'/g, "''")}'`,
});
const int = (n: number, sql = String(n)): Value => ({ kind: 'int', v: n, sql });
const long = (n: bigint, sql = `${n}L`): Value => ({ kind: 'long', v: n, sql });

async function sluiceHash(values: Value[]): Promise<[number, bigint]> {
  const args = values.map((v) => v.sql).join(', ');
  const m = await session.sql.translateExpression(`hash(${args})`);
  const x = await session.sql.translateExpression(`xxhash64(${args})`);
  const [r] = await rows(`SELECT ${m} AS m, typeof(${m}) AS mt, ${x} AS x, typeof(${x}) AS xt`);
  assert.deepEqual([r!.mt, r!.xt], ['INTEGER', 'BIGINT']);
  return [Number(r!.m), BigInt(r!.x as bigint)];
}

test("hash and xxhash64: Spark's documented results", async () => {
  const values: Value[] = [utf8('Spark'), { kind: 'array', items: [int(123)], sql: 'array(123)' }, int(2)];
  assert.deepEqual(await sluiceHash(values), [-1321691492, 5602566077635097486n]);
  assert.deepEqual(refHash(values), [-1321691492, 5602566077635097486n]);
});

test('hash and xxhash64 agree with the reference algorithms over types and lengths', async () => {
  const samples: Value[][] = [
    [int(0)],
    [int(-1)],
    [int(2147483647)],
    [int(-2147483648, 'CAST(-2147483648 AS INT)')],
    [int(7, 'CAST(7 AS TINYINT)')],
    [int(-300, 'CAST(-300 AS SMALLINT)')],
    [int(1, 'true')],
    [int(0, 'false')],
    [long(0n)],
    [long(-1n)],
    [long(9223372036854775807n)],
    [long(-9223372036854775808n, 'CAST(-9223372036854775808 AS BIGINT)')],
    // Dates hash as days, timestamps as microseconds, small decimals as their unscaled long.
    [int(19787, "DATE '2024-03-05'")],
    [int(-1, "DATE '1969-12-31'")],
    [long(1709622489123456n, "TIMESTAMP '2024-03-05 07:08:09.123456'")],
    [long(-150n, 'CAST(-1.50 AS DECIMAL(5, 2))')],
    [long(123456789012345678n, 'CAST(123456789012345678 AS DECIMAL(18, 0))')],
    [{ kind: 'null', sql: 'NULL' }, int(5)],
    [int(1), { kind: 'null', sql: 'CAST(NULL AS STRING)' }, long(2n)],
    [{ kind: 'bytes', v: Uint8Array.from([0x80, 0xff, 0x00, 0x7f, 0xc3]), sql: "x'80FF007FC3'" }],
    [
      {
        kind: 'array',
        items: [utf8('a'), { kind: 'null', sql: 'NULL' }, utf8('bc')],
        sql: "array('a', NULL, 'bc')",
      },
    ],
  ];
  // Strings of every length through three XXH64 stripes, with multi-byte characters.
  const text = 'Spark SQL é ü 😀 and more text to pass thirty-two bytes twice over ok';
  for (const n of [0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 30, 31, 32, 33, 36, 40, 47, 60, 64, 65, 70])
    samples.push([utf8([...text].slice(0, n).join(''))]);
  const failures: string[] = [];
  for (const values of samples) {
    const expected = refHash(values);
    const got = await sluiceHash(values);
    if (got[0] !== expected[0] || got[1] !== expected[1])
      failures.push(`${values.map((v) => v.sql).join(', ')}: expected ${expected}, got ${got}`);
  }
  assert.deepEqual(failures, []);
});

test('hash of a type sluice does not hash exactly fails with UNSUPPORTED_VALUE', async () => {
  for (const expr of ['hash(1.5D)', "xxhash64(map('a', 1))", 'hash(CAST(1 AS DECIMAL(20, 0)))']) {
    const sql = await session.sql.translateExpression(expr);
    await assert.rejects(rows(`SELECT ${sql} AS v`), (e) => {
      assert.equal(toSluiceError(e, 'QUERY_FAILED').code, 'UNSUPPORTED_VALUE', expr);
      return true;
    });
  }
});
