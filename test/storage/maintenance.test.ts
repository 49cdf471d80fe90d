// Delta table maintenance at the storage level: compaction (OPTIMIZE with dataChange = false),
// expired-log clean-up, tombstone-aware vacuum, stale temp files, table properties — each checked
// with sluice's reader and an independent one (chdb).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { query } from 'chdb';
import { SluiceError } from '../../src/errors/index.ts';
import { changesSql } from '../../src/storage/delta/cdf-read.ts';
import { checkpointFilePath } from '../../src/storage/delta/checkpoint-write.ts';
import { commit } from '../../src/storage/delta/commit.ts';
import { cleanupExpiredLogs } from '../../src/storage/delta/log-cleanup.ts';
import { compactTable } from '../../src/storage/delta/optimize.ts';
import { snapshotScanSql } from '../../src/storage/delta/scan.ts';
import { loadSnapshot, readCommit } from '../../src/storage/delta/snapshot.ts';
import { appendRows, createTable, overwriteRows, writeDataFiles } from '../../src/storage/delta/table.ts';
import { parseIntervalMs } from '../../src/storage/delta/table-properties.ts';
import { vacuum } from '../../src/storage/delta/vacuum.ts';
import { storedTables } from '../../src/storage/pipeline-layout.ts';
import { removeStaleTemps } from '../../src/storage/temp-files.ts';
import { queryRows } from '../../src/util/duckdb.ts';
import { connect, session } from '../helpers/session.ts';
import { tmpDir } from '../helpers/tmp.ts';

const conn = await connect();
after(() => conn.closeSync());
const DAY = 24 * 3600 * 1000;

const SCHEMA = {
  type: 'struct' as const,
  fields: [
    { name: 'id', type: 'long' as const, nullable: false, metadata: {} },
    { name: 'p', type: 'string' as const, nullable: true, metadata: {} },
  ],
};

