import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SluiceError } from '../../../src/errors/index.ts';
import { commit } from '../../../src/storage/delta/commit.ts';
import { writeDataFiles } from '../../../src/storage/delta/data-files.ts';
import type { StructType } from '../../../src/storage/delta/schema.ts';
import { loadSnapshot } from '../../../src/storage/delta/snapshot.ts';
import {
  appendRows,
  createTable,
  evolveSchema,
  overwriteRows,
  removeAll,
  txnVersion,
} from '../../../src/storage/delta/table.ts';
import { vacuum } from '../../../src/storage/delta/vacuum.ts';
import { putIfAbsent } from '../../../src/storage/object-store.ts';
import { connect } from '../../helpers/session.ts';
import { tmpDir } from '../../helpers/tmp.ts';

const conn = await connect();
after(() => conn.closeSync());
const dir = tmpDir('delta-write');
let n = 0;
const fresh = () => join(dir, `t${n++}`);

const SCHEMA: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: false, metadata: {} },
    { name: 'v', type: 'string', nullable: true, metadata: {} },
  ],
};

async function rejectsWith(
  p: Promise<unknown>,
  code: string,
  params?: Record<string, unknown>,
): Promise<SluiceError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof SluiceError, `expected SluiceError, got ${e}`);
    assert.equal(e.code, code, e.message);
    for (const [k, v] of Object.entries(params ?? {})) assert.deepEqual(e.params[k], v, `param ${k}`);
    return e;
  }
  assert.fail(`expected ${code}`);
}

test('putIfAbsent: exactly one of many racing writers wins, content complete', async () => {
  const target = join(fresh(), 'x.json');
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => putIfAbsent(target, `writer ${i}\n`)),
  );
  assert.equal(results.filter(Boolean).length, 1);
  assert.equal(readFileSync(target, 'utf8'), `writer ${results.indexOf(true)}\n`);
  assert.deepEqual(readdirSync(join(target, '..')), ['x.json'], 'no temp files left');
});

