import assert from 'node:assert/strict';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { readTable, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'events');

test('the example bundle runs with sluice run, per target, and gives the tables the plain spec gives', async () => {
  const dir = tmpDir('bundle-example');
  cpSync(EXAMPLE, dir, { recursive: true, filter: (p) => !p.includes('.sluice') });

  const dev = await runCli(['run', join(dir, 'databricks.yml'), '--format', 'json']);
  assert.equal(dev.code, 0, dev.stderr);
  const result = JSON.parse(dev.stdout);
  assert.equal(result.pipeline, '[dev] Event Streaming Pipeline');
  assert.equal(result.state, 'COMPLETED');
  const devTables = join(dir, '.sluice', 'dev', 'streaming_pipeline', 'tables', 'silver');
  assert.ok(existsSync(join(devTables, 'silver_events', '_delta_log')));

  const plain = await runCli(['run', dir]);
  assert.equal(plain.code, 0, plain.stderr);
  const plainTables = join(dir, '.sluice', 'tables', 'silver');
  // Same rows, but for the processing time the query stamps.
  const rows = async (table: string, key: string) =>
    (await readTable(table, key)).map(({ processed_at: _, ...r }) => JSON.stringify(r)).sort();
  for (const [t, key] of [
    ['silver_events', 'event_id'],
    ['silver_event_hourly_stats', 'event_hour'],
  ] as const)
    assert.deepEqual(await rows(join(devTables, t), key), await rows(join(plainTables, t), key), t);

  const prod = await runCli(['validate', dir, '-t', 'prod', '--pipeline', 'streaming_pipeline']);
  assert.equal(prod.code, 0, prod.stderr);
  assert.match(prod.stdout, /Pipeline '\[prod\] Event Streaming Pipeline'/);
  assert.match(
    prod.stdout,
    /bundle 'event_streaming', target 'prod' \(production\), pipeline 'streaming_pipeline'/,
  );
  assert.match(prod.stdout, /on Databricks only \(no effect locally\): serverless: true, photon: true/);

  const bad = await runCli(['validate', dir, '--target', 'staging']);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout + bad.stderr, /BUNDLE_INVALID: target 'staging' is not defined in the bundle/);
});

test('SQL notebooks run as SQL (a cell needs no semicolon); Python libraries are refused with a code', async () => {
  const dir = tmpDir('bundle-notebooks');
  writeFiles(dir, {
    'databricks.yml':
      'bundle:\n  name: nb\nresources:\n  pipelines:\n    p:\n      name: nb\n      libraries:\n        - notebook:\n            path: src/gold\n',
    'src/gold.sql':
      '-- Databricks notebook source\n-- MAGIC %md\n-- MAGIC # Gold\n\n-- COMMAND ----------\n\nCREATE MATERIALIZED VIEW one AS SELECT 1 AS x\n\n-- COMMAND ----------\n\nCREATE MATERIALIZED VIEW two AS SELECT x + 1 AS y FROM one\n',
  });
  const r = await runCli(['run', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    Number((await readTable(join(dir, '.sluice', 'default', 'p', 'tables', 'default', 'two'), 'y'))[0]?.y),
    2,
  );

  writeFiles(dir, {
    'databricks.yml':
      'bundle:\n  name: nb\nresources:\n  pipelines:\n    p:\n      name: nb\n      libraries:\n        - notebook:\n            path: src/gold\n        - file:\n            path: src/silver.py\n',
    'src/silver.py': 'import dlt\n',
  });
  const v = await runCli(['validate', dir]);
  assert.equal(v.code, 1);
  assert.match(
    v.stdout,
    /PYTHON_LIBRARY_NOT_SUPPORTED: src\/silver\.py is Python pipeline code.* \(src\/silver\.py:1\)/,
  );
});
