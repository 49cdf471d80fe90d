import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { EventLogWriter, type NewEvent } from '../../src/events/index.ts';
import { type EventLogIndexState, Session } from '../../src/index.ts';
import { EventLogIndex } from '../../src/public-api/event-log-index.ts';
import { tmpDir } from '../helpers/tmp.ts';

const updateId = (u: number) => `00000000-0000-4000-8000-${String(u).padStart(12, '0')}`;

function event(
  u: number,
  type: NewEvent['event_type'],
  details: unknown,
  flow: string | null = null,
): NewEvent {
  return {
    origin: {
      pipeline_name: 'p',
      pipeline_id: 'p',
      update_id: updateId(u),
      flow_name: flow,
      dataset_name: flow,
      batch_id: null,
    },
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, u)).toISOString(),
    message: `${type} of update ${u}`,
    level: 'INFO',
    error: null,
    details: JSON.stringify(details),
    event_type: type,
  };
}

/** An update's events: created, running, one flow writing `rows`, and (when `ended`) completed. */
function updateEvents(u: number, rows: number, ended = true): NewEvent[] {
  return [
    event(u, 'create_update', { create_update: { cause: 'USER_ACTION' } }),
    event(u, 'update_progress', { update_progress: { state: 'RUNNING' } }),
    event(
      u,
      'flow_progress',
      { flow_progress: { status: 'COMPLETED', metrics: { num_output_rows: rows } } },
      't',
    ),
    ...(ended ? [event(u, 'update_progress', { update_progress: { state: 'COMPLETED' } })] : []),
  ];
}

async function openComplete(session: Session, storage: string, saved?: EventLogIndexState) {
  const index = await EventLogIndex.open(session.db, storage, saved);
  await index.complete();
  return index;
}

test('an index opened from a saved state reads only what was appended since, and ends where a full read ends', async () => {
  const storage = join(tmpDir('event-index'), '.sluice');
  const session = new Session();
  try {
    const writer = await EventLogWriter.open(session.db, storage);
    const write = (events: NewEvent[]) => writer.write(events.map((e) => writer.stamp(e)));
    await write(updateEvents(1, 10));
    await write(updateEvents(2, 20, false));
    const first = await EventLogIndex.open(session.db, storage);
    assert.equal(first.state(), undefined, 'no state before every summary is complete');
    await first.complete();
    const saved = first.state();
    assert.ok(saved);
    assert.deepEqual(
      saved.updates.map((u) => [u.state, u.rowsWritten]),
      [
        ['COMPLETED', 10],
        ['RUNNING', 20],
      ],
    );
    // Update 2 ends and update 3 runs after the save.
    await write([
      event(
        2,
        'flow_progress',
        { flow_progress: { status: 'COMPLETED', metrics: { num_output_rows: 5 } } },
        'u',
      ),
      event(2, 'update_progress', { update_progress: { state: 'COMPLETED' } }),
    ]);
    await write(updateEvents(3, 30));
    await writer.close();

    // Update 1 is taken from the state as saved (marked here to tell it apart from a read).
    const marked = {
      ...saved,
      updates: saved.updates.map((u, i) => (i === 0 ? { ...u, rowsWritten: 12_345 } : u)),
    };
    const resumed = await openComplete(session, storage, marked);
    const full = await openComplete(session, storage);
    assert.equal(resumed.update(updateId(1))?.rowsWritten, 12_345, 'update 1 was not read again');
    assert.deepEqual(resumed.updates().slice(1), full.updates().slice(1));
    assert.deepEqual(
      resumed.updates().map((u) => [u.updateId, u.state, u.rowsWritten]),
      [
        [updateId(1), 'COMPLETED', 12_345],
        [updateId(2), 'COMPLETED', 25],
        [updateId(3), 'COMPLETED', 30],
      ],
    );
    assert.equal(resumed.lastSequence, full.lastSequence);
    assert.equal(resumed.version, full.version);
    assert.equal((await resumed.eventsOf(updateId(3))).length, 4);

    // A state of another log (the log was created again) is not used.
    const foreign = await openComplete(session, storage, { ...marked, tableId: 'another-table' });
    assert.deepEqual(foreign.updates(), full.updates());
    // Nor one from a version the log does not have.
    const ahead = await openComplete(session, storage, { ...marked, version: (full.version ?? 0) + 1 });
    assert.deepEqual(ahead.updates(), full.updates());
  } finally {
    await session.close();
  }
});

