import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { query } from '../../src/index.ts';
import type {
  GraphJson,
  QualityJson,
  RowsJson,
  StatusJson,
  UpdatesJson,
} from '../../src/server/dashboard-types.ts';
import { startDashboard } from '../../src/server/index.ts';
import { runCli } from '../helpers/cli.ts';
import { ROOT, tmpDir } from '../helpers/tmp.ts';
import { copyExample, watchLive, writeFailingPipeline } from './server-helpers.ts';

async function get<T>(url: string): Promise<T> {
  const r = await fetch(url);
  assert.equal(r.status, 200, `${url}: ${await r.clone().text()}`);
  return (await r.json()) as T;
}

/** The `Data quality:` table of `sluice run`'s summary: `dataset.expectation` → pass rate text. */
function summaryPassRates(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  const section = stdout.slice(stdout.indexOf('Data quality:'));
  for (const m of section.matchAll(
    /^(\w+)\s+(\w+)\s+(?:warn|drop row|fail update|quarantine)\s+[\d,]+\s+[\d,]+\s+(\S+)$/gm,
  ))
    out.set(`${m[1]}.${m[2]}`, m[3]!);
  return out;
}

test('the API shows the example pipeline: its graph, the pass rates the CLI printed, the quarantined rows', async () => {
  const dir = copyExample('ui-api');
  const run = await runCli(['run', dir]);
  assert.equal(run.code, 0, run.stderr);
  const printed = summaryPassRates(run.stdout);
  assert.equal(printed.size, 8, run.stdout);
  const d = await startDashboard({ dir, port: 0 });
  try {
    const base = `${d.url}api/p/${d.pipelines[0]!.id}`;
    const graph = await get<GraphJson>(`${base}/graph`);
    assert.deepEqual(graph.datasets.map((x) => x.name).sort(), [
      'bronze_events',
      'quarantine_events',
      'silver_event_hourly_stats',
      'silver_events',
      'validated_events',
    ]);
    assert.deepEqual(
      graph.edges
        .filter((e) => !e.source)
        .map((e) => `${e.from}→${e.to}${e.streaming ? '' : ' (batch)'}`)
        .sort(),
      [
        'bronze_events→quarantine_events',
        'bronze_events→silver_events',
        'bronze_events→validated_events',
        'silver_events→silver_event_hourly_stats (batch)',
      ],
    );
    assert.deepEqual(
      graph.sources.map((s) => [s.format, s.path]),
      [['json', 'data/events']],
    );

    const quality = await get<QualityJson>(`${base}/quality`);
    const shown = new Map(
      quality.expectations.map((e) => {
        const h = e.history.at(-1)!;
        return [`${e.dataset}.${e.name}`, `${((100 * h.passed) / (h.passed + h.failed)).toFixed(2)}%`];
      }),
    );
    assert.deepEqual(shown, printed);

    for (const rule of ['', 'valid_user_id', 'event_id_not_null']) {
      const page = await get<RowsJson>(`${base}/quarantine?dataset=validated_events&rule=${rule}&limit=1000`);
      const where = rule ? ` WHERE array_contains(_violations, '${rule}')` : '';
      const expected = await query(`SELECT * FROM validated_events_quarantine${where}`, {
        pipeline: dir,
        cwd: dir,
      });
      assert.equal(page.total, expected.rows.length, rule);
      const ids = (rows: readonly Record<string, unknown>[]) =>
        rows.map((r) => `${r.event_id}|${r.user_id}|${r._batch_id}|${r._source}`).sort();
      assert.deepEqual(ids(page.rows), ids(expected.rows), rule);
      assert.ok(page.columns.includes('_violations') && page.columns.includes('_source'));
    }

    const updates = await get<UpdatesJson>(`${base}/updates`);
    assert.equal(updates.total, 1);
    assert.equal(updates.updates[0]!.state, 'COMPLETED');
    assert.equal(updates.updates[0]!.rowsWritten, 1000 + 960 + 60 + 940 + 10);
  } finally {
    await d.close();
  }
});

test('an update another process runs is followed live from the event log', async () => {
  const dir = copyExample('ui-external');
  const d = await startDashboard({ dir, port: 0, pollMs: 50 });
  try {
    const live = `${d.url}api/p/${d.pipelines[0]!.id}/live`;
    const watching = watchLive(live, (s) => s.update?.state === 'COMPLETED');
    await sleep(300);
    const run = await runCli(['run', dir]);
    assert.equal(run.code, 0, run.stderr);
    const seen = await watching;
    const last = seen.at(-1)!;
    assert.equal(last.update?.state, 'COMPLETED');
    assert.equal(last.update?.inProcess, false);
    assert.equal(last.update?.flows.find((f) => f.flow === 'silver_events')?.rowsWritten, 960);
    assert.equal(seen[0]!.update, null, 'before the run the pipeline had no update');
  } finally {
    await d.close();
  }
});

