import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  deletionVectorFile,
  encodeRoaringBitmapArray,
  encodeZ85,
} from '../../../src/storage/delta/deletion-vector-encode.ts';
import {
  type DeletionVectorDescriptor,
  deletionVectorId,
  deletionVectorPath,
  inBitmapSql,
  loadDeletionVector,
  rowIndexInSql,
  rowSetBitmap,
} from '../../../src/storage/delta/deletion-vectors.ts';
import {
  crc32,
  decodeRoaringBitmapArray,
  decodeZ85,
  decodeZ85Uuid,
  PORTABLE_ROARING_MAGIC,
  RowIndexSet,
} from '../../../src/storage/delta/roaring-bitmap.ts';
import { queryRows } from '../../../src/util/duckdb.ts';
import { connect } from '../../helpers/session.ts';
import { tmpDir } from '../../helpers/tmp.ts';

/** The values of a decoded set, ascending. */
function values(set: RowIndexSet): number[] {
  return [...set.values()];
}

/** Expects DELTA_CORRUPT_DELETION_VECTOR whose message mentions `why`. */
function corrupt(why: RegExp) {
  return (e: { code?: string; message?: string }) => {
    assert.equal(e.code, 'DELTA_CORRUPT_DELETION_VECTOR');
    assert.match(e.message ?? '', why);
    return true;
  };
}

test('Z85 follows the ZeroMQ specification (RFC 32 test vector) both ways', () => {
  const bytes = Uint8Array.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
  assert.equal(encodeZ85(bytes), 'HelloWorld');
  assert.deepEqual([...decodeZ85('HelloWorld')], [...bytes]);
  assert.deepEqual([...decodeZ85('HelloWorld', 5)], [...bytes.subarray(0, 5)]);
  assert.throws(() => decodeZ85('Hello!'), /multiple of 5/);
  assert.throws(() => decodeZ85('Hell~'), /not a Z85 character/);
});

test('relative (u) vectors: a random prefix and a Z85 UUID name the file, as the protocol says', () => {
  const dv = (pathOrInlineDv: string): DeletionVectorDescriptor => ({
    storageType: 'u',
    pathOrInlineDv,
    offset: 4,
    sizeInBytes: 40,
    cardinality: 6,
  });
  assert.equal(
    deletionVectorPath('/t', dv('ab^-aqEH.-t@S}K{vb[*k^')),
    '/t/ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin',
  );
  assert.equal(
    deletionVectorPath('/t', dv('R7QFX3rGXPFLhHGq&7g<')),
    '/t/deletion_vector_a52eda8c-0a57-4636-814b-9c165388f7ca.bin',
  );
  assert.equal(decodeZ85Uuid('rsTVZ&*Sl-RXRWjryu/!'), '550e8400-e29b-41d4-a716-446655440000');
  assert.equal(decodeZ85Uuid('5<w-%>:JjlQ/G/]6C<1m'), '123e4567-e89b-12d3-a456-426614174000');
  // Absolute (p) paths are used as they are (file: URIs decoded); remote ones are refused.
  assert.equal(
    deletionVectorPath('/t', { ...dv('file:///x/deletion_vector_1.bin'), storageType: 'p' }),
    '/x/deletion_vector_1.bin',
  );
  assert.throws(
    () => deletionVectorPath('/t', { ...dv('s3://b/deletion_vector_1.bin'), storageType: 'p' }),
    (e: { code?: string }) => e.code === 'DELTA_UNSUPPORTED_FEATURE',
  );
  // The unique id of a logical file's vector (replay key): storage type, path, offset.
  assert.equal(deletionVectorId(dv('ab^-aqEH.-t@S}K{vb[*k^')), 'uab^-aqEH.-t@S}K{vb[*k^@4');
});

