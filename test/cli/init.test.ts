import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { validatePipeline } from '../../src/index.ts';
import { runCli } from '../helpers/cli.ts';
import { tmpDir } from '../helpers/tmp.ts';

test('sluice init scaffolds a pipeline that validates without errors or warnings', async () => {
  const dir = join(tmpDir('init'), 'my-pipeline');
  const r = await runCli(['init', dir]);
  assert.equal(r.code, 0, r.stderr);
  for (const f of [
    'spark-pipeline.yml',
    'transformations/events.sql',
    'transformations/event_stats.ts',
    'data/events/events-0001.json',
  ]) {
    assert.ok(existsSync(join(dir, f)), f);
  }
  const rows = readFileSync(join(dir, 'data/events/events-0001.json'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.ok(rows.length >= 5 && rows.every((x) => 'event_id' in x));
  const v = await validatePipeline(dir);
  assert.deepEqual(
    [...v.errors, ...v.warnings].map((e) => e.format()),
    [],
  );
  assert.equal(v.spec?.name, 'my_pipeline');
  assert.deepEqual(v.graph?.plan.datasets, ['bronze_events', 'silver_events', 'event_type_stats']);
  assert.equal(v.graph?.datasets.get('event_type_stats')?.kind, 'materialized_view');
  assert.equal(v.graph?.datasets.get('event_type_stats')?.language, 'ts');
  const cli = await runCli(['validate'], { cwd: dir });
  assert.equal(cli.code, 0, cli.stdout);
});

test('sluice init refuses to overwrite an existing spec', async () => {
  const dir = tmpDir('init2');
  assert.equal((await runCli(['init'], { cwd: dir })).code, 0);
  const before = readFileSync(join(dir, 'spark-pipeline.yml'), 'utf8');
  const r = await runCli(['init'], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^PIPELINE_ALREADY_INITIALIZED:/);
  assert.equal(readFileSync(join(dir, 'spark-pipeline.yml'), 'utf8'), before);
});
