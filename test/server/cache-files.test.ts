import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventLogIndexState } from '../../src/index.ts';
import { readCacheFile, uiCacheFile, writeCacheFile } from '../../src/server/cache-files.ts';
import type { UpdatesJson } from '../../src/server/dashboard-types.ts';
import { startDashboard } from '../../src/server/index.ts';
import { runCli } from '../helpers/cli.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { copyExample } from './server-helpers.ts';

test('cache files: written whole under system/ui, read back; a damaged or unwritable one is a miss, never an error', async () => {
  const storage = tmpDir('ui-cache-files');
  const file = uiCacheFile(storage, 'graph');
  assert.equal(file, join(storage, 'system', 'ui', 'graph.json'));
  assert.equal(await readCacheFile(file), undefined);
  assert.equal(await writeCacheFile(file, { a: [1, 2] }), true);
  assert.deepEqual(await readCacheFile(file), { a: [1, 2] });
  writeFileSync(file, '{"a": [1,');
  assert.equal(await readCacheFile(file), undefined);
  const blocked = join(storage, 'not-a-folder');
  writeFileSync(blocked, '');
  assert.equal(await writeCacheFile(join(blocked, 'x.json'), {}), false);
});

test('the dashboard saves its event log index, and a restart starts from it', async () => {
  const dir = copyExample('ui-index-cache');
  const run = await runCli(['run', dir]);
  assert.equal(run.code, 0, run.stderr);
  const file = uiCacheFile(join(dir, '.sluice'), 'event-log-index');
  const first = await startDashboard({ dir, port: 0 });
  try {
    for (let i = 0; i < 200 && !existsSync(file); i++) await sleep(50);
  } finally {
    await first.close();
  }
  const saved = (await readCacheFile(file)) as EventLogIndexState | undefined;
  assert.ok(saved, 'the warm-up saved the index state');
  assert.equal(saved.updates.length, 1);
  // Marked, to tell an update read from the saved state from one summarized again.
  await writeCacheFile(file, { ...saved, updates: saved.updates.map((u) => ({ ...u, rowsWritten: 4242 })) });
  const second = await startDashboard({ dir, port: 0 });
  try {
    const r = await fetch(`${second.url}api/p/${second.pipelines[0]!.id}/updates`);
    const updates = (await r.json()) as UpdatesJson;
    assert.deepEqual(
      updates.updates.map((u) => [u.updateId, u.rowsWritten]),
      [[saved.updates[0]!.updateId, 4242]],
    );
  } finally {
    await second.close();
  }
});