test('inline (i) vectors: the portable format and the protocol example (native format) decode', () => {
  // Portable RoaringBitmapArray (magic 1681511377, 64-bit bucket count), from delta-kernel's tests.
  const portable: DeletionVectorDescriptor = {
    storageType: 'i',
    pathOrInlineDv: '^Bg9^0rr910000000000iXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L',
    sizeInBytes: 44,
    cardinality: 6,
  };
  assert.deepEqual(values(loadDeletionVector('/t', portable, 'f.parquet')), [3, 4, 7, 11, 18, 29]);
  const bytes = decodeZ85(portable.pathOrInlineDv, 44);
  assert.equal(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true), PORTABLE_ROARING_MAGIC);
  // The protocol's inline example (an older writer's native layout).
  const example: DeletionVectorDescriptor = {
    storageType: 'i',
    pathOrInlineDv: 'wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L',
    sizeInBytes: 40,
    cardinality: 6,
  };
  assert.deepEqual(values(loadDeletionVector('/t', example, 'f.parquet')), [3, 4, 7, 11, 18, 29]);
  // The log's cardinality must match what the vector holds.
  assert.throws(
    () => loadDeletionVector('/t', { ...portable, cardinality: 5 }, 'f.parquet'),
    corrupt(/holds 6 rows, the log says 5/),
  );
  // A size beyond the text, or a bitmap cut short, is corrupt.
  assert.throws(
    () => loadDeletionVector('/t', { ...portable, sizeInBytes: 60 }, 'f.parquet'),
    corrupt(/bytes/),
  );
  assert.throws(
    () => loadDeletionVector('/t', { ...portable, sizeInBytes: 30 }, 'f.parquet'),
    corrupt(/truncated/),
  );
});

/** A portable RoaringBitmapArray with one bucket whose 32-bit bitmap has only run containers. */
function runContainersBitmap(
  high: number,
  containers: readonly { key: number; runs: [number, number][] }[],
): Uint8Array {
  const parts: number[] = [];
  const u16 = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff);
  const u32 = (v: number) => {
    u16(v & 0xffff);
    u16(v >>> 16);
  };
  u32(PORTABLE_ROARING_MAGIC);
  u32(1); // bucket count, low half
  u32(0); // bucket count, high half
  u32(high);
  const n = containers.length;
  u32(12347 | ((n - 1) << 16)); // SERIAL_COOKIE with the container count
  const flags = new Array(Math.ceil(n / 8)).fill(0);
  for (let i = 0; i < n; i++) flags[i >> 3] |= 1 << (i & 7);
  parts.push(...flags);
  for (const c of containers) {
    u16(c.key);
    u16(c.runs.reduce((s, [, len]) => s + len, 0) - 1);
  }
  if (n >= 4) for (let i = 0; i < n; i++) u32(0); // offsets (not needed to read)
  for (const c of containers) {
    u16(c.runs.length);
    for (const [start, len] of c.runs) {
      u16(start);
      u16(len - 1);
    }
  }
  return Uint8Array.from(parts);
}

test('run containers, array and bitmap containers and 64-bit buckets decode', () => {
  const runs = decodeRoaringBitmapArray(
    runContainersBitmap(0, [
      {
        key: 0,
        runs: [
          [5, 3],
          [100, 1],
        ],
      },
      { key: 2, runs: [[0, 2]] },
    ]),
  );
  assert.deepEqual(values(runs), [5, 6, 7, 100, 131072, 131073]);
  assert.equal(runs.cardinality, 6);
  assert.equal(runs.max, 131073);
  assert.ok(runs.has(6) && !runs.has(8));
  // Four or more run containers carry the offset header too.
  const many = decodeRoaringBitmapArray(
    runContainersBitmap(
      1,
      [0, 1, 2, 3].map((key) => ({ key, runs: [[10, 2]] as [number, number][] })),
    ),
  );
  assert.deepEqual(values(many).slice(0, 2), [2 ** 32 + 10, 2 ** 32 + 11]);
  assert.equal(many.cardinality, 8);

  // Array containers (≤ 4096 values), bitmap containers (more) and several buckets.
  const dense = Array.from({ length: 5000 }, (_, i) => i * 3);
  const set = RowIndexSet.of([...dense, 70_000, 2 ** 32 + 1, 2 ** 33 + 7]);
  const decoded = decodeRoaringBitmapArray(encodeRoaringBitmapArray(set));
  assert.deepEqual(values(decoded), values(set));
  assert.equal(decoded.cardinality, 5003);
});

