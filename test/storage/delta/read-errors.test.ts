import assert from 'node:assert/strict';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { snapshotScanSql } from '../../../src/storage/delta/scan.ts';
import { latestVersion, loadSnapshot, readCommit } from '../../../src/storage/delta/snapshot.ts';
import { FIXTURES, tmpDir } from '../../helpers/tmp.ts';

const skip = existsSync(FIXTURES) ? false : 'needs ../shared/fixtures/delta';

function copyFixture(name: string): string {
  const dest = join(tmpDir('bad'), name);
  cpSync(join(FIXTURES, name), dest, { recursive: true });
  return dest;
}

type Coded = { code?: string; params?: Record<string, unknown>; message: string };

test('missing _delta_log → DELTA_TABLE_NOT_FOUND naming the path', async () => {
  const dir = tmpDir('empty');
  await assert.rejects(loadSnapshot(dir), (e: Coded) => {
    assert.equal(e.code, 'DELTA_TABLE_NOT_FOUND');
    assert.equal(e.params?.table, dir);
    assert.match(e.message, /_delta_log/);
    return true;
  });
  assert.equal(await latestVersion(dir), undefined);
  mkdirSync(join(dir, '_delta_log'));
  await assert.rejects(loadSnapshot(dir), { code: 'DELTA_TABLE_NOT_FOUND' });
});

test('a truncated commit → DELTA_CORRUPT_LOG naming file and line', { skip }, async () => {
  const table = copyFixture('delta-0.8.0');
  const file = join(table, '_delta_log', '00000000000000000001.json');
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.slice(0, Math.floor(text.length / 2)));
  const lineCount = text.slice(0, Math.floor(text.length / 2)).split('\n').length;
  for (const load of [() => loadSnapshot(table), () => readCommit(table, 1)]) {
    await assert.rejects(load(), (e: Coded) => {
      assert.equal(e.code, 'DELTA_CORRUPT_LOG');
      assert.equal(e.params?.file, file);
      assert.equal(e.params?.line, lineCount);
      assert.ok(e.message.includes(`${file}:${lineCount}`), e.message);
      return true;
    });
  }
  // Version 0 is still readable: corruption in a later commit does not affect it.
  assert.equal((await loadSnapshot(table, { version: 0 })).version, 0);
});

test('a non-JSON line in a commit → DELTA_CORRUPT_LOG', { skip }, async () => {
  const table = copyFixture('delta-0.8.0');
  const file = join(table, '_delta_log', '00000000000000000000.json');
  appendFileSync(file, 'this is not json\n');
  await assert.rejects(loadSnapshot(table), (e: Coded) => {
    assert.equal(e.code, 'DELTA_CORRUPT_LOG');
    assert.equal(e.params?.file, file);
    return true;
  });
});

test('a missing data file → DELTA_MISSING_DATA_FILE naming it', { skip }, async () => {
  const table = copyFixture('delta-0.8.0-special-partition');
  const snap = await loadSnapshot(table);
  const victim = join(
    table,
    'x=A%2FA',
    'part-00007-b350e235-2832-45df-9918-6cab4f7578f7.c000.snappy.parquet',
  );
  rmSync(victim);
  assert.throws(
    () => snapshotScanSql(snap),
    (e: Coded) => {
      assert.equal(e.code, 'DELTA_MISSING_DATA_FILE');
      assert.equal(e.params?.file, victim);
      return true;
    },
  );
});

test('an unknown protocol version → DELTA_UNSUPPORTED_PROTOCOL naming version', { skip }, async () => {
  const table = copyFixture('delta-0.8.0');
  writeFileSync(
    join(table, '_delta_log', '00000000000000000002.json'),
    `${JSON.stringify({ protocol: { minReaderVersion: 4, minWriterVersion: 8 } })}\n${JSON.stringify({ commitInfo: { timestamp: 1 } })}\n`,
  );
  await assert.rejects(loadSnapshot(table), (e: Coded) => {
    assert.equal(e.code, 'DELTA_UNSUPPORTED_PROTOCOL');
    assert.equal(e.params?.minReaderVersion, 4);
    assert.equal(e.params?.version, 2);
    return true;
  });
  assert.equal((await loadSnapshot(table, { version: 1 })).version, 1);
});

