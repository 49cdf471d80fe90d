import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { query as chdbQuery } from 'chdb';
import { runCli } from '../helpers/cli.ts';
import { ndjson, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { ROOT, tmpDir } from '../helpers/tmp.ts';

function chdb(sql: string): Record<string, unknown>[] {
  return chdbQuery(sql, 'JSONEachRow')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('examples/cdc from the command line: validate, run, query the SCD 1 and 2 tables and the MV; a late event is discarded', async () => {
  const dir = join(tmpDir('cdc-example'), 'cdc');
  cpSync(join(ROOT, 'examples', 'cdc'), dir, { recursive: true, filter: (src) => !src.includes('.sluice') });

  const v = await runCli(['validate', dir]);
  assert.equal(v.code, 0, v.stderr);
  assert.match(
    v.stdout,
    /flow customers_cdc \(AUTO CDC, SCD type 1, keys customer_id\) ← STREAM customer_changes/,
  );
  assert.match(v.stdout, /flow customers_history \(AUTO CDC, SCD type 2, keys customer_id\)/);
  assert.match(v.stdout, /flow customer_feed ← STREAM customers \(change data feed\)/);
  assert.match(v.stdout, /flow deleted_customers ← customers \(change data feed\)/);

  const r = await runCli(['run', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /customers +customers_cdc +COMPLETED .*4 rows upserted, 0 rows deleted/);
  // SCD 2: ten versions written, two closed by deletes (customers 2 and 3).
  assert.match(r.stdout, /customers_history +COMPLETED .*10 rows upserted, 2 rows deleted/);

  const q = async (sql: string) => {
    const out = await runCli(['query', '--pipeline', dir, '--format', 'json', sql]);
    assert.equal(out.code, 0, out.stderr);
    return JSON.parse(out.stdout) as Record<string, unknown>[];
  };
  const current = await q('SELECT customer_id, name, city FROM customers ORDER BY customer_id');
  assert.deepEqual(
    current.map((x) => [Number(x.customer_id), x.name, x.city]),
    [
      [1, 'Alice', 'Lyon'],
      [3, 'Chen', 'Nice'],
      [4, 'Dana K.', 'Lyon'],
      [5, 'Eve', 'Paris'],
    ],
  );
  const history = await q(
    'SELECT customer_id, city, __START_AT AS s, __END_AT AS e FROM customers_history ORDER BY customer_id, s',
  );
  assert.deepEqual(
    history.map((x) => [Number(x.customer_id), x.city, Number(x.s), x.e === null ? null : Number(x.e)]),
    [
      [1, 'Paris', 1, 8],
      [1, 'Lyon', 8, null],
      [2, 'Lyon', 2, 5],
      [2, 'Nice', 5, 11],
      [3, 'Paris', 3, 7],
      [3, 'Nice', 12, null],
      [4, 'Lyon', 6, 10],
      [4, 'Lyon', 10, null],
      [5, 'Nice', 9, 13],
      [5, 'Paris', 13, null],
    ],
  );
  assert.deepEqual(
    (await q('SELECT city, customers FROM customers_by_city ORDER BY city')).map((x) => [
      x.city,
      Number(x.customers),
    ]),
    [
      ['Lyon', 2],
      ['Nice', 1],
      ['Paris', 1],
    ],
  );
  // chdb (delta-kernel) reads the same current rows.
  assert.deepEqual(
    chdb(
      `SELECT customer_id, name FROM deltaLakeLocal('${tableDir(dir, 'customers')}') ORDER BY customer_id`,
    ).map((x) => [Number(x.customer_id), x.name]),
    [
      [1, 'Alice'],
      [3, 'Chen'],
      [4, 'Dana K.'],
      [5, 'Eve'],
    ],
  );

  // A late re-delivery older than what customer 1 holds changes nothing; a delete lands.
  writeFiles(dir, {
    'data/changes/changes-003.json': ndjson([
      {
        customer_id: 1,
        name: 'Alice',
        email: 'old@example.com',
        city: 'Paris',
        operation: 'UPDATE',
        sequence_num: 8,
      },
      { customer_id: 4, operation: 'DELETE', sequence_num: 14 },
    ]),
  });
  const again = await runCli(['run', dir]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /customers +customers_cdc +COMPLETED .*0 rows upserted, 1 row deleted/);
  assert.match(again.stdout, /customers_history +COMPLETED .*1 row upserted, 1 row deleted/);
  assert.deepEqual(
    (await q('SELECT customer_id, city FROM customers ORDER BY customer_id')).map((x) => [
      Number(x.customer_id),
      x.city,
    ]),
    [
      [1, 'Lyon'],
      [3, 'Nice'],
      [5, 'Paris'],
    ],
  );
  // The SCD 1 table's change feed, read with table_changes(): the second run deleted customer 4.
  assert.deepEqual(
    (await q("SELECT customer_id, name, _change_type FROM table_changes('customers', 2) ORDER BY ALL")).map(
      (x) => [Number(x.customer_id), x.name, x._change_type],
    ),
    [[4, 'Dana K.', 'delete']],
  );
  // The streaming table reading that change data feed holds every change once, as table_changes and chdb read it.
  const feedSql =
    'SELECT customer_id, name, city, _change_type, _commit_version FROM %s ORDER BY _commit_version, customer_id, _change_type';
  const feed = await q(feedSql.replace('%s', 'customer_feed'));
  assert.deepEqual(feed, await q(feedSql.replace('%s', "table_changes('customers', 0)")));
  assert.deepEqual(
    feed.map((x) => [Number(x.customer_id), x._change_type, Number(x._commit_version)]),
    [
      [1, 'insert', 1],
      [3, 'insert', 1],
      [4, 'insert', 1],
      [5, 'insert', 1],
      [4, 'delete', 2],
    ],
  );
  assert.deepEqual(
    chdb(
      `SELECT customer_id, _change_type FROM deltaLakeLocal('${tableDir(dir, 'customers')}') ORDER BY _commit_version, customer_id SETTINGS delta_lake_snapshot_start_version = 0`,
    ).map((x) => [Number(x.customer_id), x._change_type]),
    feed.map((x) => [Number(x.customer_id), x._change_type]),
  );
  // table_changes() in a materialized view reads the rows sluice query reads.
  const deleted = await q('SELECT customer_id, name, deleted_at_version FROM deleted_customers ORDER BY ALL');
  assert.deepEqual(
    deleted.map((x) => [Number(x.customer_id), x.name, Number(x.deleted_at_version)]),
    [[4, 'Dana K.', 2]],
  );
  assert.deepEqual(
    deleted,
    await q(
      "SELECT customer_id, name, _commit_version AS deleted_at_version FROM table_changes('customers', 1) WHERE _change_type = 'delete' ORDER BY ALL",
    ),
  );
  const first = await q(
    "SELECT count(*) AS n FROM table_changes('customers', 1, 1) WHERE _change_type = 'insert'",
  );
  assert.equal(Number(first[0]!.n), 4);
  const byTime = await runCli([
    'query',
    '--pipeline',
    dir,
    "SELECT * FROM table_changes('customers', '2024-01-01')",
  ]);
  assert.equal(byTime.code, 1);
  assert.match(byTime.stderr, /^UNSUPPORTED_SQL_SYNTAX: table_changes\(…\) by timestamp/m);
  const events = await q(
    "SELECT details FROM system.lakeflow.event_log WHERE event_type = 'flow_progress' AND origin.flow_name = 'customers_cdc' AND level = 'METRICS' ORDER BY timestamp",
  );
  const metrics = events.map((e) => JSON.parse(String(e.details)).flow_progress.metrics);
  assert.deepEqual(
    metrics.map((m) => [m.num_upserted_rows, m.num_deleted_rows]),
    [
      [4, 0],
      [0, 1],
    ],
  );
});
