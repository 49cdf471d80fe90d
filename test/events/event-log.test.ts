import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { EventLogWriter, eventRowsSql, readEvents, resolveUpdateId } from '../../src/events/index.ts';
import { session } from '../helpers/session.ts';
import { tmpDir } from '../helpers/tmp.ts';

const event = (update: string, message: string) => ({
  origin: {
    pipeline_name: "p's",
    pipeline_id: '',
    update_id: update,
    flow_name: null,
    dataset_name: null,
    batch_id: 3,
  },
  timestamp: '2024-05-01T10:00:00.123Z',
  message,
  level: 'ERROR' as const,
  error: { code: 'X', message: "it's bad", causes: [{ code: null, message: 'root' }] },
  details: JSON.stringify({ update_progress: { state: 'RUNNING' } }),
  event_type: 'update_progress' as const,
});

test('writers continue the sequence, values round-trip, ids resolve by prefix', async () => {
  const storage = join(tmpDir('evlog'), 's');
  const w1 = await EventLogWriter.open(session.db, storage);
  await w1.write([w1.stamp(event('aaaa-1', "quote ' and \n newline")), w1.stamp(event('aaaa-1', 'two'))]);
  await w1.close();
  const w2 = await EventLogWriter.open(session.db, storage);
  assert.equal(w2.pipelineId, w1.pipelineId);
  await w2.write([w2.stamp(event('bbbb-2', 'three'))]);
  await w2.close();
  const rows = await readEvents(session.db, storage);
  assert.deepEqual(
    rows.map((r) => r.sequence),
    [0, 1, 2],
  );
  assert.equal(rows[0]!.message, "quote ' and \n newline");
  assert.equal(rows[0]!.timestamp, '2024-05-01T10:00:00.123Z');
  assert.deepEqual(rows[0]!.error, {
    code: 'X',
    message: "it's bad",
    causes: [{ code: null, message: 'root' }],
  });
  assert.equal(rows[0]!.origin.batch_id, 3);
  assert.equal(await resolveUpdateId(session.db, storage, 'latest'), 'bbbb-2'); // same timestamps: sequence decides
  assert.equal(await resolveUpdateId(session.db, storage, 'bbbb'), 'bbbb-2');
  await assert.rejects(resolveUpdateId(session.db, storage, 'zzz'), { code: 'UPDATE_NOT_FOUND' });
  await assert.rejects(resolveUpdateId(session.db, join(storage, 'none'), undefined), {
    code: 'EVENT_LOG_NOT_FOUND',
  });
});

test("the event rows' SELECT has exactly the columns the writer names without a DESCRIBE", async () => {
  const { EVENT_ROW_COLUMNS } = await import('../../src/events/writer.ts');
  const conn = await session.db.connect();
  try {
    const sql = eventRowsSql([{ id: 'x', sequence: 0, ...event('u', 'm') }]);
    const described = await conn.runAndReadAll(`DESCRIBE ${sql}`);
    assert.deepEqual(
      described.getRowObjects().map((r) => r.column_name),
      [...EVENT_ROW_COLUMNS],
    );
  } finally {
    conn.closeSync();
  }
});