test('createTable writes protocol 1/2, metaData, commitInfo; twice is DELTA_TABLE_EXISTS', async () => {
  const t = fresh();
  const res = await createTable(t, {
    schema: SCHEMA,
    name: 'demo',
    description: 'd',
    configuration: { a: 'b' },
  });
  assert.equal(res.version, 0);
  const lines = readFileSync(join(t, '_delta_log', '00000000000000000000.json'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines[0].commitInfo.operation, 'CREATE TABLE');
  assert.equal(lines[0].commitInfo.engineInfo, 'sluice/0.1.0');
  assert.deepEqual(lines[1], { protocol: { minReaderVersion: 1, minWriterVersion: 2 } });
  assert.equal(lines[2].metaData.name, 'demo');
  assert.deepEqual(lines[2].metaData.format, { provider: 'parquet', options: {} });
  assert.deepEqual(JSON.parse(lines[2].metaData.schemaString).fields[0], SCHEMA.fields[0]);
  await rejectsWith(createTable(t, { schema: SCHEMA }), 'DELTA_TABLE_EXISTS');
});

test('append records stats, metrics and txn; txnVersion answers; zero rows with txn still commit', async () => {
  const t = fresh();
  await createTable(t, { schema: SCHEMA });
  const r1 = await appendRows(conn, t, `SELECT i AS id, 'v' || i AS v FROM range(5) t(i)`, {
    txn: { appId: 'flow', version: 0 },
  });
  assert.equal(r1.version, 1);
  const lines = readFileSync(join(t, '_delta_log', '00000000000000000001.json'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const info = lines.find((l) => l.commitInfo).commitInfo;
  assert.equal(info.operationMetrics.numOutputRows, 5);
  assert.equal(info.operationMetrics.numFiles, 1);
  assert.equal(info.readVersion, 0);
  assert.equal(info.isBlindAppend, true);
  const txn = lines.find((l) => l.txn).txn;
  assert.equal(txn.appId, 'flow');
  assert.equal(txn.version, 0);
  assert.equal(typeof txn.lastUpdated, 'number');
  const add = lines.find((l) => l.add).add;
  assert.match(add.path, /^part-00000-[0-9a-f-]{36}\.c000\.zstd\.parquet$/);
  assert.deepEqual(JSON.parse(add.stats), {
    numRecords: 5,
    minValues: { id: 0, v: 'v0' },
    maxValues: { id: 4, v: 'v4' },
    nullCount: { id: 0, v: 0 },
  });
  assert.equal(await txnVersion(t, 'flow'), 0);
  assert.equal(await txnVersion(t, 'other'), undefined);
  const r2 = await appendRows(conn, t, `SELECT 1 AS id WHERE false`, { txn: { appId: 'flow', version: 1 } });
  assert.equal(r2.version, 2);
  assert.equal(await txnVersion(t, 'flow'), 1);
  assert.equal((await loadSnapshot(t)).files.length, 1);
});

test('committing the same txn {appId, version} twice is a coded conflict naming the batch', async () => {
  const t = fresh();
  await createTable(t, { schema: SCHEMA });
  const snap = await loadSnapshot(t);
  await appendRows(conn, t, `SELECT 1 AS id`, { txn: { appId: 'f', version: 7 }, snapshot: snap });
  // A second writer that planned against the same (stale) snapshot replays batch 7.
  await rejectsWith(
    appendRows(conn, t, `SELECT 1 AS id`, { txn: { appId: 'f', version: 7 }, snapshot: snap }),
    'DELTA_CONCURRENT_MODIFICATION',
    {
      conflict: 'txn',
      appId: 'f',
      txnVersion: 7,
    },
  );
  assert.equal(await txnVersion(t, 'f'), 7);
  assert.equal((await loadSnapshot(t)).version, 1, 'nothing more was committed');
});

test('conflicts: blind appends rebase; overwrite vs concurrent append and metadata changes are refused', async () => {
  const t = fresh();
  await createTable(t, { schema: SCHEMA });
  const stale = await loadSnapshot(t);
  await appendRows(conn, t, `SELECT 1 AS id`);
  const rebased = await appendRows(conn, t, `SELECT 2 AS id`, { snapshot: stale });
  assert.equal(rebased.version, 2);
  assert.equal(rebased.attempts, 2);
  const s2 = await loadSnapshot(t);
  await appendRows(conn, t, `SELECT 3 AS id`);
  await rejectsWith(
    overwriteRows(conn, t, `SELECT 9 AS id`, { snapshot: s2 }),
    'DELTA_CONCURRENT_MODIFICATION',
    { conflict: 'data' },
  );
  const s3 = await loadSnapshot(t);
  await evolveSchema(t, [{ name: 'extra', type: 'integer' }]);
  await rejectsWith(
    appendRows(conn, t, `SELECT 4 AS id`, { snapshot: s3 }),
    'DELTA_CONCURRENT_MODIFICATION',
    { conflict: 'metadata' },
  );
  // Bounded retries.
  const s4 = await loadSnapshot(t);
  await appendRows(conn, t, `SELECT 5 AS id`);
  await appendRows(conn, t, `SELECT 6 AS id`);
  await rejectsWith(
    appendRows(conn, t, `SELECT 7 AS id`, { snapshot: s4, maxRetries: 2 }),
    'DELTA_COMMIT_RETRIES_EXHAUSTED',
  );
  const ids = (await loadSnapshot(t)).files.length;
  assert.equal(ids, 5, 'files of 1, 2, 3, 5, 6');
});

test('schema: unknown columns, NOT NULL violations, incompatible evolution are DELTA_SCHEMA_MISMATCH', async () => {
  const t = fresh();
  await createTable(t, { schema: SCHEMA, configuration: { 'delta.appendOnly': 'true' } });
  await rejectsWith(appendRows(conn, t, `SELECT 1 AS id, 2 AS nope`), 'DELTA_SCHEMA_MISMATCH', {
    column: 'nope',
  });
  await rejectsWith(appendRows(conn, t, `SELECT 'x' AS v`), 'DELTA_SCHEMA_MISMATCH', { column: 'id' });
  await rejectsWith(appendRows(conn, t, `SELECT NULL::BIGINT AS id`), 'DELTA_SCHEMA_MISMATCH', {
    column: 'id',
  });
  await rejectsWith(appendRows(conn, t, `SELECT 'abc' AS id`), 'DELTA_SCHEMA_MISMATCH');
  await rejectsWith(evolveSchema(t, [{ name: 'v', type: 'long' }]), 'DELTA_SCHEMA_MISMATCH', { column: 'v' });
  await rejectsWith(evolveSchema(t, [{ name: 'w', type: 'long', nullable: false }]), 'DELTA_SCHEMA_MISMATCH');
  assert.deepEqual(await evolveSchema(t, [{ name: 'v', type: 'string' }]), { version: 0, changed: false });
  // Column names match case-insensitively and are stored with the schema's spelling.
  await appendRows(conn, t, `SELECT 1 AS ID, 'a' AS V`);
  await rejectsWith(overwriteRows(conn, t, `SELECT 2 AS id`), 'DELTA_TABLE_APPEND_ONLY');
  assert.equal((await loadSnapshot(t)).version, 1, 'failed writes commit nothing');
});

test('direct commit: remove + add with explicit readVersion; vacuum keeps live files and honours retention', async () => {
  const t = fresh();
  await createTable(t, { schema: SCHEMA });
  await appendRows(conn, t, `SELECT 1 AS id`);
  const snap = await loadSnapshot(t);
  const adds = await writeDataFiles(conn, t, `SELECT 2 AS id`, { schema: snap.schema, partitionColumns: [] });
  const res = await commit(
    t,
    [...removeAll(snap).map((remove) => ({ remove })), ...adds.map((add) => ({ add }))],
    {
      readVersion: snap.version,
      operation: 'WRITE',
      operationParameters: { mode: 'Overwrite' },
    },
  );
  assert.equal(res.version, 2);
  // An orphan (data file of a crashed write) and a stray temp file.
  writeFileSync(join(t, 'part-00000-orphan.c000.zstd.parquet'), 'x');
  writeFileSync(join(t, '_delta_log', '.sluice-tmp-00000000000000000003.json.dead'), 'x');
  const dry = await vacuum(t, { retentionMs: 60_000 });
  assert.deepEqual(dry.files, [], 'nothing older than the retention');
  const plan = await vacuum(t, { retentionMs: 0, dryRun: true });
  assert.equal(plan.files.length, 3, 'removed file, orphan, temp file');
  assert.ok(existsSync(join(t, 'part-00000-orphan.c000.zstd.parquet')), 'dry run deletes nothing');
  await vacuum(t, { retentionMs: 0 });
  const after2 = await loadSnapshot(t);
  assert.equal(after2.files.length, 1);
  const left = readdirSync(t).filter((x) => x.endsWith('.parquet'));
  assert.deepEqual(left, [after2.files[0].path]);
});
