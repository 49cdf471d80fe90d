import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { ROOT, tmpDir } from '../helpers/tmp.ts';

const PIPELINES = join(ROOT, 'test', 'fixtures', 'pipelines');

test('sluice validate prints the graph and exits 0 for a valid pipeline', async () => {
  const r = await runCli(['validate', join(PIPELINES, 'reference-sql')]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /1\. bronze_events {2}\[streaming table\]/);
  assert.match(r.stdout, /2\. silver_events {2}\[streaming table\]/);
  assert.match(r.stdout, /flow silver_events ← STREAM bronze_events/);
  assert.match(r.stdout, /expect valid_user_id: user_id IS NOT NULL AND user_id > 0 {2}→ drop row/);
  assert.match(r.stdout, /expect valid_amount: amount >= 0 {2}→ fail update/);
  assert.match(r.stdout, /✓ valid/);
});

test('dry-run is an alias; --format json is one object; the spec is found from the cwd', async () => {
  const r = await runCli(['dry-run', '--format', 'json'], {
    cwd: join(PIPELINES, 'reference-sql', 'transformations'),
  });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.valid, true);
  assert.equal(doc.pipeline.name, 'reference_sql');
  assert.deepEqual(doc.plan.datasets, ['bronze_events', 'silver_events']);
  const silver = doc.datasets.find((d: { name: string }) => d.name === 'silver_events');
  assert.deepEqual(silver.dependsOn, ['bronze_events']);
  assert.deepEqual(
    silver.expectations.map((x: { action: string }) => x.action),
    ['warn', 'warn', 'drop', 'fail'],
  );
});

test('errors print as CODE: message [dataset] (file:line:col) and exit 1', async () => {
  const r = await runCli(['validate', join(PIPELINES, 'errors', 'three-mistakes')]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /^ {2}DATASET_NOT_DEFINED: 'silver' reads 'brnze'.*\(transformations\/b_silver\.sql:5(:\d+)?\)$/m,
  );
  assert.match(r.stdout, /^ {2}DUPLICATE_EXPECTATION_NAME: .*\(transformations\/c_more\.ts:8:\d+\)$/m);
  assert.match(r.stdout, /UPSTREAM_FAILED: 'gold'/);
  assert.match(r.stdout, /✗ invalid: 3 errors/);
});

test('a SQL syntax error points at file:line:column with the offending text', async () => {
  const r = await runCli(['validate', '--format', 'json', join(PIPELINES, 'errors', 'sql-syntax-error')]);
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  const e = doc.errors.find((x: { code: string }) => x.code === 'SQL_SYNTAX_ERROR');
  assert.ok(e, JSON.stringify(doc.errors));
  assert.equal(e.location.file, 'transformations/bad.sql');
  assert.equal(e.location.line, 8);
  assert.equal(typeof e.location.column, 'number');
  assert.match(e.message, /WHERE/);
  const text = await runCli(['validate', join(PIPELINES, 'errors', 'sql-syntax-error')]);
  assert.match(text.stdout, /SQL_SYNTAX_ERROR: .*\(transformations\/bad\.sql:8:\d+\)/);
});

test('usage errors exit 2; a missing spec exits 1 with its code', async () => {
  let r = await runCli(['validate', '--format', 'yaml', join(PIPELINES, 'reference-sql')]);
  assert.equal(r.code, 2);
  r = await runCli(['validate', 'a', 'b']);
  assert.equal(r.code, 2);
  r = await runCli(['validate', '--bogus']);
  assert.equal(r.code, 2);
  r = await runCli(['validate'], { cwd: tmpDir('nospec') });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /PIPELINE_SPEC_NOT_FOUND/);
});

test('the CLI loads a TypeScript file that needs ES module semantics (top-level await)', async () => {
  // (Loaded with import(), which the CLI bundle compiled from V8's code cache must still allow.)
  const dir = tmpDir('validate-tla');
  mkdirSync(join(dir, 'transformations'), { recursive: true });
  writeFileSync(join(dir, 'spark-pipeline.yml'), 'name: tla\n');
  writeFileSync(
    join(dir, 'transformations', 'a.ts'),
    [
      "import { materializedView, sql } from 'sluice';",
      "const name = await Promise.resolve('from_await');",
      'materializedView({ name }, sql`SELECT 42 AS n`);',
    ].join('\n'),
  );
  const r = await runCli(['validate', dir, '--format', 'json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(
    JSON.parse(r.stdout).datasets.map((d: { name: string }) => d.name),
    ['from_await'],
  );
});
