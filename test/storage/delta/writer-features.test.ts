/**
 * Writing into Delta tables that declare writer features: honoured ones (deletion vectors,
 * append-only, in-commit timestamps) give tables chdb (delta-kernel-rs) reads right; the others
 * are refused with the feature's name before a file or commit is written.
 */
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeCheckpoint } from '../../../src/storage/delta/checkpoint-write.ts';
import { readCommit } from '../../../src/storage/delta/log-files.ts';
import { snapshotScanSql } from '../../../src/storage/delta/scan.ts';
import { loadSnapshot } from '../../../src/storage/delta/snapshot.ts';
import { appendRows, createTable, overwriteRows } from '../../../src/storage/delta/table.ts';
import { chdbRows, sluiceRows } from '../../helpers/delta-compare.ts';
import { connect } from '../../helpers/session.ts';
import { ROOT, tmpDir } from '../../helpers/tmp.ts';

const KERNEL = join(ROOT, '..', 'shared', 'fixtures', 'delta-kernel');
const skip = existsSync(KERNEL) ? false : 'needs ../shared/fixtures/delta-kernel';
const conn = await connect();
await conn.run("SET TimeZone = 'UTC'");
after(() => conn.closeSync());

function copy(name: string): string {
  const dest = join(tmpDir('writer-features'), name);
  cpSync(join(KERNEL, name), dest, { recursive: true });
  return dest;
}

/** sluice's rows of the latest version equal chdb's, and their values. */
async function sameAsChdb(path: string): Promise<string[]> {
  const snap = await loadSnapshot(path);
  const mine = await sluiceRows(conn, snapshotScanSql(snap), snap.schema);
  assert.deepEqual(mine, chdbRows(path, snap.version, snap.schema));
  return mine;
}

function rejectsFeature(feature: string) {
  return (e: { code?: string; params?: Record<string, unknown>; message?: string }) => {
    assert.equal(e.code, 'DELTA_UNSUPPORTED_FEATURE', String(e));
    assert.equal(e.params?.feature, feature);
    assert.match(e.message ?? '', new RegExp(`'${feature}'`));
    return true;
  };
}

test('appending to and overwriting a table with deletion vectors keeps its deleted rows deleted', {
  skip,
}, async () => {
  const path = copy('table-with-dv-small');
  assert.deepEqual(await sameAsChdb(path), [
    '["1"]',
    '["2"]',
    '["3"]',
    '["4"]',
    '["5"]',
    '["6"]',
    '["7"]',
    '["8"]',
  ]);
  await appendRows(conn, path, 'SELECT 100 AS value');
  assert.equal((await sameAsChdb(path)).length, 9);
  // A checkpoint keeps the vectors: read from it alone, the table is the same.
  const v = (await loadSnapshot(path)).version;
  await writeCheckpoint(path, v);
  const fromCheckpoint = await loadSnapshot(path);
  assert.equal(fromCheckpoint.files.filter((f) => f.deletionVector).length, 1);
  assert.equal((await sameAsChdb(path)).length, 9);
  // An overwrite removes the file together with its vector (the logical file), so nothing of it stays.
  await overwriteRows(conn, path, 'SELECT 7 AS value');
  const last = await readCommit(path, v + 1);
  const removed = last.flatMap((a) => ('remove' in a ? [a.remove] : []));
  assert.ok(
    removed.some((r) => r.deletionVector),
    'the remove names the vector',
  );
  assert.deepEqual(await sameAsChdb(path), ['["7"]']);
});

test('writer features sluice does not honour are refused by name, before any file or commit', {
  skip,
}, async () => {
  for (const [name, feature] of [
    ['crc-full', 'domainMetadata'],
    ['v2-checkpoints-json-with-sidecars', 'v2Checkpoint'],
    ['partitioned_with_materialize_feature', 'materializePartitionColumns'],
    ['partition_cm-name', 'columnMapping'],
    ['cdf-column-mapping-name-mode', 'columnMapping'],
    ['unshredded-variant', 'variantType'],
  ] as const) {
    const path = copy(name);
    const before = (await loadSnapshot(path)).version;
    const files = readdirSync(path).length;
    const snap = await loadSnapshot(path);
    const col = snap.schema.fields[0]!.name;
    await assert.rejects(appendRows(conn, path, `SELECT NULL AS "${col}"`), rejectsFeature(feature), name);
    assert.equal((await loadSnapshot(path)).version, before, `${name}: no commit`);
    assert.equal(readdirSync(path).length, files, `${name}: no data file`);
  }
});

