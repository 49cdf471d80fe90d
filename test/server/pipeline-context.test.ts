import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCacheFile, uiCacheFile, writeCacheFile } from '../../src/server/cache-files.ts';
import type { StatusJson } from '../../src/server/dashboard-types.ts';
import { findPipelines } from '../../src/server/find-pipelines.ts';
import { runCli } from '../helpers/cli.ts';
import { ndjson, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { copyExample } from './server-helpers.ts';

async function open(dir: string) {
  const [ctx] = await findPipelines(dir, dir, {}, 100);
  assert.ok(ctx);
  return ctx;
}

test('a restart shows the saved status while the event log is at its version, until the update is read again', async () => {
  const dir = copyExample('ui-saved-status');
  const run = await runCli(['run', dir]);
  assert.equal(run.code, 0, run.stderr);
  const file = uiCacheFile(join(dir, '.sluice'), 'status');
  const first = await open(dir);
  let real: StatusJson;
  try {
    real = await first.status();
    await (await first.monitor.events()).complete();
    await first.saveEventIndex();
  } finally {
    await first.close();
  }
  const saved = (await readCacheFile(file)) as { status: StatusJson };
  assert.deepEqual(saved.status, real);
  assert.equal(real.update?.state, 'COMPLETED');
  // Marked, to tell the saved status from one read from the log.
  const marked = { ...saved.status, update: { ...saved.status.update!, state: 'MARKED' } };
  await writeCacheFile(file, { format: 1, status: marked });

  const second = await open(dir);
  try {
    assert.equal((await second.status()).update?.state, 'MARKED', 'served from the saved status');
    await second.sync();
    assert.equal((await second.status()).update?.state, 'COMPLETED', 'then read from the log');
  } finally {
    await second.close();
  }

  // Once the log moved on (another update ran), the saved status is not shown.
  await writeCacheFile(file, { format: 1, status: marked });
  assert.equal((await runCli(['run', dir])).code, 0);
  const third = await open(dir);
  try {
    const s = await third.status();
    assert.equal(s.update?.state, 'COMPLETED');
    assert.notEqual(s.update?.updateId, real.update?.updateId);
  } finally {
    await third.close();
  }
});

test('the dashboard draws the graph at once, then shows what binding the queries against their inputs finds', async () => {
  const dir = tmpDir('ui-binding');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: ui-binding\n',
    'data/a.json': ndjson([{ id: 1, ts: '2026-01-01T00:00:01Z' }]),
    'transformations/p.sql': [
      "CREATE MATERIALIZED VIEW j AS SELECT nosuch FROM read_files('data', format => 'json');",
      'CREATE MATERIALIZED VIEW k AS SELECT id FROM j;',
    ].join('\n'),
  });
  const ctx = await open(dir);
  try {
    const first = await ctx.graph();
    assert.deepEqual(first.errors, [], 'the graph alone is valid');
    let bound = first;
    for (let i = 0; i < 200 && bound.errors.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      bound = await ctx.graph();
    }
    assert.deepEqual(
      bound.errors.map((e) => [e.code, e.dataset, e.location?.line, e.location?.column]),
      [
        ['UNRESOLVED_COLUMN', 'j', 1, 38],
        ['UPSTREAM_FAILED', 'k', 2, 1],
      ],
    );
    assert.equal(bound.valid, false);
    // The cached graph is the bound one: a restart draws it at once.
    const again = await open(dir);
    try {
      assert.deepEqual((await again.graph()).errors, bound.errors);
    } finally {
      await again.close();
    }
  } finally {
    await ctx.close();
  }
});