test('malformed bitmaps are rejected: magic number, cookie, bucket order, trailing bytes', () => {
  const good = encodeRoaringBitmapArray(RowIndexSet.of([1, 2, 3]));
  const bad = (mutate: (b: Uint8Array) => Uint8Array) => () =>
    decodeRoaringBitmapArray(mutate(Uint8Array.from(good)));
  assert.throws(
    bad((b) => {
      b[0] = 0;
      return b;
    }),
    /magic number/,
  );
  assert.throws(
    bad((b) => {
      b[16] = 0x99; // the 32-bit bitmap's cookie
      return b;
    }),
    /cookie/,
  );
  assert.throws(
    bad((b) => Uint8Array.from([...b, 0])),
    /bytes after/,
  );
  assert.throws(
    bad((b) => b.subarray(0, b.length - 1)),
    /truncated/,
  );
  const twoBuckets = encodeRoaringBitmapArray(RowIndexSet.of([1, 2 ** 32 + 1]));
  const swapped = Uint8Array.from(twoBuckets);
  new DataView(swapped.buffer).setUint32(12, 1, true); // first bucket key 0 → 1: not ascending
  assert.throws(() => decodeRoaringBitmapArray(swapped), /ascending/);
});

test('on-disk vectors (u, p): framing, size and CRC-32 are checked; a missing file is corrupt', () => {
  const dir = tmpDir('dv');
  const a = encodeRoaringBitmapArray(RowIndexSet.of([0, 9]));
  const b = encodeRoaringBitmapArray(RowIndexSet.of([1, 2, 3, 70_000]));
  const { bytes, offsets } = deletionVectorFile([a, b]);
  const uuid = '550e8400-e29b-41d4-a716-446655440000';
  mkdirSync(join(dir, 'dv'));
  writeFileSync(join(dir, 'dv', `deletion_vector_${uuid}.bin`), bytes);
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926); // the CRC-32 check value
  const u: DeletionVectorDescriptor = {
    storageType: 'u',
    pathOrInlineDv: 'dvrsTVZ&*Sl-RXRWjryu/!',
    offset: offsets[1] as number,
    sizeInBytes: b.length,
    cardinality: 4,
  };
  assert.deepEqual(values(loadDeletionVector(dir, u, 'f.parquet')), [1, 2, 3, 70_000]);
  const p: DeletionVectorDescriptor = {
    storageType: 'p',
    pathOrInlineDv: `file://${join(dir, 'dv', `deletion_vector_${uuid}.bin`)}`,
    offset: offsets[0] as number,
    sizeInBytes: a.length,
    cardinality: 2,
  };
  assert.deepEqual(values(loadDeletionVector(dir, p, 'f.parquet')), [0, 9]);
  assert.throws(
    () => loadDeletionVector(dir, { ...u, sizeInBytes: b.length - 2 }, 'f.parquet'),
    corrupt(/the log says/),
  );
  const damaged = Uint8Array.from(bytes);
  damaged[(offsets[1] as number) + 6] = (damaged[(offsets[1] as number) + 6] as number) ^ 0xff;
  writeFileSync(join(dir, 'dv', `deletion_vector_${uuid}.bin`), damaged);
  assert.throws(() => loadDeletionVector(dir, u, 'f.parquet'), corrupt(/checksum/));
  assert.throws(
    () => loadDeletionVector(dir, { ...u, pathOrInlineDv: 'zzrsTVZ&*Sl-RXRWjryu/!' }, 'f.parquet'),
    corrupt(/missing/),
  );
  const v2 = Uint8Array.from(bytes);
  v2[0] = 2;
  writeFileSync(join(dir, 'dv', `deletion_vector_${uuid}.bin`), v2);
  assert.throws(() => loadDeletionVector(dir, u, 'f.parquet'), corrupt(/format version 2/));
});

