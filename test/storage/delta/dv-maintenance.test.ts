// Compaction and vacuum of a table whose files carry deletion vectors (as Databricks writes
// them): compaction rewrites the live rows only and drops the vectors; vacuum keeps every
// vector file a kept version references and deletes it with its data files afterwards.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { commit } from '../../../src/storage/delta/commit.ts';
import {
  deletionVectorFile,
  encodeRoaringBitmapArray,
  encodeZ85,
} from '../../../src/storage/delta/deletion-vector-encode.ts';
import { compactTable } from '../../../src/storage/delta/optimize.ts';
import { RowIndexSet } from '../../../src/storage/delta/roaring-bitmap.ts';
import { snapshotScanSql } from '../../../src/storage/delta/scan.ts';
import { serializeSchema } from '../../../src/storage/delta/schema.ts';
import { loadSnapshot } from '../../../src/storage/delta/snapshot.ts';
import { vacuum } from '../../../src/storage/delta/vacuum.ts';
import { queryRows } from '../../../src/util/duckdb.ts';
import { connect } from '../../helpers/session.ts';
import { tmpDir } from '../../helpers/tmp.ts';

const UUID = '0b6f1e2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
const DV_FILE = `deletion_vector_${UUID}.bin`;

/** Three files of 5 rows (v = 10·file + row); files 0 and 1 have vectors deleting rows 1 and 3, and 0. */
async function dvTable(): Promise<string> {
  const conn = await connect();
  const dir = tmpDir('dv-maint');
  mkdirSync(dir, { recursive: true });
  const adds = [];
  for (let f = 0; f < 3; f++) {
    const name = `part-${f}.parquet`;
    await conn.run(
      `COPY (SELECT ${f * 10} + range AS v FROM range(5)) TO '${join(dir, name)}' (FORMAT parquet)`,
    );
    adds.push({
      path: name,
      partitionValues: {},
      size: statSync(join(dir, name)).size,
      modificationTime: Date.now(),
      dataChange: true,
      stats: JSON.stringify({ numRecords: 5 }),
    });
  }
  const sets = [RowIndexSet.of([1, 3]), RowIndexSet.of([0])];
  const file = deletionVectorFile(sets.map(encodeRoaringBitmapArray));
  writeFileSync(join(dir, DV_FILE), file.bytes);
  const z85 = encodeZ85(Buffer.from(UUID.replace(/-/g, ''), 'hex'));
  const withDv = adds.map((a, i) => {
    const set = sets[i];
    if (!set) return a;
    const sizeInBytes = encodeRoaringBitmapArray(set).length;
    return {
      ...a,
      deletionVector: {
        storageType: 'u',
        pathOrInlineDv: z85,
        offset: file.offsets[i],
        sizeInBytes,
        cardinality: set.cardinality,
      },
    };
  });
  const schemaString = serializeSchema({
    type: 'struct',
    fields: [{ name: 'v', type: 'long', nullable: true, metadata: {} }],
  });
  await commit(
    dir,
    [
      {
        protocol: {
          minReaderVersion: 3,
          minWriterVersion: 7,
          readerFeatures: ['deletionVectors'],
          writerFeatures: ['deletionVectors'],
        },
      },
      {
        metaData: {
          id: 'dv-maint',
          format: { provider: 'parquet', options: {} },
          schemaString,
          partitionColumns: [],
          configuration: { 'delta.enableDeletionVectors': 'true' },
          createdTime: Date.now(),
        },
      },
      ...withDv.map((add) => ({ add })),
    ],
    { readVersion: -1, operation: 'CREATE TABLE' },
  );
  return dir;
}

async function values(dir: string): Promise<number[]> {
  const conn = await connect();
  const rows = await queryRows<{ v: bigint }>(
    conn,
    `SELECT v FROM (${snapshotScanSql(await loadSnapshot(dir))}) ORDER BY v`,
  );
  return rows.map((r) => Number(r.v));
}

const LIVE = [0, 2, 4, 11, 12, 13, 14, 20, 21, 22, 23, 24];

test('vacuum keeps the vector file live files reference', async () => {
  const dir = await dvTable();
  const res = await vacuum(dir, { retentionMs: 0, now: Date.now() + 7 * 24 * 3600 * 1000 });
  assert.deepEqual(res.files, []);
  assert.ok(existsSync(join(dir, DV_FILE)));
  assert.deepEqual(await values(dir), LIVE);
});

test('compaction rewrites the live rows without vectors; vacuum then deletes the old files and the vector file', async () => {
  const dir = await dvTable();
  const res = await compactTable(dir, { targetFileBytes: 1 << 20 });
  assert.equal(res.filesRemoved, 3);
  assert.equal(res.filesAdded, 1);
  const snap = await loadSnapshot(dir);
  assert.equal(snap.files.length, 1);
  assert.equal(snap.files[0]?.deletionVector ?? undefined, undefined);
  assert.deepEqual(await values(dir), LIVE);
  const gone = await vacuum(dir, { retentionMs: 0, now: Date.now() + 7 * 24 * 3600 * 1000 });
  assert.deepEqual(gone.files, [DV_FILE, 'part-0.parquet', 'part-1.parquet', 'part-2.parquet']);
  assert.deepEqual(await values(dir), LIVE);
});
