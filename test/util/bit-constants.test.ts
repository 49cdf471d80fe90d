import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bitConstantSql } from '../../src/util/bit-constants.ts';
import { Database, queryRows } from '../../src/util/duckdb.ts';

/** `n` bytes with bits set in a pattern that depends on `seed`: its set-bit count, computed here. */
function pattern(n: number, seed: number): { bytes: Uint8Array; ones: number } {
  const bytes = new Uint8Array(n);
  let ones = 0;
  for (let i = 0; i < n; i++) {
    const b = (i * 31 + seed) & 0xff;
    bytes[i] = b;
    for (let x = b; x; x >>= 1) ones += x & 1;
  }
  return { bytes, ones };
}

test('a large BIT constant is a macro each connection defines before it runs, prepares or streams a statement', async () => {
  const db = new Database();
  const a = await db.connect();
  const b = await db.connect();
  try {
    const big = pattern(20_000, 7);
    const sql = bitConstantSql(big.bytes);
    assert.match(sql, /^sluice_bits_[0-9a-f]{40}\(\)$/);
    const q = `SELECT bit_count(${sql}) AS n, bit_length(${sql}) AS len`;
    const want = { n: big.ones, len: 20_000 * 8 };
    const [r1] = await queryRows<{ n: number; len: number }>(a, q);
    assert.deepEqual({ n: Number(r1?.n), len: Number(r1?.len) }, want);
    // Another connection defines it for itself (TEMP macros are per connection).
    const streamed = await (await b.stream(q)).getRowObjectsJson();
    assert.deepEqual({ n: Number(streamed[0]?.n), len: Number(streamed[0]?.len) }, want);
    // Parameterized and prepared statements go through the same definition.
    const withParam = await b.runAndReadAll(`SELECT get_bit(${sql}, $1::INTEGER) AS bit`, [9]);
    assert.equal(Number(withParam.getRowObjectsJson()[0]?.bit), (big.bytes[1] as number) & 0x40 ? 1 : 0);
    const c = await db.connect();
    const prepared = await c.prepare(q);
    const fromPrepared = (await prepared.runAndReadAll()).getRowObjectsJson();
    assert.deepEqual({ n: Number(fromPrepared[0]?.n), len: Number(fromPrepared[0]?.len) }, want);
    c.closeSync();
  } finally {
    a.closeSync();
    b.closeSync();
    db.close();
  }
});

test('a small BIT constant stays a literal; a constant nobody wrote fails the statement instead of reading as NULL', async () => {
  const db = new Database();
  const conn = await db.connect();
  try {
    const small = pattern(100, 3);
    const sql = bitConstantSql(small.bytes);
    assert.match(sql, /^from_base64\('/);
    const [r] = await queryRows<{ n: number }>(conn, `SELECT bit_count(${sql}) AS n`);
    assert.equal(Number(r?.n), small.ones);
    await assert.rejects(queryRows(conn, `SELECT get_bit(sluice_bits_${'0'.repeat(40)}(), 0) AS b`));
  } finally {
    conn.closeSync();
    db.close();
  }
});
