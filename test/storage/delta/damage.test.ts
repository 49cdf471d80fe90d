import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { appendRows, createTable, loadSnapshot } from '../../../src/storage/index.ts';
import { connect } from '../../helpers/session.ts';
import { tmpDir } from '../../helpers/tmp.ts';

test('a commit missing after the last checkpoint is DELTA_CORRUPT_LOG naming it, not "version N does not exist"', async () => {
  const conn = await connect();
  const t = join(tmpDir('missing-commit'), 't');
  await createTable(t, {
    schema: { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }] },
  });
  for (const id of [1, 2, 3]) await appendRows(conn, t, `SELECT ${id} AS id`);
  rmSync(join(t, '_delta_log', '00000000000000000001.json'));
  await assert.rejects(
    loadSnapshot(t),
    (e: { code?: string; message: string; params?: Record<string, unknown> }) => {
      assert.equal(e.code, 'DELTA_CORRUPT_LOG');
      assert.equal(e.params?.missing, 1);
      assert.match(e.message, /commit 1 of .* is missing \(00000000000000000001\.json\)/);
      return true;
    },
  );
  assert.equal((await loadSnapshot(t, { version: 0 })).version, 0, 'what comes before the gap still reads');
  conn.closeSync();
});
