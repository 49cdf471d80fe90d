import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPipeline, type UpdateResult } from '../../src/index.ts';
import { ndjson, readTable, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

function state(r: UpdateResult, flow: string): string | undefined {
  return r.flows.find((f) => f.flow === flow)?.state;
}

async function run(dir: string, options: { fullRefresh?: string[] } = {}): Promise<UpdateResult> {
  const outcome = await runPipeline(dir, options);
  assert.equal(outcome.kind, 'ran', JSON.stringify(outcome));
  if (outcome.kind !== 'ran') throw new Error('unreachable');
  return outcome.result;
}

test('INSERT INTO ONCE: a backfill runs once per reset of its target, batch inputs read as they are', async () => {
  const dir = tmpDir('append-once');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: once\nlibraries:\n  - glob:\n      include: transformations/**\n',
    'transformations/all.sql': `
CREATE MATERIALIZED VIEW history AS SELECT * FROM read_files('data/history', format => 'json');
CREATE OR REFRESH STREAMING TABLE events;
CREATE FLOW live_events AS INSERT INTO events BY NAME
  SELECT id, 'live' AS origin FROM STREAM read_files('data/live', format => 'json');
CREATE FLOW backfill AS INSERT INTO ONCE events BY NAME SELECT id, 'history' AS origin FROM history;
`,
    'data/history/h.json': ndjson([{ id: 1 }, { id: 2 }]),
    'data/live/a.json': ndjson([{ id: 10 }]),
  });
  const rows = async () => (await readTable(tableDir(dir, 'events'), 'id')).map((r) => `${r.id}:${r.origin}`);

  const first = await run(dir);
  assert.equal(state(first, 'backfill'), 'COMPLETED');
  assert.deepEqual(await rows(), ['1:history', '2:history', '10:live']);

  // Later updates: new history rows are not backfilled again; the streaming flow goes on.
  writeFiles(dir, {
    'data/history/h2.json': ndjson([{ id: 3 }]),
    'data/live/b.json': ndjson([{ id: 11 }]),
  });
  const second = await run(dir);
  assert.equal(state(second, 'backfill'), 'IDLE');
  assert.equal(state(second, 'live_events'), 'COMPLETED');
  assert.deepEqual(await rows(), ['1:history', '2:history', '10:live', '11:live']);

  // A full refresh of the target starts it over: the backfill runs again, with today's history.
  const reset = await run(dir, { fullRefresh: ['events'] });
  assert.equal(state(reset, 'backfill'), 'COMPLETED');
  assert.deepEqual(await rows(), ['1:history', '2:history', '3:history', '10:live', '11:live']);
  assert.equal((await run(dir)).flows.find((f) => f.flow === 'backfill')?.state, 'IDLE');
});