test('check constraints, generated and identity columns in use are refused; unused features are fine', async () => {
  const dir = tmpDir('constraints');
  const schema = {
    type: 'struct' as const,
    fields: [{ name: 'x', type: 'long' as const, nullable: true, metadata: {} }],
  };
  const path = join(dir, 't');
  await createTable(path, { schema });
  // Declaring the features (protocol 7) without using them: writes go on.
  appendFileSync(
    join(path, '_delta_log', '00000000000000000001.json'),
    `${JSON.stringify({ protocol: { minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['checkConstraints', 'generatedColumns', 'identityColumns', 'appendOnly', 'invariants'] } })}\n`,
  );
  await appendRows(conn, path, 'SELECT 1::BIGINT AS x');
  const meta = (await loadSnapshot(path)).metadata;
  writeFileSync(
    join(path, '_delta_log', '00000000000000000003.json'),
    `${JSON.stringify({ metaData: { ...meta, configuration: { ...meta.configuration, 'delta.constraints.positive': 'x > 0' } } })}\n`,
  );
  await assert.rejects(
    appendRows(conn, path, 'SELECT 2::BIGINT AS x'),
    (e: { code?: string; params?: Record<string, unknown> }) => {
      rejectsFeature('checkConstraints')(e);
      assert.match(String(e.params?.detail), /positive/);
      return true;
    },
  );
  const generated = JSON.stringify({
    type: 'struct',
    fields: [
      { name: 'x', type: 'long', nullable: true, metadata: { 'delta.generationExpression': 'y + 1' } },
    ],
  });
  writeFileSync(
    join(path, '_delta_log', '00000000000000000004.json'),
    `${JSON.stringify({ metaData: { ...meta, schemaString: generated } })}\n`,
  );
  await assert.rejects(appendRows(conn, path, 'SELECT 2::BIGINT AS x'), rejectsFeature('generatedColumns'));
  assert.equal((await loadSnapshot(path)).version, 4);
});

test('an append-only table refuses an overwrite; nothing is committed', async () => {
  const dir = tmpDir('append-only');
  const path = join(dir, 't');
  const schema = {
    type: 'struct' as const,
    fields: [{ name: 'x', type: 'long' as const, nullable: true, metadata: {} }],
  };
  await createTable(path, { schema, configuration: { 'delta.appendOnly': 'true' } });
  await appendRows(conn, path, 'SELECT 1::BIGINT AS x');
  await assert.rejects(overwriteRows(conn, path, 'SELECT 2::BIGINT AS x'), {
    code: 'DELTA_TABLE_APPEND_ONLY',
  });
  assert.equal((await loadSnapshot(path)).version, 1);
});

test('in-commit timestamps: every commit carries one, strictly after the previous', async () => {
  const dir = tmpDir('ict');
  const path = join(dir, 't');
  const schema = {
    type: 'struct' as const,
    fields: [{ name: 'x', type: 'long' as const, nullable: true, metadata: {} }],
  };
  await createTable(path, { schema });
  const meta = (await loadSnapshot(path)).metadata;
  // Enabled at version 1, with a timestamp from the future: the next ones must still increase.
  const future = Date.now() + 3_600_000;
  writeFileSync(
    join(path, '_delta_log', '00000000000000000001.json'),
    `${[
      { commitInfo: { timestamp: Date.now(), inCommitTimestamp: future, operation: 'SET TBLPROPERTIES' } },
      {
        protocol: {
          minReaderVersion: 1,
          minWriterVersion: 7,
          writerFeatures: ['inCommitTimestamp', 'appendOnly', 'invariants'],
        },
      },
      {
        metaData: {
          ...meta,
          configuration: {
            'delta.enableInCommitTimestamps': 'true',
            'delta.inCommitTimestampEnablementVersion': '1',
            'delta.inCommitTimestampEnablementTimestamp': String(future),
          },
        },
      },
    ]
      .map((a) => JSON.stringify(a))
      .join('\n')}\n`,
  );
  await appendRows(conn, path, 'SELECT 1::BIGINT AS x');
  await appendRows(conn, path, 'SELECT 2::BIGINT AS x');
  const stamps: number[] = [];
  for (const v of [2, 3]) {
    const first = (await readCommit(path, v))[0];
    assert.ok(first && 'commitInfo' in first, 'commitInfo is the first action');
    stamps.push(Number(first.commitInfo.inCommitTimestamp));
  }
  assert.deepEqual(stamps, [future + 1, future + 2]);
  assert.equal((await loadSnapshot(path)).timestamp, future + 2);
  assert.equal((await sameAsChdb(path)).length, 2);
});
