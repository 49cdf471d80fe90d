import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { runCli } from '../helpers/cli.ts';
import { readTable } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');

/** A table's rows without the columns that differ by design, as sorted JSON lines. */
async function rows(dir: string, drop: readonly string[]): Promise<string[]> {
  return (await readTable(dir, '1'))
    .map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k]) => !drop.includes(k)))))
    .sort();
}

test('a TypeScript pipeline exported as a bundle runs with sluice and gives the same tables (round trip)', async () => {
  const dir = tmpDir('export-src');
  cpSync(join(EXAMPLES, 'events-ts'), join(dir, 'events-ts'), { recursive: true });
  cpSync(join(EXAMPLES, 'events', 'data'), join(dir, 'events', 'data'), { recursive: true });
  const src = join(dir, 'events-ts');
  const out = join(dir, 'bundle');

  const exported = await runCli(['export', 'databricks', src, '--out', out]);
  assert.equal(exported.code, 0, exported.stderr);
  assert.match(exported.stdout, /transformations\/events\.sql/);
  assert.match(exported.stdout, /ON VIOLATION QUARANTINE became DROP ROW plus a <name>_quarantine table/);
  assert.match(exported.stdout, /file inputs read local folders \(\.\.\/events\/data\/events\)/);

  const bundle = parse(readFileSync(join(out, 'databricks.yml'), 'utf8'));
  const pipeline = bundle.resources.pipelines.event_streaming_pipeline_typescript;
  assert.deepEqual(
    [pipeline.serverless, pipeline.edition, pipeline.schema, pipeline.continuous],
    [true, 'ADVANCED', 'silver', false],
  );
  assert.deepEqual(Object.keys(bundle.targets), ['dev', 'prod']);
  const sql = readFileSync(join(out, 'transformations', 'events.sql'), 'utf8');
  assert.doesNotMatch(sql, /ON VIOLATION QUARANTINE/);
  assert.match(
    readFileSync(join(out, 'quarantine', 'quarantine_tables.sql'), 'utf8'),
    /validated_events_quarantine/,
  );

  // Run both; the exported bundle reads the same data (its configuration keeps events_path).
  assert.equal((await runCli(['run', src])).code, 0);
  const run = await runCli(['run', out]);
  assert.equal(run.code, 0, run.stderr);
  const a = join(src, '.sluice', 'tables', 'silver');
  const b = join(out, '.sluice', 'dev', 'event_streaming_pipeline_typescript', 'tables', 'silver');
  assert.deepEqual(readdirSync(b).sort(), readdirSync(a).sort());
  for (const t of readdirSync(a)) {
    const drop = ['processed_at', '_batch_id', '_source', '_quarantined_at', 'quarantined_at'];
    assert.deepEqual(await rows(join(b, t), drop), await rows(join(a, t), drop), t);
  }
});

test('export refuses an invalid pipeline and a folder that is not empty', async () => {
  const dir = tmpDir('export-bad');
  cpSync(join(EXAMPLES, 'events'), dir, { recursive: true, filter: (p) => !p.includes('.sluice') });
  const notEmpty = await runCli(['export', 'databricks', dir, '--out', join(dir, 'transformations')]);
  assert.equal(notEmpty.code, 1);
  assert.match(notEmpty.stderr, /EXPORT_TARGET_NOT_EMPTY/);
  cpSync(join(dir, 'transformations', '01_bronze_events.sql'), join(dir, 'transformations', '99_dup.sql'));
  const invalid = await runCli(['export', 'spark', dir, '--out', join(dir, 'out')]);
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /EXPORT_INVALID_PIPELINE/);
  const usage = await runCli(['export', 'snowflake', dir, '--out', join(dir, 'out')]);
  assert.equal(usage.code, 2);
});

test('the open-source Spark export lowers expectations and read_files and says so', async () => {
  const dir = tmpDir('export-spark');
  cpSync(join(EXAMPLES, 'events'), dir, { recursive: true, filter: (p) => !p.includes('.sluice') });
  const out = join(dir, 'spark');
  const r = await runCli(['export', 'spark', dir, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const spec = parse(readFileSync(join(out, 'spark-pipeline.yml'), 'utf8'));
  assert.deepEqual(
    [spec.name, spec.database, spec.libraries],
    ['event_streaming_pipeline', 'silver', [{ glob: { include: 'transformations/**' } }]],
  );
  const sql = readFileSync(join(out, 'transformations', 'pipeline.sql'), 'utf8');
  assert.doesNotMatch(sql, /CONSTRAINT|read_files|OR REFRESH/);
  assert.match(sql, /CREATE STREAMING TABLE silver_events/);
  assert.match(sql, /WHERE coalesce\(\(user_id IS NOT NULL\), false\)/);
  assert.match(
    sql,
    /assert_true\(coalesce\(\(event_timestamp <= current_timestamp\(\)\), false\), 'expectation valid_timestamp failed'\) IS NULL/,
  );
  assert.match(sql, /-- expectation event_id_not_null \(warn\) left out/);
  assert.match(sql, /FROM STREAM json\.`data\/events`/);
  assert.match(r.stdout, /bronze_events: read_files\('data\/events'\) became json\.`data\/events`/);
});