test('the row filter is SQL over the row index column, true exactly for the set', async () => {
  const conn = await connect();
  try {
    const sets = [
      RowIndexSet.of([]),
      RowIndexSet.of([7]),
      RowIndexSet.of([1, 5, 6, 7, 8, 9, 40]),
      RowIndexSet.of(Array.from({ length: 20_000 }, (_, i) => i * 5 + (i % 3))),
    ];
    for (const set of sets) {
      const rows = await queryRows<{ n: bigint | number; bad: bigint | number }>(
        conn,
        `SELECT count(*) FILTER (WHERE ${rowIndexInSql(set, 'i')}) AS n, ` +
          `count(*) FILTER (WHERE (${rowIndexInSql(set, 'i')}) IS NULL) AS bad FROM range(0, 200000) t(i)`,
      );
      assert.equal(Number(rows[0]?.n), set.cardinality);
      assert.equal(Number(rows[0]?.bad), 0);
      const some = await queryRows<{ i: bigint | number }>(
        conn,
        `SELECT i FROM range(0, 200000) t(i) WHERE ${rowIndexInSql(set, 'i')} ORDER BY i LIMIT 50`,
      );
      assert.deepEqual(
        some.map((r) => Number(r.i)),
        values(set).slice(0, 50),
      );
      // With the file's row count, one bit per row and no clamping; rows beyond the count the
      // statistics gave are past every deleted row, and far beyond it fail the query.
      const whole = rowSetBitmap(set, 110_000);
      if (!whole) continue;
      const [w] = await queryRows<{ n: bigint | number }>(
        conn,
        `SELECT count(*) FILTER (WHERE ${inBitmapSql('i', whole)}) AS n FROM range(0, 110001) t(i)`,
      );
      assert.equal(Number(w?.n), values(set).filter((v) => v < 110_000).length);
      await assert.rejects(
        queryRows(
          conn,
          `SELECT count(*) FILTER (WHERE ${inBitmapSql('i', whole)}) FROM range(0, 110016) t(i)`,
        ),
        /out of (valid )?range/i,
      );
    }
  } finally {
    conn.closeSync();
  }
});

test('the bitset of a decoded set equals one built bit by bit, for any window of array, bitmap and run containers', () => {
  // A dense container (bitmap), a sparse one (array) and a run container (hand-built: a
  // RoaringBitmap run container is what Spark writes for deleted ranges).
  let x = 7;
  const rand = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
  const dense: number[] = [];
  for (let i = 0; i < 65536; i++) if (rand() < 0.3) dense.push(i);
  const sparse = [65536 + 3, 65536 + 4000, 65536 + 65535];
  const set = decodeRoaringBitmapArray(encodeRoaringBitmapArray(RowIndexSet.of([...dense, ...sparse])));
  assert.equal(set.cardinality, dense.length + sparse.length);
  const all = new Set(values(set));
  for (const [from, length] of [
    [0, 131073],
    [8, 70000],
    [65528, 16],
    [65536, 9],
    [131064, 10],
    [200000, 8],
  ] as const) {
    const bytes = set.toMsbBitset(length, from);
    assert.equal(bytes.length, Math.ceil(length / 8));
    for (let i = 0; i < bytes.length * 8; i++) {
      const bit = ((bytes[i >> 3] as number) >> (7 - (i & 7))) & 1;
      assert.equal(bit, i < length && all.has(from + i) ? 1 : 0, `bit ${i} of the window at ${from}`);
    }
  }
});