test('an update started through the API runs in the server; a failure shows its code and file:line', async () => {
  const dir = writeFailingPipeline(join(tmpDir('ui-fail'), 'failing'));
  const d = await startDashboard({ dir, port: 0 });
  const base = `${d.url}api/p/${d.pipelines[0]!.id}`;
  try {
    const watching = watchLive(`${base}/live`, (s) => s.update?.state === 'FAILED');
    await sleep(200);
    const r = await fetch(`${base}/updates`, {
      method: 'POST',
      headers: { 'X-Sluice-Token': d.token, 'Content-Type': 'application/json' },
      body: '{}',
    });
    assert.equal(r.status, 202, await r.clone().text());
    const { updateId } = (await r.json()) as { updateId: string };
    const seen = await watching;
    const failed = seen.at(-1)!.update!;
    assert.equal(failed.updateId, updateId);
    assert.equal(failed.inProcess, true);
    const flow = failed.flows.find((f) => f.flow === 'checked')!;
    assert.equal(flow.error?.code, 'EXPECTATION_VIOLATION');
    assert.deepEqual(flow.error?.location, { file: 'transformations/a.sql', line: 5, column: 3 });
    const skipped = failed.flows.find((f) => f.flow === 'doubled')!;
    assert.equal(skipped.state, 'SKIPPED');
    assert.equal(skipped.skippedBecause, 'checked');
  } finally {
    await d.close();
  }
  // Read back from the event log by another server: the same code and file:line.
  const again = await startDashboard({ dir, port: 0 });
  try {
    const status = await get<StatusJson>(`${again.url}api/p/${again.pipelines[0]!.id}/status`);
    const flow = status.update!.flows.find((f) => f.flow === 'checked')!;
    assert.equal(status.update!.state, 'FAILED');
    assert.equal(flow.error?.code, 'EXPECTATION_VIOLATION');
    assert.deepEqual(flow.error?.location, { file: 'transformations/a.sql', line: 5, column: 3 });
  } finally {
    await again.close();
  }
});

test('a folder of pipelines shows each of them', async () => {
  const root = tmpDir('ui-many');
  writeFailingPipeline(join(root, 'team-a', 'failing'));
  mkdirSync(join(root, 'b'), { recursive: true });
  writeFileSync(
    join(root, 'b', 'sluice.yml'),
    'name: other\nlibraries:\n  - glob:\n      include: transformations/**\n',
  );
  const d = await startDashboard({ dir: root, port: 0 });
  try {
    assert.deepEqual(
      d.pipelines.map((p) => [p.id, p.name]),
      [
        ['b', 'other'],
        ['failing', 'failing'],
      ],
    );
  } finally {
    await d.close();
  }
});

/** Whether bin/sluice.js runs the bundle (built and newer than every source), as it decides. */
function bundleInUse(): boolean {
  const newest = (d: string): number =>
    Math.max(
      0,
      ...readdirSync(d, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(join(d, e.name)) : statSync(join(d, e.name)).mtimeMs,
      ),
    );
  const bundle = statSync(join(ROOT, 'dist', 'sluice.cjs'), { throwIfNoEntry: false });
  return bundle !== undefined && bundle.mtimeMs >= newest(join(ROOT, 'src'));
}

test('sluice ui prints its URL, serves the graph validated on its worker thread and the definitions, and stops on SIGTERM', async () => {
  const dir = copyExample('ui-cli');
  // Start-up time is measured by `npm run bench -- ui`, not here.
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'sluice.js'), 'ui', dir, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SLUICE_UI_TIMING: '1' },
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (b) => (err += b));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (b) => {
      out += b;
      const m = /sluice ui: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', () => reject(new Error(`exited: ${out} ${err}`)));
  });
  const session = await get<{ pipelines: { id: string; name: string }[] }>(`${url}api/session`);
  assert.deepEqual(
    session.pipelines.map((p) => p.name),
    ['Event Streaming Pipeline'],
  );
  const base = `${url}api/p/${encodeURIComponent(session.pipelines[0]!.id)}`;
  const graph = await get<GraphJson>(`${base}/graph`);
  assert.equal(graph.datasets.length, 5);
  assert.equal(graph.layout.nodes.length, 6, 'five datasets and their file source are placed');
  // Which files may be served comes from this process's own validation (here: its worker's).
  const source = await get<{ file: string; line: number; text: string }>(
    `${base}/source?dataset=silver_events`,
  );
  assert.match(source.text.split('\n')[source.line - 1]!, /silver_events/);
  if (bundleInUse())
    assert.match(
      err,
      /worker started \(\d+ ms after it was asked, started with the process\)/,
      'the bundled CLI validates on the worker thread it started with the process',
    );
  else console.log('# dist/ is older than src/: sluice ran from the sources, validating on its own thread');
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, err);
});
