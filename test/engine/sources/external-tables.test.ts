import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../../helpers/cli.ts';
import { ndjson, readTable, tableDir, writeFiles } from '../../helpers/pipeline.ts';
import { tmpDir } from '../../helpers/tmp.ts';

/**
 * `external_tables` in the spec binds a table outside the pipeline (`catalog.schema.table`, as a
 * Databricks pipeline names a catalog table) to local data: a Delta table folder, streamed
 * incrementally, or files of a format. The pipeline's own dataset of the same last name
 * (`payments`) stays a different table.
 */

async function run(dir: string) {
  const r = await runCli(['run', dir, '--format', 'json']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout) as { flows: { flow: string; rows_written?: number; rowsWritten?: number }[] };
}

test('external tables: a Delta folder (streamed incrementally) and CSV files stand in for catalog tables', async () => {
  const upstream = tmpDir('ext-upstream');
  writeFiles(upstream, {
    'spark-pipeline.yml': 'name: upstream\n',
    'data/p1.json': ndjson([
      { payment_id: 1, customer_id: 10, amount: 5 },
      { payment_id: 2, customer_id: 11, amount: 7 },
    ]),
    'transformations/src.sql':
      "CREATE STREAMING TABLE payments_src AS SELECT payment_id, customer_id, amount FROM STREAM read_files('data', format => 'json');\n",
  });
  await run(upstream);

  const dir = tmpDir('ext-tables');
  writeFiles(dir, {
    'spark-pipeline.yml': `name: ext
external_tables:
  samples.shop.payments: ${tableDir(upstream, 'payments_src')}
  samples.shop.customers: { path: ref/customers, format: csv }
`,
    'ref/customers/c.csv': 'customer_id,name\n10,ada\n11,bob\n',
    'transformations/t.sql': `
CREATE OR REFRESH STREAMING TABLE payments AS SELECT payment_id, customer_id, amount FROM STREAM(samples.shop.payments);
CREATE OR REFRESH MATERIALIZED VIEW customers AS SELECT * FROM SAMPLES.Shop.Customers;
CREATE OR REFRESH MATERIALIZED VIEW totals AS
  SELECT c.name, sum(p.amount) AS total FROM payments p JOIN customers c USING (customer_id) GROUP BY c.name;
`,
  });
  const v = await runCli(['validate', dir]);
  assert.equal(v.code, 0, `${v.stdout}\n${v.stderr}`);
  await run(dir);
  const totals = async () =>
    (await readTable(tableDir(dir, 'totals'), 'name')).map((r) => [r.name, Number(r.total)]);
  assert.deepEqual(await totals(), [
    ['ada', 5],
    ['bob', 7],
  ]);

  // New upstream rows: the stream reads only them (no row twice).
  writeFiles(upstream, { 'data/p2.json': ndjson([{ payment_id: 3, customer_id: 10, amount: 100 }]) });
  await run(upstream);
  await run(dir);
  const payments = await readTable(tableDir(dir, 'payments'), 'payment_id');
  assert.deepEqual(
    payments.map((r) => Number(r.payment_id)),
    [1, 2, 3],
  );
  assert.deepEqual(await totals(), [
    ['ada', 105],
    ['bob', 7],
  ]);
});

test('an external table name must be qualified; an unmapped one is still DATASET_NOT_DEFINED', async () => {
  const dir = tmpDir('ext-bad');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: ext\nexternal_tables:\n  payments: somewhere\n',
    'transformations/t.sql': 'CREATE MATERIALIZED VIEW m AS SELECT 1 AS x;\n',
  });
  const bad = await runCli(['validate', dir, '--format', 'json']);
  assert.notEqual(bad.code, 0);
  const [err] = JSON.parse(bad.stdout).errors;
  assert.equal(err.code, 'PIPELINE_SPEC_INVALID');
  assert.deepEqual([err.location.file, err.location.line], ['spark-pipeline.yml', 3]);

  writeFiles(dir, {
    'spark-pipeline.yml': 'name: ext\nexternal_tables:\n  samples.shop.payments: somewhere\n',
    'transformations/t.sql': 'CREATE MATERIALIZED VIEW m AS SELECT * FROM samples.shop.customers;\n',
  });
  const undef = await runCli(['validate', dir, '--format', 'json']);
  assert.notEqual(undef.code, 0);
  assert.match(undef.stdout, /DATASET_NOT_DEFINED/);
});
