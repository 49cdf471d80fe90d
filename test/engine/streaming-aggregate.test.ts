import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { nextWatermark } from '../../src/engine/flows/streaming-aggregate.ts';
import { runPipeline } from '../../src/index.ts';
import { readTable, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';
import {
  batches,
  emitted,
  emittedStart,
  events,
  files,
  lateRowsLogged,
  oracle,
  SESSION_SQL,
  SQL,
  sessionOracle,
  sessionsEmitted,
  sqlFor,
} from './event-streams.ts';

for (const seed of [1, 2, 3]) {
  test(`windowed aggregation of a disordered stream in random micro-batches equals the batch GROUP BY over the on-time rows (seed ${seed}), across two updates`, async () => {
    const all = events(seed, 300);
    const parts = batches(seed, all);
    const half = Math.floor(parts.length / 2);
    const dir = tmpDir('stream-agg');
    writeFiles(dir, {
      'spark-pipeline.yml': 'name: agg\n',
      'transformations/p.sql': SQL,
      ...files(parts.slice(0, half)),
    });
    const first = await runPipeline(dir, { cwd: dir });
    assert.equal(first.kind, 'ran');
    if (first.kind !== 'ran') return;
    assert.equal(first.result.state, 'COMPLETED', JSON.stringify(first.result.flows.map((f) => f.error)));
    assert.deepEqual(await emitted(dir), oracle(parts.slice(0, half)).rows, 'after the first update');

    writeFiles(dir, files(parts.slice(half), half));
    const second = await runPipeline(dir, { cwd: dir });
    assert.equal(second.kind === 'ran' && second.result.state, 'COMPLETED');
    const expected = oracle(parts);
    assert.ok(expected.late > 0 && expected.rows.length > 3, 'the stream has late rows and closed windows');
    assert.deepEqual(await emitted(dir), expected.rows);
    assert.equal(await lateRowsLogged(dir), expected.late);
  });
}

test('state lost from the checkpoint fails the flow with STATE_STORE_INCONSISTENT; a full refresh rebuilds table and state from the sources', async () => {
  const parts = batches(9, events(9, 200));
  const dir = tmpDir('stream-agg-state');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: agg\n',
    'transformations/p.sql': SQL,
    ...files(parts.slice(0, 3)),
  });
  const first = await runPipeline(dir, { cwd: dir });
  assert.equal(first.kind === 'ran' && first.result.state, 'COMPLETED');
  const stateDir = join(dir, '.sluice', 'checkpoints', 'per_minute', '0', 'state');
  // Only the committed batch's state version is kept.
  assert.deepEqual(readdirSync(stateDir).sort(), ['0000000002.json', '0000000002.parquet']);
  rmSync(stateDir, { recursive: true });
  writeFiles(dir, files(parts.slice(3), 3));
  const broken = await runPipeline(dir, { cwd: dir });
  assert.equal(broken.kind, 'ran');
  if (broken.kind !== 'ran') return;
  assert.equal(broken.result.state, 'FAILED');
  assert.equal(broken.result.flows[0]?.error?.code, 'STATE_STORE_INCONSISTENT');
  const rebuilt = await runPipeline(dir, { cwd: dir, fullRefresh: ['per_minute'] });
  assert.equal(rebuilt.kind === 'ran' && rebuilt.result.state, 'COMPLETED');
  assert.deepEqual(await emitted(dir), oracle(parts).rows);
});

for (const seed of [4, 5]) {
  test(`sliding windows (1 minute every 20 seconds): each (row, window) pair is on time or late as Spark decides, and the emitted windows equal the oracle (seed ${seed})`, async () => {
    const parts = batches(seed, events(seed, 250));
    const dir = tmpDir('stream-agg-sliding');
    writeFiles(dir, {
      'spark-pipeline.yml': 'name: agg\n',
      'transformations/p.sql': sqlFor('20 seconds'),
      ...files(parts),
    });
    const run = await runPipeline(dir, { cwd: dir });
    assert.equal(
      run.kind === 'ran' && run.result.state,
      'COMPLETED',
      run.kind === 'ran' ? JSON.stringify(run.result.flows.map((f) => f.error)) : '',
    );
    const expected = oracle(parts, 20_000);
    assert.ok(expected.late > 0);
    assert.deepEqual(await emitted(dir), expected.rows);
    assert.equal(await lateRowsLogged(dir), expected.late);
  });
}

for (const seed of [6, 7, 8]) {
  test(`session windows (5 s gap): sessions merge across random micro-batches and updates exactly as Spark's, late rows counted as its (seed ${seed})`, async () => {
    const parts = batches(seed, events(seed, 300));
    const half = Math.floor(parts.length / 2);
    const dir = tmpDir('stream-agg-session');
    writeFiles(dir, {
      'spark-pipeline.yml': 'name: agg\n',
      'transformations/p.sql': SESSION_SQL,
      ...files(parts.slice(0, half)),
    });
    const first = await runPipeline(dir, { cwd: dir });
    assert.equal(
      first.kind === 'ran' && first.result.state,
      'COMPLETED',
      first.kind === 'ran' ? JSON.stringify(first.result.flows.map((f) => f.error)) : '',
    );
    assert.deepEqual(await sessionsEmitted(dir), sessionOracle(parts.slice(0, half)).rows);
    writeFiles(dir, files(parts.slice(half), half));
    const second = await runPipeline(dir, { cwd: dir });
    assert.equal(second.kind === 'ran' && second.result.state, 'COMPLETED');
    const expected = sessionOracle(parts);
    assert.ok(expected.late > 0, 'the stream has late rows');
    assert.ok(
      expected.rows.some((r) => Number(r[3]) > 1),
      'some sessions merged several rows',
    );
    assert.deepEqual(await sessionsEmitted(dir), expected.rows);
    assert.equal(await lateRowsLogged(dir), expected.late);
  });
}

