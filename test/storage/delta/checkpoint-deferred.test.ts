import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkpointFilePath } from '../../../src/storage/delta/checkpoint-write.ts';
import { commit } from '../../../src/storage/delta/commit.ts';
import type { StructType } from '../../../src/storage/delta/schema.ts';
import { applyCommit, loadSnapshot } from '../../../src/storage/delta/snapshot.ts';
import { createTable } from '../../../src/storage/delta/table.ts';
import { tmpDir } from '../../helpers/tmp.ts';

const SCHEMA: StructType = {
  type: 'struct',
  fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }],
};

test('applyCommit equals reading the commit back; a deferred checkpoint is handed to the caller, written from the base snapshot when run, and equals the log', async () => {
  const t = join(tmpDir('cp-deferred'), 't');
  await createTable(t, { schema: SCHEMA });
  const deferred: (() => Promise<void>)[] = [];
  let snap = await loadSnapshot(t);
  for (let i = 1; i <= 4; i++) {
    const r = await commit(t, [], {
      readVersion: snap.version,
      snapshot: snap,
      operation: 'STREAMING UPDATE',
      txn: { appId: 'flow', version: i },
      checkpointInterval: 2,
      deferCheckpoint: (write) => deferred.push(write),
    });
    assert.equal(r.version, i);
    const known = applyCommit(snap, r.actions);
    snap = await loadSnapshot(t, { version: r.version });
    assert.deepEqual(
      [known.version, known.timestamp, [...known.txns], known.files, known.metadata],
      [snap.version, snap.timestamp, [...snap.txns], snap.files, snap.metadata],
      'the writer’s own view of the commit equals reading it back',
    );
  }
  assert.equal(deferred.length, 2, 'versions 2 and 4 were due');
  assert.equal(existsSync(checkpointFilePath(t, 2)), false, 'nothing written before the caller runs it');
  for (const write of deferred) await write();
  assert.ok(existsSync(checkpointFilePath(t, 2)));
  assert.ok(existsSync(checkpointFilePath(t, 4)));
  // A reader starting from the checkpoint sees what the log says.
  const fromCheckpoint = await loadSnapshot(t);
  assert.equal(fromCheckpoint.version, 4);
  assert.equal(fromCheckpoint.txns.get('flow'), 4);
});
