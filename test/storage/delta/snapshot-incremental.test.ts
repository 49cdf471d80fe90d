import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { StructType } from '../../../src/storage/delta/schema.ts';
import { loadSnapshot } from '../../../src/storage/delta/snapshot.ts';
import { appendRows, createTable, overwriteRows } from '../../../src/storage/delta/table.ts';
import { connect } from '../../helpers/session.ts';
import { tmpDir } from '../../helpers/tmp.ts';

const conn = await connect();
after(() => conn.closeSync());

const SCHEMA: StructType = {
  type: 'struct',
  fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }],
};

test('a snapshot extended from an older base equals a full replay, across appends, an overwrite and a checkpoint', async () => {
  const t = join(tmpDir('snap-incr'), 't');
  await createTable(t, { schema: SCHEMA, configuration: { 'delta.checkpointInterval': '3' } });
  await appendRows(conn, t, 'SELECT 1 AS id', { txn: { appId: 'a', version: 0 } });
  const base = await loadSnapshot(t);
  await appendRows(conn, t, 'SELECT 2 AS id', { txn: { appId: 'a', version: 1 } });
  await overwriteRows(conn, t, 'SELECT 3 AS id UNION ALL SELECT 4');
  await appendRows(conn, t, 'SELECT 5 AS id', { txn: { appId: 'b', version: 7 } });
  const full = await loadSnapshot(t);
  const incremental = await loadSnapshot(t, { base });
  assert.equal(incremental.version, full.version);
  assert.deepEqual(incremental.files.map((f) => f.path).sort(), full.files.map((f) => f.path).sort());
  assert.deepEqual([...incremental.txns], [...full.txns]);
  assert.equal(incremental.metadata.id, full.metadata.id);
  assert.equal(base.files.length, 1, 'the base snapshot is not modified');
  // Time travel below the base falls back to a normal load.
  const v1 = await loadSnapshot(t, { version: 1, base: full });
  assert.equal(v1.version, 1);
  assert.equal(v1.files.length, 1);
});

test('extending a base to a given version reads only its commits; a missing version is still DELTA_VERSION_NOT_FOUND', async () => {
  const t = join(tmpDir('snap-incr-v'), 't');
  await createTable(t, { schema: SCHEMA });
  await appendRows(conn, t, 'SELECT 1 AS id', { txn: { appId: 'a', version: 0 } });
  const base = await loadSnapshot(t);
  await appendRows(conn, t, 'SELECT 2 AS id', { txn: { appId: 'a', version: 1 } });
  await appendRows(conn, t, 'SELECT 3 AS id', { txn: { appId: 'a', version: 2 } });
  const v2 = await loadSnapshot(t, { version: 2, base });
  const full2 = await loadSnapshot(t, { version: 2 });
  assert.deepEqual(
    v2.files.map((f) => f.path),
    full2.files.map((f) => f.path),
  );
  assert.equal(v2.txns.get('a'), 1);
  assert.equal(v2.timestamp, full2.timestamp);
  assert.equal(v2.schema, base.schema, 'an unchanged schema is reused, not parsed again');
  await assert.rejects(loadSnapshot(t, { version: 9, base }), { code: 'DELTA_VERSION_NOT_FOUND' });
});