test('unknown reader features are refused; a damaged deletion vector fails the read, never skips it', {
  skip,
}, async () => {
  const table = copyFixture('delta-0.8.0');
  const log = join(table, '_delta_log');
  writeFileSync(
    join(log, '00000000000000000002.json'),
    `${JSON.stringify({ protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['timestampNtz', 'variantShredding'], writerFeatures: [] } })}\n`,
  );
  await assert.rejects(loadSnapshot(table), (e: Coded) => {
    assert.equal(e.code, 'DELTA_UNSUPPORTED_FEATURE');
    assert.equal(e.params?.feature, 'variantShredding');
    assert.match(e.message, /unshred/);
    return true;
  });
  // A live file re-added with a vector whose bytes are not a bitmap.
  const live = (await loadSnapshot(table, { version: 1 })).files[0]!;
  writeFileSync(
    join(log, '00000000000000000002.json'),
    `${[
      {
        protocol: {
          minReaderVersion: 3,
          minWriterVersion: 7,
          readerFeatures: ['deletionVectors'],
          writerFeatures: ['deletionVectors'],
        },
      },
      { remove: { path: live.path, dataChange: true, deletionTimestamp: 1 } },
      {
        add: {
          ...live,
          dataChange: true,
          deletionVector: { storageType: 'i', pathOrInlineDv: '00000', sizeInBytes: 4, cardinality: 1 },
        },
      },
    ]
      .map((a) => JSON.stringify(a))
      .join('\n')}\n`,
  );
  const snap = await loadSnapshot(table);
  assert.equal(snap.files.length, (await loadSnapshot(table, { version: 1 })).files.length);
  assert.throws(
    () => snapshotScanSql(snap),
    (e: Coded) => {
      assert.equal(e.code, 'DELTA_CORRUPT_DELETION_VECTOR');
      assert.equal(e.params?.table, table);
      assert.match(e.message, /magic number/);
      return true;
    },
  );
});

test('a corrupt checkpoint falls back to the commits it summarises; without them → DELTA_CORRUPT_CHECKPOINT; a stale or missing _last_checkpoint is harmless', {
  skip,
}, async () => {
  const table = copyFixture('simple_table_with_checkpoint');
  const log = join(table, '_delta_log');
  rmSync(join(log, '_last_checkpoint'));
  assert.equal((await loadSnapshot(table)).files.length, 11);
  writeFileSync(join(log, '_last_checkpoint'), '{"version":3,"size":1}');
  assert.equal((await loadSnapshot(table)).version, 10);
  writeFileSync(join(log, '00000000000000000010.checkpoint.parquet'), 'PAR1 garbage');
  // The JSON commits are all there: the table reads as before.
  const fallback = await loadSnapshot(table);
  assert.equal(fallback.version, 10);
  assert.equal(fallback.files.length, 11);
  // With an early commit gone, nothing can stand in for the damaged checkpoint.
  rmSync(join(log, '00000000000000000001.json'));
  await assert.rejects(loadSnapshot(table), (e: Coded) => {
    assert.equal(e.code, 'DELTA_CORRUPT_CHECKPOINT');
    assert.equal(e.params?.version, 10);
    return true;
  });
  // Versions before the gap stay readable from JSON.
  assert.equal((await loadSnapshot(table, { version: 0 })).version, 0);
});

test('versions after the latest → DELTA_VERSION_NOT_FOUND', { skip }, async () => {
  await assert.rejects(loadSnapshot(join(FIXTURES, 'delta-0.8.0'), { version: 2 }), (e: Coded) => {
    assert.equal(e.code, 'DELTA_VERSION_NOT_FOUND');
    assert.equal(e.params?.version, 2);
    return true;
  });
  await assert.rejects(readCommit(join(FIXTURES, 'delta-0.8.0'), 7), { code: 'DELTA_VERSION_NOT_FOUND' });
});
