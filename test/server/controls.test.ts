/**
 * The dashboard's controls against real updates: a `sluice run --continuous` in another process
 * is followed live round after round and stopped from the dashboard (SIGTERM, like Ctrl-C); a
 * continuous run started from the dashboard is stopped in-process; a start is refused with the
 * codes `sluice run` uses (the lock, contradicting refresh options, unknown datasets).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StatusJson } from '../../src/server/dashboard-types.ts';
import { type Dashboard, startDashboard } from '../../src/server/index.ts';
import { ROOT } from '../helpers/tmp.ts';
import { copyExample, watchLive } from './server-helpers.ts';

function post(d: Dashboard, path: string, body: unknown): Promise<Response> {
  return fetch(`${d.url}api/p/${d.pipelines[0]!.id}/${path}`, {
    method: 'POST',
    headers: { 'X-Sluice-Token': d.token, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function errorCode(r: Response): Promise<string | undefined> {
  return ((await r.json()) as { error?: { code: string } }).error?.code;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on('exit', (code) => resolve(code));
  });
}

const rows = (s: StatusJson, flow: string) => s.update?.flows.find((f) => f.flow === flow)?.rowsWritten ?? 0;

test('a continuous run in another process is followed live, refuses a second start, and stops from the dashboard', async () => {
  const dir = copyExample('ui-continuous');
  const d = await startDashboard({ dir, port: 0, pollMs: 50 });
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'sluice.js'), 'run', dir, '--continuous'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => (out += b));
  try {
    const live = `${d.url}api/p/${d.pipelines[0]!.id}/live`;
    // First round: the running update, seen from the log, holding the lock.
    const first = (await watchLive(live, (s) => s.running !== null && rows(s, 'bronze_events') === 1000)).at(
      -1,
    )!;
    assert.equal(rows(first, 'bronze_events'), 1000, out);
    assert.equal(first.running?.inProcess, false);
    assert.equal(first.update?.running, true);
    assert.equal(first.running?.updateId, first.update?.updateId);
    // A new file: the next round's rows reach the page without anyone asking.
    copyFileSync(
      join(dir, 'data', 'events', 'events-000000001.json'),
      join(dir, 'data', 'events', 'events-copy.json'),
    );
    const second = (await watchLive(live, (s) => rows(s, 'bronze_events') === 1500)).at(-1)!;
    assert.equal(rows(second, 'bronze_events'), 1500, out);
    assert.equal(second.update?.updateId, first.update?.updateId, 'the same continuous update');
    const bronze = second.update!.flows.find((f) => f.flow === 'bronze_events')!;
    assert.equal(bronze.numBatches, 2, 'batches add up over the rounds');
    assert.equal(bronze.retries, 0, 'a new round is not a retry');
    assert.deepEqual(
      bronze.dataQuality?.expectations.map((x) => [x.name, x.passed + x.failed]),
      [['parsed_cleanly', 1500]],
    );
    // The lock is held: a start is refused with sluice run's code.
    const refused = await post(d, 'updates', {});
    assert.equal(refused.status, 409);
    assert.equal(await errorCode(refused), 'PIPELINE_ALREADY_RUNNING');
    // Stop: the other process gets SIGTERM and ends its update CANCELED, as on Ctrl-C.
    const ending = watchLive(live, (s) => s.update?.state === 'CANCELED' && s.running === null);
    const stop = await post(d, 'stop', {});
    assert.equal(stop.status, 202, await stop.clone().text());
    assert.deepEqual(await stop.json(), { updateId: first.update!.updateId, how: 'signal' });
    assert.equal(await exited(child), 0, out);
    const last = (await ending).at(-1)!;
    assert.equal(last.update?.state, 'CANCELED');
    assert.equal(last.running, null);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await d.close();
  }
});

test('a continuous run started from the dashboard stops in-process; refresh options are checked as sluice run checks them', async () => {
  const dir = copyExample('ui-continuous-here');
  const d = await startDashboard({ dir, port: 0, pollMs: 50 });
  try {
    const conflicting = await post(d, 'updates', { refresh: ['silver_events'], fullRefreshAll: true });
    assert.equal(conflicting.status, 400);
    assert.equal(await errorCode(conflicting), 'CONFLICTING_PIPELINE_REFRESH_OPTIONS');
    const unknown = await post(d, 'updates', { fullRefresh: ['no_such_dataset'] });
    assert.equal(unknown.status, 400);
    assert.equal(await errorCode(unknown), 'DATASET_NOT_DEFINED');
    const badBody = await post(d, 'updates', { refresh: 'silver_events' });
    assert.equal(badBody.status, 400);
    assert.equal(await errorCode(badBody), 'USAGE');

    const live = `${d.url}api/p/${d.pipelines[0]!.id}/live`;
    const running = watchLive(
      live,
      (s) => s.running?.inProcess === true && rows(s, 'bronze_events') === 1000,
    );
    await sleep(100);
    const started = await post(d, 'updates', { continuous: true });
    assert.equal(started.status, 202, await started.clone().text());
    const { updateId } = (await started.json()) as { updateId: string };
    const seen = (await running).at(-1)!;
    assert.equal(seen.update?.updateId, updateId);
    const again = await post(d, 'updates', {});
    assert.equal(again.status, 409);
    assert.equal(await errorCode(again), 'PIPELINE_ALREADY_RUNNING');
    const ending = watchLive(live, (s) => s.update?.state === 'CANCELED' && s.running === null);
    const stop = await post(d, 'stop', {});
    assert.deepEqual(await stop.json(), { updateId, how: 'in-process' });
    const last = (await ending).at(-1)!;
    assert.equal(last.update?.updateId, updateId);
    assert.equal(last.running, null);
    const none = await post(d, 'stop', {});
    assert.equal(none.status, 409);
    assert.equal(await errorCode(none), 'UI_NO_RUNNING_UPDATE');
  } finally {
    await d.close();
  }
});
