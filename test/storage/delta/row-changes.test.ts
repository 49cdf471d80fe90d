import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { query } from 'chdb';
import { changesSql } from '../../../src/storage/delta/cdf-read.ts';
import { commit } from '../../../src/storage/delta/commit.ts';
import { planRowChanges } from '../../../src/storage/delta/row-changes.ts';
import { loadSnapshot } from '../../../src/storage/delta/snapshot.ts';
import { appendRows, createTable } from '../../../src/storage/delta/table.ts';
import { queryRows } from '../../../src/util/duckdb.ts';
import { connect } from '../../helpers/session.ts';
import { tmpDir } from '../../helpers/tmp.ts';

const conn = await connect();
after(() => conn.closeSync());

function chdbRows(sql: string): Record<string, unknown>[] {
  return query(sql, 'JSONEachRow')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function keyedTable(cdf: boolean): Promise<string> {
  const table = join(tmpDir('delta-rowchange'), 't');
  await createTable(table, {
    schema: {
      type: 'struct',
      fields: [
        { name: 'id', type: 'long', nullable: true, metadata: {} },
        { name: 'v', type: 'string', nullable: true, metadata: {} },
      ],
    },
    configuration: cdf ? { 'delta.enableChangeDataFeed': 'true' } : {},
  });
  // Three files with disjoint key ranges: 1–3, 10–12, 20–22.
  for (const base of [1, 10, 20])
    await appendRows(
      conn,
      table,
      `SELECT base + i AS id, 'v' || (base + i) AS v FROM range(3) r(i), (SELECT ${base} AS base)`,
    );
  return table;
}

test('row-level changes rewrite only the files holding changed keys (statistics prune), one commit of remove + add', async () => {
  const table = await keyedTable(true);
  const before = await loadSnapshot(table);
  assert.equal(before.files.length, 3);
  const changes = `(SELECT * FROM (VALUES (11, 'eleven', 'upsert'), (12, NULL, 'delete'), (30, 'thirty', 'upsert')) c(id, v, __sluice_change))`;
  const plan = await planRowChanges(conn, table, { snapshot: before, identity: ['id'], changes });
  assert.deepEqual(plan.metrics, {
    numTargetRowsInserted: 1,
    numTargetRowsUpdated: 1,
    numTargetRowsDeleted: 1,
    numTargetFilesAdded: 1,
    numTargetFilesRemoved: 1,
    numTargetRowsCopied: 1,
  });
  const removed = plan.actions.flatMap((a) => ('remove' in a ? [a.remove] : []));
  assert.equal(removed.length, 1);
  assert.ok(removed.every((r) => r.dataChange));
  // The removed file is the one with keys 10–12.
  const middle = before.files.find((f) => JSON.parse(f.stats!).minValues.id === 10)!;
  assert.equal(removed[0]!.path, middle.path);
  const r = await commit(table, plan.actions, {
    readVersion: before.version,
    operation: 'MERGE',
    isBlindAppend: false,
  });
  const expected = [
    [1, 'v1'],
    [2, 'v2'],
    [3, 'v3'],
    [10, 'v10'],
    [11, 'eleven'],
    [20, 'v20'],
    [21, 'v21'],
    [22, 'v22'],
    [30, 'thirty'],
  ];
  const viaChdb = chdbRows(`SELECT id, v FROM deltaLakeLocal('${table}') ORDER BY id`).map((x) => [
    Number(x.id),
    x.v,
  ]);
  assert.deepEqual(viaChdb, expected);
  // The change feed says exactly what changed, to sluice's reader and to chdb's.
  const want = [
    [11, 'v11', 'update_preimage'],
    [11, 'eleven', 'update_postimage'],
    [12, 'v12', 'delete'],
    [30, 'thirty', 'insert'],
  ].sort();
  const sluiceCdf = await queryRows(
    conn,
    `SELECT id, v, _change_type FROM (${await changesSql(table, r.version, r.version)})`,
  );
  assert.deepEqual(sluiceCdf.map((x) => [Number(x.id), x.v, x._change_type]).sort(), want);
  const chdbCdf = chdbRows(
    `SELECT id, v, _change_type FROM deltaLakeLocal('${table}') SETTINGS delta_lake_snapshot_start_version = ${r.version}, delta_lake_snapshot_end_version = ${r.version}`,
  );
  assert.deepEqual(chdbCdf.map((x) => [Number(x.id), x.v, x._change_type]).sort(), want);
});

test('row-level changes conflict with a concurrent data change: DELTA_CONCURRENT_MODIFICATION, nothing committed', async () => {
  const table = await keyedTable(false);
  const before = await loadSnapshot(table);
  const plan = await planRowChanges(conn, table, {
    snapshot: before,
    identity: ['id'],
    changes: `(SELECT 2 AS id, 'two' AS v, 'upsert' AS __sluice_change)`,
  });
  await appendRows(conn, table, `SELECT 99 AS id, 'late' AS v`); // a concurrent writer wins the next version
  await assert.rejects(
    commit(table, plan.actions, { readVersion: before.version, operation: 'MERGE', isBlindAppend: false }),
    (e: { code?: string; params?: Record<string, unknown> }) =>
      e.code === 'DELTA_CONCURRENT_MODIFICATION' && e.params?.conflict === 'data',
  );
  const ids = chdbRows(`SELECT id, v FROM deltaLakeLocal('${table}') WHERE id IN (2, 99) ORDER BY id`);
  assert.deepEqual(
    ids.map((x) => [Number(x.id), x.v]),
    [
      [2, 'v2'],
      [99, 'late'],
    ],
  );
});

test('row-level changes with nothing to change plan no actions', async () => {
  const table = await keyedTable(false);
  const before = await loadSnapshot(table);
  const plan = await planRowChanges(conn, table, {
    snapshot: before,
    identity: ['id'],
    changes: `(SELECT 50 AS id, NULL::VARCHAR AS v, 'delete' AS __sluice_change)`,
  });
  assert.deepEqual(plan.actions, []);
});
