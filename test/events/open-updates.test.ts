import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { markUpdateClosed, markUpdateOpen, openUpdates } from '../../src/events/index.ts';
import { openUpdatesFolder } from '../../src/storage/index.ts';
import { tmpDir } from '../helpers/tmp.ts';

test('open-update markers: the last state is read back, a damaged marker still counts as open, close removes it', async () => {
  const storage = join(tmpDir('open-updates'), 's');
  await markUpdateOpen(storage, 'u-1');
  assert.deepEqual(await openUpdates(storage), [{ updateId: 'u-1' }]);
  // State rewrites (page cache only) replace the durable first marker atomically.
  await markUpdateOpen(storage, 'u-1', 'INITIALIZING');
  await markUpdateOpen(storage, 'u-1', 'RUNNING');
  await markUpdateOpen(storage, 'u-2');
  assert.deepEqual(await openUpdates(storage), [{ updateId: 'u-1', state: 'RUNNING' }, { updateId: 'u-2' }]);
  // What a machine crash may leave of a state rewrite that never reached the disk: an empty marker.
  await writeFile(join(openUpdatesFolder(storage), 'u-1.json'), '');
  assert.deepEqual(await openUpdates(storage), [{ updateId: 'u-1' }, { updateId: 'u-2' }]);
  await markUpdateClosed(storage, 'u-1');
  await markUpdateClosed(storage, 'u-2');
  assert.deepEqual(await openUpdates(storage), []);
  // No temp file is left behind by the rewrites.
  assert.deepEqual(await readdir(openUpdatesFolder(storage)), []);
});
