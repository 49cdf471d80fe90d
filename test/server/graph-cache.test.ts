import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PipelineMonitor } from '../../src/index.ts';
import type { GraphJson } from '../../src/server/dashboard-types.ts';
import { readGraphCache, sourcesKey, writeGraphCache } from '../../src/server/graph-cache.ts';
import { startDashboard } from '../../src/server/index.ts';
import { PipelineContext } from '../../src/server/pipeline-context.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { writeFailingPipeline } from './server-helpers.ts';

const scope = (dir: string) => ({ dir, cwd: dir, bundle: {}, version: '1' });

async function context(dir: string): Promise<PipelineContext> {
  const monitor = await PipelineMonitor.open(dir, { cwd: dir });
  return new PipelineContext({ id: 'p', dir, cwd: dir, bundle: {}, monitor, pollMs: 100, version: '1' });
}

/** Rewrites the cached entry's graph (same key), so a graph served from the cache can be told apart. */
async function markCached(file: string, name: string): Promise<void> {
  const entry = await readGraphCache(file);
  assert.ok(entry, `no graph cached at ${file}`);
  assert.ok(
    await writeGraphCache(file, {
      ...entry,
      graph: { ...entry.graph, pipeline: { ...entry.graph.pipeline, name } },
    }),
  );
}

test('the sources key changes with a file’s content and with the names in a folder, and only then', async () => {
  const dir = writeFailingPipeline(tmpDir('ui-key'));
  const sql = join(dir, 'transformations', 'a.sql');
  const paths = [join(dir, 'spark-pipeline.yml'), sql, join(dir, 'transformations')];
  const k0 = await sourcesKey(paths, scope(dir));
  assert.equal(await sourcesKey(paths, scope(dir)), k0);
  assert.notEqual(await sourcesKey(paths, { ...scope(dir), version: '2' }), k0);
  appendFileSync(sql, '\n-- a comment\n');
  const k1 = await sourcesKey(paths, scope(dir));
  assert.notEqual(k1, k0);
  writeFileSync(join(dir, 'transformations', 'b.sql'), 'CREATE MATERIALIZED VIEW b AS SELECT 1 AS x;\n');
  assert.notEqual(await sourcesKey(paths, scope(dir)), k1);
});

test('a restarted dashboard serves the cached graph of unchanged sources, and validates it again in the background', async () => {
  const dir = writeFailingPipeline(tmpDir('ui-cache'));
  const first = await context(dir);
  const file = first.graphCacheFile;
  try {
    assert.equal(existsSync(file), false);
    const graph = await first.graph();
    assert.equal(graph.pipeline.name, 'failing');
    assert.equal(graph.stale, false);
    assert.equal((await readGraphCache(file))?.graph.datasets.length, 3);
  } finally {
    await first.close();
  }
  await markCached(file, 'from-cache');
  const second = await context(dir);
  try {
    const cached = await second.graph();
    assert.equal(cached.pipeline.name, 'from-cache', 'the graph came from the cache, not a validation');
    assert.equal(cached.stale, false);
    assert.equal((await second.validation()).cached, true);
    // What the key cannot see (here: an entry that is not what validating gives) is corrected.
    await second.revalidate();
    assert.equal((await second.graph()).pipeline.name, 'failing');
    assert.equal((await second.validation()).cached, false);
    assert.equal((await readGraphCache(file))?.graph.pipeline.name, 'failing');
  } finally {
    await second.close();
  }
});

test('a changed pipeline file invalidates the cached graph: the last known graph is shown stale until the new one is validated', async () => {
  const dir = writeFailingPipeline(tmpDir('ui-cache-stale'));
  const first = await context(dir);
  const file = first.graphCacheFile;
  await first.graph();
  await first.close();
  await markCached(file, 'last-known');
  appendFileSync(
    join(dir, 'transformations', 'a.sql'),
    '\nCREATE OR REFRESH MATERIALIZED VIEW tripled\nAS SELECT id * 3 AS id FROM numbers;\n',
  );
  const second = await context(dir);
  try {
    const shown = await second.graph();
    assert.equal(shown.stale, true, 'the sources changed: the cached graph is not fresh');
    assert.equal(shown.pipeline.name, 'last-known');
    assert.equal(shown.datasets.length, 3);
    const validated = (await second.validation()).graph;
    assert.equal(validated.stale, false);
    assert.deepEqual(validated.datasets.map((d) => d.name).sort(), [
      'checked',
      'doubled',
      'numbers',
      'tripled',
    ]);
    assert.equal((await second.graph()).pipeline.name, 'failing');
    const entry = await readGraphCache(file);
    assert.equal(entry?.graph.datasets.length, 4);
    assert.equal(entry?.key, await sourcesKey(entry.paths, scope(dir)));
  } finally {
    await second.close();
  }
});

test('a page is told on its live feed when the graph it was shown stale is validated', async () => {
  const dir = writeFailingPipeline(tmpDir('ui-cache-live'));
  const d0 = await startDashboard({ dir, port: 0 });
  const base0 = `${d0.url}api/p/${d0.pipelines[0]!.id}`;
  assert.equal(((await (await fetch(`${base0}/graph`)).json()) as GraphJson).datasets.length, 3);
  await d0.close();
  mkdirSync(join(dir, 'transformations', 'more'));
  writeFileSync(
    join(dir, 'transformations', 'more', 'b.sql'),
    'CREATE OR REFRESH MATERIALIZED VIEW extra\nAS SELECT 1 AS x;\n',
  );
  const d = await startDashboard({ dir, port: 0 });
  const controller = new AbortController();
  try {
    const base = `${d.url}api/p/${d.pipelines[0]!.id}`;
    const live = await fetch(`${base}/live`, { signal: controller.signal });
    const shown = (await (await fetch(`${base}/graph`)).json()) as GraphJson;
    const events: string[] = [];
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of live.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (const m of buffer.matchAll(/^event: (\w+)$/gm)) events.push(m[1]!);
      buffer = buffer.slice(buffer.lastIndexOf('\n\n') + 2);
      if (events.includes('graph')) break;
    }
    assert.equal(shown.stale, true);
    assert.equal(shown.datasets.length, 3);
    const now = (await (await fetch(`${base}/graph`)).json()) as GraphJson;
    assert.equal(now.stale, false);
    assert.equal(now.datasets.length, 4);
    assert.match(readFileSync(join(dir, '.sluice', 'system', 'ui', 'graph.json'), 'utf8'), /"extra"/);
  } finally {
    controller.abort();
    await d.close();
  }
});

test('which files are served as sources never comes from the cache file', async () => {
  const dir = writeFailingPipeline(tmpDir('ui-cache-source'));
  const secret = join(dir, 'secret.txt');
  writeFileSync(secret, 'not a library file\n');
  const first = await context(dir);
  const file = first.graphCacheFile;
  await first.graph();
  await first.close();
  const entry = await readGraphCache(file);
  assert.ok(entry);
  // A cache entry claiming the secret is the definition of 'numbers' (its key still matches).
  await writeGraphCache(file, {
    ...entry,
    files: [...entry.files, secret],
    graph: {
      ...entry.graph,
      datasets: entry.graph.datasets.map((d) =>
        d.name === 'numbers' ? { ...d, location: { file: 'secret.txt', line: 1 } } : d,
      ),
    },
  });
  const second = await context(dir);
  try {
    assert.equal((await second.validation()).cached, true);
    const s = await second.sourceFile('numbers');
    assert.equal(s.path, join(dir, 'transformations', 'a.sql'));
    assert.equal(s.line, 1);
  } finally {
    await second.close();
  }
});
