import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { listUpdates, readEvents } from '../../src/events/index.ts';
import { runPipeline } from '../../src/index.ts';
import { writeEventPipeline } from '../engine/event-pipeline.ts';
import { runCli } from '../helpers/cli.ts';
import { session } from '../helpers/session.ts';
import { ROOT, tmpDir } from '../helpers/tmp.ts';

test('sluice events prints the timeline, data quality and errors of the latest update', async () => {
  const dir = writeEventPipeline(join(tmpDir('events'), 'p'));
  const outcome = await runPipeline(dir, { cwd: dir });
  assert.equal(outcome.kind === 'ran' && outcome.result.state, 'FAILED');
  const r = await runCli(['events', '--pipeline', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /update_progress\s+Update \w+ is RUNNING\./);
  assert.match(
    r.stdout,
    /flow_progress\s+gold_amounts\s+Flow 'gold_amounts' has FAILED: EXPECTATION_VIOLATION/,
  );
  assert.match(r.stdout, /silver_events\s+valid_user_id\s+7\s+3\s+70\.00%\s+COMPLETED/);
  assert.match(r.stdout, /Errors:\n {2}EXPECTATION_VIOLATION \(flow gold_amounts\)/);
  assert.match(r.stdout, /Update state: FAILED/);
  assert.doesNotMatch(r.stdout, /dataset_definition/);
  const j = await runCli(['events', '--format', 'json', '--level', 'error', '--type', 'flow_progress'], {
    cwd: dir,
  });
  assert.equal(j.code, 0, j.stderr);
  const rows = JSON.parse(j.stdout) as {
    origin: { flow_name: string };
    error: { code: string };
    details: { flow_progress: { status: string } };
  }[];
  assert.deepEqual(
    rows.map((x) => [x.origin.flow_name, x.error.code, x.details.flow_progress.status]),
    [['gold_amounts', 'EXPECTATION_VIOLATION', 'FAILED']],
  );
});

test('a killed update keeps its events; --follow sees it die; the next update records the abnormal end', async () => {
  const dir = writeEventPipeline(join(tmpDir('events-crash'), 'p'), { failing: false });
  const storage = join(dir, '.sluice');
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'sluice.js'), 'run', dir, '--continuous'], {
    stdio: 'ignore',
  });
  try {
    for (let i = 0; ; i++) {
      const done = (await readEvents(session.db, storage, { types: ['flow_progress'] })).some(
        (e) =>
          e.origin.flow_name === 'user_totals' && JSON.parse(e.details).flow_progress.status === 'COMPLETED',
      );
      if (done) break;
      assert.ok(i < 200, 'the continuous update did not get going');
      await sleep(100);
    }
  } finally {
    child.kill('SIGKILL');
  }
  await new Promise((r) => child.once('close', r));
  const [dead] = await listUpdates(session.db, storage);
  assert.equal(dead!.state, 'RUNNING');
  assert.equal(dead!.end_time, null);

  const f = await runCli(['events', '--pipeline', dir, '--follow']);
  assert.equal(f.code, 1);
  assert.match(f.stderr, /ended abnormally/);
  assert.match(f.stdout, /Flow 'user_totals' has COMPLETED/);

  const next = await runPipeline(dir, { cwd: dir });
  assert.equal(next.kind === 'ran' && next.result.state, 'COMPLETED');
  const marks = (
    await readEvents(session.db, storage, { updateId: dead!.update_id, types: ['update_progress'] })
  ).at(-1)!;
  assert.equal(marks.error?.code, 'UPDATE_ENDED_ABNORMALLY');
  assert.equal(JSON.parse(marks.details).update_progress.state, 'FAILED');
  const updates = await listUpdates(session.db, storage);
  assert.deepEqual(
    updates.map((u) => [u.update_id, u.state]),
    [
      [dead!.update_id, 'FAILED'],
      [next.kind === 'ran' ? next.result.updateId : '', 'COMPLETED'],
    ],
  );
});
