import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { query as chdb } from 'chdb';
import { latestVersion } from '../../src/storage/delta/snapshot.ts';
import { runCli } from '../helpers/cli.ts';
import { duck, ndjson, readTable, tableDir } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { orders, ordersFile, writeShopPipeline } from './shop-pipeline.ts';

const TABLES = ['bronze_orders', 'bronze_customers', 'silver_orders', 'customer_totals'] as const;

/** The expected tables, computed independently by DuckDB over the raw files. */
async function expected(dir: string) {
  const o = `read_json_auto('${join(dir, 'data/orders')}/*.json')`;
  const late = `read_json_auto('${join(dir, 'data/late')}/*.json')`;
  const c = `read_csv('${join(dir, 'data/customers')}/*.csv', header=true, delim=';')`;
  const silver = `(SELECT order_id, customer_id, amount, upper(status) AS status FROM ${o} WHERE amount IS NOT NULL
     UNION ALL SELECT order_id, customer_id, amount, 'LATE' FROM ${late})`;
  return {
    bronze_orders: await duck(`SELECT count(*)::INT AS n FROM ${o}`),
    silver_orders: await duck(
      `SELECT order_id, customer_id, amount, status FROM ${silver} ORDER BY order_id`,
    ),
    customer_totals: await duck(
      `SELECT c.name, count(*)::INT AS orders, round(sum(s.amount), 2) AS total FROM ${silver} s JOIN ${c} c USING (customer_id) GROUP BY c.name ORDER BY c.name`,
    ),
  };
}

async function actual(dir: string) {
  const silver = await readTable(tableDir(dir, 'silver_orders'), 'order_id');
  return {
    bronze_orders: [{ n: (await readTable(tableDir(dir, 'bronze_orders'), 'order_id')).length }],
    silver_orders: silver.map((r) => ({
      order_id: r.order_id,
      customer_id: r.customer_id,
      amount: r.amount,
      status: r.status,
    })),
    customer_totals: (await readTable(tableDir(dir, 'customer_totals'), 'name')).map((r) => ({
      name: r.name,
      orders: Number(r.orders),
      total: r.total,
    })),
  };
}

test('sluice run: files → streaming tables → view → append flow → materialized view, checked independently', async () => {
  const dir = tmpDir('engine-run');
  writeShopPipeline(dir);
  const r = await runCli(['run', dir, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const result = JSON.parse(r.stdout);
  assert.equal(result.state, 'COMPLETED');
  const byFlow = Object.fromEntries(result.flows.map((f: { flow: string }) => [f.flow, f]));
  assert.equal(byFlow.bronze_orders.state, 'COMPLETED');
  assert.equal(byFlow.bronze_orders.metrics.num_output_rows, 40);
  assert.equal(byFlow.late_orders.metrics.num_output_rows, 1);
  assert.equal(byFlow.customer_totals.planning.technique, 'COMPLETE_RECOMPUTE');
  assert.deepEqual(await actual(dir), await expected(dir));

  // The independent reader sees the same rows.
  const viaChdb = JSON.parse(
    chdb(
      `SELECT count() AS n, round(sum(amount), 2) AS s FROM deltaLakeLocal('${tableDir(dir, 'silver_orders')}')`,
      'JSON',
    ),
  ).data[0];
  const exp = (await expected(dir)).silver_orders;
  assert.equal(Number(viaChdb.n), exp.length);
  assert.equal(Number(viaChdb.s), Math.round(exp.reduce((s, x) => s + Number(x.amount), 0) * 100) / 100);
  const totals = JSON.parse(
    chdb(
      `SELECT name, orders FROM deltaLakeLocal('${tableDir(dir, 'customer_totals')}') ORDER BY name`,
      'JSON',
    ),
  ).data;
  assert.deepEqual(
    totals.map((t: { name: string; orders: string | number }) => [t.name, Number(t.orders)]),
    (await expected(dir)).customer_totals.map((t) => [t.name, t.orders]),
  );
});

test('incremental: new files are the only rows processed; nothing new → IDLE and no new versions', async () => {
  const dir = tmpDir('engine-incr');
  writeShopPipeline(dir);
  assert.equal((await runCli(['run', dir])).code, 0);
  writeFileSync(ordersFile(dir, 3), ndjson(orders(3)));
  const r2 = await runCli(['run', dir, '--format', 'json']);
  assert.equal(r2.code, 0, r2.stderr);
  const flows2 = Object.fromEntries(JSON.parse(r2.stdout).flows.map((f: { flow: string }) => [f.flow, f]));
  assert.equal(flows2.bronze_orders.metrics.num_output_rows, 20, 'only the new file is read');
  assert.equal(flows2.bronze_customers.state, 'IDLE');
  assert.equal(flows2.late_orders.state, 'IDLE');
  assert.equal(flows2.customer_totals.state, 'COMPLETED');
  assert.deepEqual(await actual(dir), await expected(dir));

  const versions = await Promise.all(TABLES.map((t) => latestVersion(tableDir(dir, t))));
  const r3 = await runCli(['run', dir, '--format', 'json']);
  assert.equal(r3.code, 0, r3.stderr);
  for (const f of JSON.parse(r3.stdout).flows) assert.equal(f.state, 'IDLE', `${f.flow} should be IDLE`);
  assert.deepEqual(await Promise.all(TABLES.map((t) => latestVersion(tableDir(dir, t)))), versions);
});

test('the same pipeline in the TypeScript API produces identical tables', async () => {
  const sqlDir = tmpDir('engine-sql');
  const tsDir = tmpDir('engine-ts');
  writeShopPipeline(sqlDir, 'sql');
  writeShopPipeline(tsDir, 'ts');
  const [a, b] = await Promise.all([runCli(['run', sqlDir]), runCli(['run', tsDir])]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  for (const t of TABLES) {
    const order = t === 'customer_totals' ? 'name' : t === 'bronze_customers' ? 'customer_id' : 'order_id';
    assert.deepEqual(
      await readTable(tableDir(tsDir, t), order),
      await readTable(tableDir(sqlDir, t), order),
      t,
    );
  }
});