async function rejectsWith(p: Promise<unknown>, code: string): Promise<SluiceError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof SluiceError, `expected SluiceError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

/** Rows as sorted "id/p" strings, read by sluice (at `version`) and — for the latest — by chdb. */
async function rows(table: string, version?: number): Promise<string[]> {
  const snap = await loadSnapshot(table, version === undefined ? {} : { version });
  const got = await queryRows<{ id: number; p: string | null }>(
    conn,
    `SELECT id, p FROM (${snapshotScanSql(snap)}) ORDER BY id`,
  );
  const mine = got.map((r) => `${r.id}/${r.p}`);
  if (version === undefined) {
    const theirs = query(`SELECT id, p FROM deltaLakeLocal('${table}') ORDER BY id`, 'JSONEachRow')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { id: number; p: string | null })
      .map((r) => `${r.id}/${r.p}`);
    assert.deepEqual(theirs, mine, 'chdb reads the same rows');
  }
  return mine;
}

/** A table with `n` appends of two rows each (one file per partition each). */
async function smallFiles(n: number, opts: { partitioned?: boolean; config?: Record<string, string> } = {}) {
  const table = join(tmpDir('maint'), 't');
  await createTable(table, {
    schema: SCHEMA,
    partitionColumns: opts.partitioned ? ['p'] : [],
    configuration: opts.config ?? {},
  });
  for (let i = 0; i < n; i++) {
    await appendRows(
      conn,
      table,
      `SELECT * FROM (VALUES (${2 * i}::BIGINT, 'a'), (${2 * i + 1}::BIGINT, ${opts.partitioned ? `'b'` : `'a'`})) t(id, p)`,
    );
  }
  return table;
}

const parquetOnDisk = (table: string, dir = ''): string[] =>
  readdirSync(join(table, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() && e.name !== '_delta_log'
      ? parquetOnDisk(table, dir === '' ? e.name : `${dir}/${e.name}`)
      : e.name.endsWith('.parquet') && !e.name.startsWith('.')
        ? [dir === '' ? e.name : `${dir}/${e.name}`]
        : [],
  );

test('delta.checkpointInterval of the table is honoured by commits that pass the snapshot they read', async () => {
  const table = join(tmpDir('maint'), 'cp');
  await createTable(table, { schema: SCHEMA, configuration: { 'delta.checkpointInterval': '3' } });
  for (let v = 1; v <= 6; v++) {
    const snap = await loadSnapshot(table);
    const adds = await writeDataFiles(conn, table, `SELECT ${v}::BIGINT AS id, 'x' AS p`, {
      schema: snap.schema,
      partitionColumns: [],
    });
    // As the engine's table cache and the event log writer commit: with the snapshot, no metaData.
    await commit(
      table,
      adds.map((add) => ({ add })),
      { readVersion: snap.version, snapshot: snap, operation: 'WRITE', db: session.db },
    );
  }
  assert.ok(existsSync(checkpointFilePath(table, 3)), 'checkpoint at version 3');
  assert.ok(existsSync(checkpointFilePath(table, 6)), 'checkpoint at version 6');
});

for (const partitioned of [false, true]) {
  test(`compaction (${partitioned ? 'partitioned' : 'unpartitioned'}): fewer files, same rows, dataChange = false so change readers skip it`, async () => {
    const table = await smallFiles(12, {
      partitioned,
      config: { 'delta.enableChangeDataFeed': 'true' },
    });
    const before = await rows(table);
    const snap = await loadSnapshot(table);
    assert.equal(snap.files.length, partitioned ? 24 : 12);
    const dry = await compactTable(table, { dryRun: true, db: session.db });
    assert.equal(dry.version, undefined);
    assert.equal((await loadSnapshot(table)).version, snap.version, 'a dry run commits nothing');
    const res = await compactTable(table, { db: session.db });
    assert.equal(res.version, snap.version + 1);
    assert.equal(res.filesRemoved, snap.files.length);
    assert.equal(res.filesAdded, partitioned ? 2 : 1);
    const after = await loadSnapshot(table);
    assert.equal(after.files.length, partitioned ? 2 : 1);
    assert.deepEqual(await rows(table), before);
    // Statistics of the new files are exact (the event log reads its next sequence from them).
    assert.equal(
      after.files.reduce((n, f) => n + JSON.parse(f.stats as string).numRecords, 0),
      before.length,
    );
    const actions = await readCommit(table, res.version!);
    const ci = actions.find((a) => 'commitInfo' in a) as { commitInfo: Record<string, unknown> };
    assert.equal(ci.commitInfo.operation, 'OPTIMIZE');
    assert.equal(ci.commitInfo.isBlindAppend, false);
    for (const a of actions) {
      if ('add' in a) assert.equal(a.add.dataChange, false);
      if ('remove' in a) assert.equal(a.remove.dataChange, false);
    }
    // The change feed over the compaction is empty; over everything it still lists each row once.
    const changes = await queryRows(conn, await changesSql(table, res.version!, res.version!));
    assert.deepEqual(changes, []);
    const all = await queryRows(conn, `SELECT count(*)::INTEGER AS n FROM (${await changesSql(table, 1)})`);
    assert.equal(all[0]?.n, before.length);
    // Nothing left to compact.
    assert.equal((await compactTable(table, { db: session.db })).filesRemoved, 0);
  });
}

test('compaction rebases over a concurrent append; loses (and cleans up) against a concurrent removal of its files', async () => {
  const table = await smallFiles(5);
  const snap = await loadSnapshot(table);
  // An append lands after the compaction read the table: the compaction commits after it.
  await appendRows(conn, table, `SELECT 100::BIGINT AS id, 'z' AS p`);
  const res = await compactTable(table, { snapshot: snap, db: session.db });
  assert.equal(res.version, snap.version + 2);
  assert.deepEqual(await rows(table), [...[...Array(10).keys()].map((i) => `${i}/a`), '100/z']);

  // An overwrite removes the files a compaction is about to replace: the compaction fails, and
  // the files it wrote are gone again.
  const t2 = await smallFiles(4);
  const s2 = await loadSnapshot(t2);
  await overwriteRows(conn, t2, `SELECT 7::BIGINT AS id, 'o' AS p`);
  const files = parquetOnDisk(t2).sort();
  const err = await rejectsWith(
    compactTable(t2, { snapshot: s2, db: session.db }),
    'DELTA_CONCURRENT_MODIFICATION',
  );
  assert.equal(err.params.conflict, 'delete');
  assert.deepEqual(parquetOnDisk(t2).sort(), files, 'no orphan of the failed compaction');
  assert.deepEqual(await rows(t2), ['7/o']);
});

test('expired-log clean-up: deletes versions before the newest old-enough checkpoint; the table reads the same', async () => {
  const table = await smallFiles(9, { config: { 'delta.checkpointInterval': '3' } });
  const before = await rows(table);
  const log = join(table, '_delta_log');
  const old = (Date.now() - 40 * DAY) / 1000;
  // Versions 0..6 are 40 days old; 7..9 are new.
  for (const name of readdirSync(log)) {
    const v = Number(name.slice(0, 20));
    if (/^\d{20}\./.test(name) && v <= 6) utimesSync(join(log, name), old, old);
  }
  const dry = await cleanupExpiredLogs(table, { dryRun: true });
  assert.equal(dry.oldestVersion, 6);
  assert.equal(readdirSync(log).filter((n) => n.endsWith('.json')).length, 10, 'a dry run deletes nothing');
  const res = await cleanupExpiredLogs(table);
  assert.equal(res.oldestVersion, 6);
  assert.deepEqual(
    res.files,
    [
      ...[0, 1, 2, 3, 4, 5].map((v) => `${String(v).padStart(20, '0')}.json`),
      `${String(3).padStart(20, '0')}.checkpoint.parquet`,
    ].sort((a, b) => a.localeCompare(b)),
  );
  assert.deepEqual(await rows(table), before);
  assert.deepEqual(await rows(table, 6), before.slice(0, 12));
  await rejectsWith(loadSnapshot(table, { version: 5 }), 'DELTA_VERSION_NOT_FOUND');
  // Nothing more is old enough.
  assert.deepEqual((await cleanupExpiredLogs(table)).files, []);
});

test('expired-log clean-up keeps the log when the checkpoint to start from is damaged, honours the properties and their floor', async () => {
  const table = await smallFiles(6, { config: { 'delta.checkpointInterval': '3' } });
  const log = join(table, '_delta_log');
  const old = (Date.now() - 40 * DAY) / 1000;
  for (const name of readdirSync(log)) if (/^\d{20}\./.test(name)) utimesSync(join(log, name), old, old);
  // Checkpoint 6 is damaged: the clean-up starts the log at checkpoint 3 instead.
  writeFileSync(checkpointFilePath(table, 6), 'not parquet');
  utimesSync(checkpointFilePath(table, 6), old, old);
  assert.equal((await cleanupExpiredLogs(table, { dryRun: true })).oldestVersion, 3);

  // delta.enableExpiredLogCleanup = false: nothing.
  const off = await smallFiles(4, {
    config: { 'delta.checkpointInterval': '2', 'delta.enableExpiredLogCleanup': 'false' },
  });
  for (const name of readdirSync(join(off, '_delta_log')))
    if (/^\d{20}\./.test(name)) utimesSync(join(off, '_delta_log', name), old, old);
  assert.deepEqual((await cleanupExpiredLogs(off)).files, []);

  // A short log retention is floored at the deleted-file retention (7 days by default): versions
  // 3 days old stay; with the deleted-file retention shortened too, they go.
  const short = await smallFiles(4, {
    config: { 'delta.checkpointInterval': '2', 'delta.logRetentionDuration': 'interval 1 day' },
  });
  const threeDays = (Date.now() - 3 * DAY) / 1000;
  for (const name of readdirSync(join(short, '_delta_log')))
    if (/^\d{20}\./.test(name)) utimesSync(join(short, '_delta_log', name), threeDays, threeDays);
  assert.deepEqual((await cleanupExpiredLogs(short)).files, []);
  const shortSnap = await loadSnapshot(short);
  const res = await cleanupExpiredLogs(short, {
    snapshot: {
      ...shortSnap,
      metadata: {
        ...shortSnap.metadata,
        configuration: {
          ...shortSnap.metadata.configuration,
          'delta.deletedFileRetentionDuration': '2 days',
        },
      },
    },
  });
  assert.equal(res.oldestVersion, 4);

  // A retention that is not an interval is refused, never guessed.
  const bad = await smallFiles(1, { config: { 'delta.logRetentionDuration': 'a month or so' } });
  const err = await rejectsWith(cleanupExpiredLogs(bad), 'DELTA_INVALID_TABLE_PROPERTY');
  assert.equal(err.params.property, 'delta.logRetentionDuration');
});

test('vacuum keeps a file removed recently even when the file itself is old (tombstone age, not file age)', async () => {
  const table = await smallFiles(2);
  const snap = await loadSnapshot(table);
  // The live files were written 10 days ago …
  const tenDays = (Date.now() - 10 * DAY) / 1000;
  for (const f of snap.files) utimesSync(join(table, f.path), tenDays, tenDays);
  for (const name of readdirSync(join(table, '_delta_log')))
    utimesSync(join(table, '_delta_log', name), tenDays, tenDays);
  // … and are removed now by an overwrite: a reader of the previous version still needs them.
  await overwriteRows(conn, table, `SELECT 9::BIGINT AS id, 'n' AS p`);
  const res = await vacuum(table);
  assert.deepEqual(res.files, []);
  assert.equal(res.oldestKeptVersion, snap.version);
  assert.deepEqual(
    await rows(table, snap.version),
    ['0/a', '1/a', '2/a', '3/a'],
    'time travel within the retention',
  );
  // Eight days later the removal has expired: the old files go, the live one stays.
  const later = await vacuum(table, { now: Date.now() + 8 * DAY });
  assert.deepEqual(later.files, snap.files.map((f) => f.path).sort());
  assert.deepEqual(await rows(table), ['9/n']);
});

test('vacuum honours delta.deletedFileRetentionDuration and removes stale temp files anywhere in the table', async () => {
  const table = await smallFiles(2, {
    partitioned: true,
    config: { 'delta.deletedFileRetentionDuration': 'interval 1 hours' },
  });
  await overwriteRows(conn, table, `SELECT 5::BIGINT AS id, 'a' AS p`);
  const stale = join(table, 'p=a', '.sluice-tmp-part-00000-x.c000.zstd.parquet.dead');
  const fresh = join(table, 'p=a', '.sluice-tmp-part-00000-y.c000.zstd.parquet.live');
  const staleRoot = join(table, '.sluice-tmp-part-00000-z.c000.zstd.parquet.dead');
  for (const f of [stale, fresh, staleRoot]) writeFileSync(f, 'partial');
  const twoHours = (Date.now() - 2 * 3600 * 1000) / 1000;
  utimesSync(stale, twoHours, twoHours);
  utimesSync(staleRoot, twoHours, twoHours);
  const now = await vacuum(table);
  assert.deepEqual(now.files, [
    '.sluice-tmp-part-00000-z.c000.zstd.parquet.dead',
    'p=a/.sluice-tmp-part-00000-x.c000.zstd.parquet.dead',
  ]);
  assert.ok(existsSync(fresh), 'a temp file still being written stays');
  // Three hours on: the removed files (1 hour retention + 1 hour slack) and the fresh temp go.
  const later = await vacuum(table, { now: Date.now() + 3 * 3600 * 1000 });
  assert.equal(later.files.length, 5, later.files.join(', '));
  assert.ok(!existsSync(join(table, 'p=b')), 'an emptied partition folder is removed');
  assert.deepEqual(await rows(table), ['5/a']);

  const bad = await smallFiles(1, { config: { 'delta.deletedFileRetentionDuration': 'soon' } });
  const err = await rejectsWith(vacuum(bad), 'DELTA_INVALID_TABLE_PROPERTY');
  assert.equal(err.params.property, 'delta.deletedFileRetentionDuration');
});

test('intervals: Spark syntax and short units; months and nonsense are refused', () => {
  assert.equal(parseIntervalMs('interval 30 days'), 30 * DAY);
  assert.equal(parseIntervalMs('INTERVAL 1 WEEK'), 7 * DAY);
  assert.equal(parseIntervalMs('interval 2 hours 30 minutes'), 2.5 * 3600 * 1000);
  assert.equal(parseIntervalMs('7 days'), 7 * DAY);
  assert.equal(parseIntervalMs('30s'), 30_000);
  assert.equal(parseIntervalMs('500 ms'), 500);
  assert.equal(parseIntervalMs('10 min'), 600_000);
  assert.equal(parseIntervalMs('interval 1 month'), undefined);
  assert.equal(parseIntervalMs('soon'), undefined);
  assert.equal(parseIntervalMs('interval -1 days'), undefined);
});

test('stale temp files outside tables are swept; tables are left to vacuum', async () => {
  const storage = tmpDir('maint-storage');
  const offsets = join(storage, 'checkpoints', 'f', '0', 'offsets');
  mkdirSync(offsets, { recursive: true });
  const staleOffset = join(offsets, '.sluice-tmp-0000000003.json.abc');
  const freshOffset = join(offsets, '.sluice-tmp-0000000004.json.def');
  writeFileSync(staleOffset, '{');
  writeFileSync(freshOffset, '{');
  writeFileSync(join(offsets, '0000000001.json'), '{}');
  const table = join(storage, 'tables', 'default', 't');
  await createTable(table, { schema: SCHEMA });
  const inTable = join(table, '_delta_log', '.sluice-tmp-00000000000000000001.json.x');
  writeFileSync(inTable, '{');
  const old = (Date.now() - 2 * 3600 * 1000) / 1000;
  for (const f of [staleOffset, inTable]) utimesSync(f, old, old);
  const dry = await removeStaleTemps(storage, { dryRun: true });
  assert.deepEqual(dry.files, ['checkpoints/f/0/offsets/.sluice-tmp-0000000003.json.abc']);
  assert.ok(existsSync(staleOffset));
  await removeStaleTemps(storage);
  assert.ok(!existsSync(staleOffset));
  assert.ok(existsSync(freshOffset) && existsSync(inTable));
  assert.deepEqual(JSON.parse(readFileSync(join(offsets, '0000000001.json'), 'utf8')), {});
  assert.deepEqual(await storedTables(storage), [{ name: 't', path: table }]);
});

test('a reader that loaded the table before maintenance still reads it after compaction, log clean-up and vacuum', async () => {
  const table = await smallFiles(8, { config: { 'delta.checkpointInterval': '4' } });
  // Everything is old: the files (10 days) and the log (40 days), so each step has work to do.
  const old = (Date.now() - 40 * DAY) / 1000;
  const tenDays = (Date.now() - 10 * DAY) / 1000;
  for (const name of readdirSync(join(table, '_delta_log')))
    if (/^\d{20}\./.test(name)) utimesSync(join(table, '_delta_log', name), old, old);
  for (const name of parquetOnDisk(table)) utimesSync(join(table, name), tenDays, tenDays);
  const reader = await loadSnapshot(table);
  const sql = snapshotScanSql(reader);
  const expected = await queryRows(conn, `SELECT * FROM (${sql}) ORDER BY id`);

  const compacted = await compactTable(table, { db: session.db });
  assert.equal(compacted.filesRemoved, 8);
  const cleaned = await cleanupExpiredLogs(table);
  assert.equal(cleaned.oldestVersion, 8);
  const vacuumed = await vacuum(table);
  assert.deepEqual(vacuumed.files, [], 'the replaced files were removed just now: kept for the retention');
  assert.deepEqual(await queryRows(conn, `SELECT * FROM (${sql}) ORDER BY id`), expected);
  assert.deepEqual(await rows(table, reader.version), await rows(table));
});