test('a state version in the earlier layout (no recorded columns: windows kept as structs) fails the flow with STATE_STORE_INCONSISTENT rather than being misread', async () => {
  const parts = batches(10, events(10, 120));
  const dir = tmpDir('stream-agg-old-state');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: agg\n',
    'transformations/p.sql': SQL,
    ...files(parts.slice(0, 2)),
  });
  const first = await runPipeline(dir, { cwd: dir });
  assert.equal(first.kind === 'ran' && first.result.state, 'COMPLETED');
  const meta = join(dir, '.sluice', 'checkpoints', 'per_minute', '0', 'state', '0000000001.json');
  const { columns: _, ...older } = JSON.parse(readFileSync(meta, 'utf8')) as Record<string, unknown>;
  writeFileSync(meta, JSON.stringify(older));
  writeFiles(dir, files(parts.slice(2), 2));
  const next = await runPipeline(dir, { cwd: dir });
  assert.equal(next.kind === 'ran' && next.result.flows[0]?.error?.code, 'STATE_STORE_INCONSISTENT');
});

test('count(DISTINCT x) in a windowed aggregation is exact across micro-batches and updates: the sets of values seen are kept in state', async () => {
  const parts = batches(15, events(15, 300));
  const half = Math.floor(parts.length / 2);
  const dir = tmpDir('stream-agg-distinct');
  const sql = `CREATE OR REFRESH STREAMING TABLE per_minute AS
SELECT window(ts, '1 minute') AS w, user, count(DISTINCT amount % 7) AS d
FROM STREAM read_files('data', format => 'json', maxFilesPerTrigger => '1',
                       schema => 'id INT, user STRING, ts TIMESTAMP, amount INT')
  WATERMARK ts DELAY OF INTERVAL 10 SECONDS
GROUP BY w, user;
`;
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: agg\n',
    'transformations/p.sql': sql,
    ...files(parts.slice(0, half)),
  });
  const first = await runPipeline(dir, { cwd: dir });
  assert.equal(
    first.kind === 'ran' && first.result.state,
    'COMPLETED',
    first.kind === 'ran' ? JSON.stringify(first.result.flows.map((f) => f.error)) : '',
  );
  writeFiles(dir, files(parts.slice(half), half));
  const second = await runPipeline(dir, { cwd: dir });
  assert.equal(second.kind === 'ran' && second.result.state, 'COMPLETED');
  const rows = await readTable(tableDir(dir, 'per_minute'), 'w.start, user');
  const expected = oracle(parts).distinct;
  assert.ok(expected.some((r) => Number(r[2]) > 1));
  assert.deepEqual(
    rows.map((r) => [emittedStart(r.w), r.user, Number(r.d)]),
    expected,
  );
});

test('the watermark is kept in whole milliseconds, as Spark keeps event-time statistics', () => {
  const wm = { column: 'ts', delayMicros: 10_000_500 };
  // max event 20.000999 s, delay 10.0005 s: Spark truncates each to ms → 20.000 − 10.000 = 10.000 s.
  assert.equal(nextWatermark(null, 20_000_999, wm), 10_000_000);
  // Never moves back; before any event time it stays where it was.
  assert.equal(nextWatermark(12_000_000, 20_000_999, wm), 12_000_000);
  assert.equal(nextWatermark(12_000_000, null, wm), 12_000_000);
  // Before 1970 the truncation is toward zero, as Java's long division.
  assert.equal(nextWatermark(null, -1_500, { column: 'ts', delayMicros: 0 }), -1_000);
});

test("rows a WHERE condition removes below the watermark do not move it (Spark's optimizer pushes the filter through the watermark)", async () => {
  const dir = tmpDir('stream-agg-filter');
  const rows = (xs: [string, string][]) =>
    `${xs.map(([ts, kind]) => JSON.stringify({ ts, kind })).join('\n')}\n`;
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: agg\n',
    'transformations/p.sql': `CREATE STREAMING TABLE per_minute AS
SELECT window(ts, '1 minute').start AS w, count(*) AS n
FROM STREAM read_files('in', format => 'json', schemaHints => 'ts TIMESTAMP') WATERMARK ts DELAY OF INTERVAL 10 SECONDS
WHERE kind = 'a' AND ts IS NOT NULL
GROUP BY window(ts, '1 minute');
`,
    // The 'b' row is two hours later: it is filtered out before the watermark, so it does not
    // close the 10:00 window.
    'in/1.json': rows([
      ['2024-01-01T10:00:00Z', 'a'],
      ['2024-01-01T12:00:00Z', 'b'],
    ]),
  });
  const first = await runPipeline(dir, { cwd: dir });
  assert.equal(first.kind === 'ran' && first.result.state, 'COMPLETED');
  writeFiles(dir, {
    'in/2.json': rows([
      ['2024-01-01T10:00:30Z', 'a'],
      ['2024-01-01T10:05:00Z', 'a'],
    ]),
  });
  const second = await runPipeline(dir, { cwd: dir });
  assert.equal(second.kind === 'ran' && second.result.state, 'COMPLETED');
  const got = (await readTable(tableDir(dir, 'per_minute'), 'w')).map((r) => [String(r.w), Number(r.n)]);
  // The 10:00 window closes in the second update with both of its rows (none of them late).
  assert.equal(got.length, 1);
  assert.equal(got[0]?.[1], 2);
});