test("an update's errors, warnings and first error code are counted by complete(), and for events read later", async () => {
  const storage = join(tmpDir('event-index-errors'), '.sluice');
  const session = new Session();
  try {
    const writer = await EventLogWriter.open(session.db, storage);
    const write = (events: NewEvent[]) => writer.write(events.map((e) => writer.stamp(e)));
    const failure = (u: number, code: string): NewEvent => ({
      ...event(u, 'flow_progress', { flow_progress: { status: 'FAILED' } }, 't'),
      level: 'ERROR',
      error: { code, message: `failed with ${code}`, causes: [] },
    });
    const warning = (u: number): NewEvent => ({ ...event(u, 'flow_progress', {}, 't'), level: 'WARN' });
    await write(updateEvents(1, 10));
    await write([
      ...updateEvents(2, 0, false),
      warning(2),
      failure(2, 'FIRST_CODE'),
      failure(2, 'LATER_CODE'),
    ]);
    const index = await EventLogIndex.open(session.db, storage);
    assert.deepEqual(
      index.updates().map((u) => u.updateId),
      [updateId(2)],
      'the latest update is there at once',
    );
    await index.complete();
    const counts = () => index.updates().map((u) => [u.errors, u.warnings, u.errorCode]);
    assert.deepEqual(counts(), [
      [0, 0, null],
      [2, 1, 'FIRST_CODE'],
    ]);
    await write([failure(1, 'LATE'), warning(2)]);
    await index.refresh();
    assert.deepEqual(counts(), [
      [1, 0, 'LATE'],
      [2, 2, 'FIRST_CODE'],
    ]);
  } finally {
    await session.close();
  }
});

test('an index opens on the latest update read from the newest events, and complete() gives what a full read gives', async () => {
  const storage = join(tmpDir('event-index-latest'), '.sluice');
  const session = new Session();
  try {
    const writer = await EventLogWriter.open(session.db, storage);
    const write = (events: NewEvent[]) => writer.write(events.map((e) => writer.stamp(e)));
    await write(updateEvents(1, 10));
    // Update 2 holds more events than the first window of sequences read (4,096): its start is
    // found only when the window grows, and its range must still be exact.
    const progress = Array.from({ length: 5_000 }, () =>
      event(2, 'flow_progress', { flow_progress: { status: 'RUNNING' } }, 't'),
    );
    await write([...updateEvents(2, 20, false), ...progress]);
    // Events of no update after it (the latest update is the one of the newest update event).
    await write([
      {
        ...event(2, 'flow_progress', {}),
        origin: { ...event(2, 'flow_progress', {}).origin, update_id: null },
      },
    ]);
    const index = await EventLogIndex.open(session.db, storage);
    const [latest] = index.updates();
    assert.equal(index.updates().length, 1);
    assert.equal(latest?.updateId, updateId(2));
    assert.equal(latest?.firstSequence, 4, 'update 2 starts after the 4 events of update 1');
    assert.equal(latest?.lastSequence, 4 + 3 + 5_000 - 1);
    assert.equal(index.lastSequence, 4 + 3 + 5_000, 'the event of no update after it is read');
    assert.equal((await index.eventsOf(updateId(2))).length, 3 + 5_000);
    // An older update is found once every summary is read.
    assert.equal(index.update(updateId(1)), undefined);
    assert.equal((await index.page({ updateId: updateId(1) })).total, 4, 'page() completes the index itself');
    assert.deepEqual(
      index.updates().map((u) => [u.updateId, u.firstSequence, u.lastSequence, u.state, u.rowsWritten]),
      [
        [updateId(1), 0, 3, 'COMPLETED', 10],
        [updateId(2), 4, 4 + 3 + 5_000 - 1, 'RUNNING', 20],
      ],
    );
  } finally {
    await session.close();
  }
});

test('a late event of an update the index has not summarized yet is summarized from its first event', async () => {
  const storage = join(tmpDir('event-index-late'), '.sluice');
  const session = new Session();
  try {
    const writer = await EventLogWriter.open(session.db, storage);
    const write = (events: NewEvent[]) => writer.write(events.map((e) => writer.stamp(e)));
    await write(updateEvents(1, 10, false));
    await write(updateEvents(2, 20));
    const index = await EventLogIndex.open(session.db, storage);
    assert.deepEqual(
      index.updates().map((u) => u.updateId),
      [updateId(2)],
    );
    // Update 1's abnormal end, recorded late, before anything asked for every summary.
    await write([event(1, 'update_progress', { update_progress: { state: 'FAILED' } })]);
    const fresh = await index.refresh();
    assert.equal(fresh.length, 1);
    const full = await openComplete(session, storage);
    assert.deepEqual(index.update(updateId(1)), full.update(updateId(1)));
    assert.equal(index.update(updateId(1))?.firstSequence, 0);
    assert.equal(index.update(updateId(1))?.state, 'FAILED');
    await index.complete();
    assert.deepEqual(index.updates(), full.updates());
  } finally {
    await session.close();
  }
});
