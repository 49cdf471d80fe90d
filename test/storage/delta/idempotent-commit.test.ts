import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { appendRows, commit, createTable, loadSnapshot, writeDataFiles } from '../../../src/storage/index.ts';
import { connect } from '../../helpers/session.ts';
import { tmpDir } from '../../helpers/tmp.ts';

test('a txn version the table already holds is never committed again, whatever the caller checked', async () => {
  const conn = await connect();
  const t = join(tmpDir('txn-belt'), 't');
  await createTable(t, {
    schema: { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }] },
  });
  await appendRows(conn, t, 'SELECT 1 AS id', { txn: { appId: 'flow', version: 0 } });
  const snap = await loadSnapshot(t);
  const adds = await writeDataFiles(conn, t, 'SELECT 2 AS id', { schema: snap.schema, partitionColumns: [] });
  await assert.rejects(
    commit(
      t,
      adds.map((add) => ({ add })),
      {
        readVersion: snap.version,
        snapshot: snap,
        operation: 'STREAMING UPDATE',
        txn: { appId: 'flow', version: 0 },
      },
    ),
    (e: { code?: string; params?: Record<string, unknown> }) =>
      e.code === 'DELTA_CONCURRENT_MODIFICATION' && e.params?.conflict === 'txn' && e.params.txnVersion === 0,
  );
  assert.equal((await loadSnapshot(t)).version, snap.version, 'nothing committed');
  conn.closeSync();
});
