import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { type FlowResult, runPipeline, type SluiceError, validatePipeline } from '../../../src/index.ts';
import { snapshotScanSql } from '../../../src/storage/delta/scan.ts';
import { loadSnapshot } from '../../../src/storage/delta/snapshot.ts';
import { duck, ndjson, readTable, tableDir, writeFiles } from '../../helpers/pipeline.ts';
import { session } from '../../helpers/session.ts';
import { tmpDir } from '../../helpers/tmp.ts';
import { batches, type Event, events, lateRowsLogged } from '../event-streams.ts';
import { joinedRows, joinFiles, joinOracle, sideBatches, sideEvents } from '../join-streams.ts';

// A computed event time (`WATERMARK to_timestamp(ts_str) AS ts DELAY OF …`, the shape of
// Databricks' WATERMARK clause example) runs as an ordinary watermarked event-time column:
// windowed aggregation (batch by batch and in fused catch-up), de-duplication, stream–stream
// joins, late rows and state — checked against independent computations over the on-time rows.

const WINDOW = 60_000;
const DELAY = 10_000;

/** `2026-01-01 00:00:05.123`: the event time as text, as a producer might send it. */
const text = (ts: number) => new Date(ts).toISOString().replace('T', ' ').replace('Z', '');

/** One JSON file per batch, with the event time as text (`ts_str`) and as an instant (`ts`). */
function eventFiles(parts: readonly Event[][], from = 0): Record<string, string> {
  const out: Record<string, string> = {};
  parts.forEach((p, i) => {
    out[`data/part-${String(from + i).padStart(4, '0')}.json`] = ndjson(
      p.map((e) => ({
        id: e.id,
        user: e.user,
        ts: e.ts === null ? null : new Date(e.ts).toISOString(),
        ts_str: e.ts === null ? null : text(e.ts),
        amount: e.amount,
      })),
    );
  });
  return out;
}

/** The docs' example over the test streams: 1-minute windows of a computed event time. */
const AGG_SQL = `CREATE OR REFRESH STREAMING TABLE per_minute AS
SELECT window(ts, '1 minute').start AS w, user, count(*) AS n, sum(amount) AS total
FROM STREAM read_files('data', format => 'json', maxFilesPerTrigger => '1',
                       schema => 'id INT, user STRING, ts_str STRING, amount INT')
  WATERMARK to_timestamp(ts_str) AS ts DELAY OF INTERVAL 10 SECONDS AS e
GROUP BY window(ts, '1 minute'), user;
`;

/**
 * The on-time rows of a windowed aggregation in append mode (a row is late when its window ends
 * at or before the watermark after the previous batch; the watermark moves to max(event time) −
 * delay after each batch), and the final watermark.
 */
function onTime(parts: readonly Event[][]): { rows: Event[]; late: number; watermark: number } {
  let watermark: number | null = null;
  let late = 0;
  const rows: Event[] = [];
  for (const part of parts) {
    let max: number | null = null;
    for (const e of part) {
      if (e.ts === null) continue;
      max = max === null ? e.ts : Math.max(max, e.ts);
      const end = e.ts - (e.ts % WINDOW) + WINDOW;
      if (watermark !== null && end <= watermark) late++;
      else rows.push(e);
    }
    if (max !== null) watermark = Math.max(watermark ?? -Infinity, max - DELAY);
  }
  return { rows, late, watermark: watermark! };
}

/** What the aggregation emits, computed by DuckDB alone over the on-time rows' text times. */
async function expectedWindows(dir: string, parts: readonly Event[][]) {
  const { rows, late, watermark } = onTime(parts);
  const file = join(dir, 'on-time.json');
  writeFiles(dir, {
    'on-time.json': ndjson(rows.map((e) => ({ user: e.user, ts_str: text(e.ts!), amount: e.amount }))),
  });
  const windows = await duck(
    `SELECT strftime(b, '%Y-%m-%dT%H:%M:%S.000Z') AS w, user, count(*)::INT AS n, sum(amount)::INT AS total
     FROM (SELECT *, time_bucket(INTERVAL 1 minute, CAST(ts_str AS TIMESTAMP)) AS b
           FROM read_json('${file}', columns = {user: 'VARCHAR', ts_str: 'VARCHAR', amount: 'INTEGER'}))
     WHERE b + INTERVAL 1 minute <= make_timestamp(${watermark * 1000}::BIGINT)
     GROUP BY ALL ORDER BY w, user`,
  );
  return { windows: windows.map((r) => [r.w, r.user, r.n, r.total]), late };
}

const iso = (v: unknown) =>
  new Date(
    String(v)
      .replace(' ', 'T')
      .replace(/\+00(:00)?$/, 'Z'),
  ).toISOString();

async function emittedWindows(dir: string) {
  const rows = await readTable(tableDir(dir, 'per_minute'), 'w, user');
  return rows.map((r) => [iso(r.w), r.user, Number(r.n), Number(r.total)]);
}

/** Per batch, from the event log: [batch, rows emitted, watermark, late rows]. */
async function progress(dir: string) {
  const log = await loadSnapshot(join(dir, '.sluice', 'system', 'event_log'));
  const rows = await duck(
    `SELECT details FROM (${snapshotScanSql(log)}) WHERE event_type = 'flow_progress' AND level = 'METRICS'`,
  );
  return rows
    .map((r) => {
      const p = (
        JSON.parse(String(r.details)) as {
          flow_progress: {
            batch_id: number;
            metrics: { num_output_rows: number };
            event_time: { watermark: string | null };
            state_operators: { num_rows_dropped_by_watermark: number }[];
          };
        }
      ).flow_progress;
      return [
        p.batch_id,
        p.metrics.num_output_rows,
        p.event_time.watermark,
        p.state_operators[0]!.num_rows_dropped_by_watermark,
      ];
    })
    .sort((a, b) => Number(a[0]) - Number(b[0]));
}

/** Runs one update with fusion capped at `fuse` batches per group (1: batch by batch). */
async function update(dir: string, fuse?: number): Promise<void> {
  const before = process.env.SLUICE_FUSE_BATCHES;
  if (fuse !== undefined) process.env.SLUICE_FUSE_BATCHES = String(fuse);
  try {
    const run = await runPipeline(dir, { cwd: dir });
    assert.equal(
      run.kind === 'ran' && run.result.state,
      'COMPLETED',
      run.kind === 'ran' ? JSON.stringify(run.result.flows.map((f) => f.error?.message)) : '',
    );
  } finally {
    if (before === undefined) delete process.env.SLUICE_FUSE_BATCHES;
    else process.env.SLUICE_FUSE_BATCHES = before;
  }
}

for (const seed of [31, 32]) {
  test(`windows of a computed event time over random micro-batches and two updates equal DuckDB's windows of the on-time rows, late rows counted; fused catch-up gives what batch by batch gives (seed ${seed})`, async () => {
    const parts = batches(seed, events(seed, 260));
    const half = Math.floor(parts.length / 2);
    const dirs = { fused: tmpDir('event-time-fused'), single: tmpDir('event-time-single') };
    for (const dir of Object.values(dirs)) {
      writeFiles(dir, {
        'spark-pipeline.yml': 'name: event_time\n',
        'transformations/p.sql': AGG_SQL,
        ...eventFiles(parts.slice(0, half)),
      });
    }
    await update(dirs.fused, 6);
    await update(dirs.single, 1);
    // A second update after new files continues from the state and watermark the first one left.
    for (const dir of Object.values(dirs)) writeFiles(dir, eventFiles(parts.slice(half), half));
    await update(dirs.fused, 6);
    await update(dirs.single, 1);

    const expected = await expectedWindows(dirs.single, parts);
    assert.ok(expected.late > 0, 'the stream has late rows');
    assert.ok(expected.windows.length > 10, `windows close (${expected.windows.length})`);
    assert.deepEqual(await emittedWindows(dirs.single), expected.windows);
    assert.equal(await lateRowsLogged(dirs.single), expected.late);
    const single = await progress(dirs.single);
    assert.equal(single.length, parts.length, 'one batch per file');
    assert.deepEqual(await progress(dirs.fused), single, 'per batch: rows emitted, watermark, late rows');
    assert.deepEqual(await emittedWindows(dirs.fused), expected.windows);
    const version = async (dir: string) => (await loadSnapshot(tableDir(dir, 'per_minute'))).version;
    assert.ok(
      (await version(dirs.fused)) < (await version(dirs.single)),
      'fused groups commit once for several batches',
    );
  });
}

test("the docs' example over a pipeline dataset: STREAM(raw) WATERMARK to_timestamp(ts_str) AS ts, one batch per update", async () => {
  const all = events(33, 200);
  // Each update reads what `raw` gained since the last one as one batch; the last one brings
  // events held back from the first (late but for those whose window is still open).
  const held = (e: Event) => e.id % 5 === 0 && e.id < 100;
  const updates = [all.slice(0, 120).filter((e) => !held(e)), all.slice(120), all.filter(held)];
  const dir = tmpDir('event-time-dataset');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: event_time\n',
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE raw AS
SELECT * FROM STREAM read_files('data', format => 'json', schema => 'id INT, user STRING, ts_str STRING, amount INT');
CREATE OR REFRESH STREAMING TABLE per_minute AS
SELECT window(ts, '1 minute').start AS w, user, count(*) AS n, sum(amount) AS total
FROM STREAM(raw) WATERMARK to_timestamp(ts_str) AS ts DELAY OF INTERVAL 10 SECONDS
GROUP BY window(ts, '1 minute'), user;
CREATE OR REFRESH STREAMING TABLE with_time AS SELECT * FROM STREAM(raw) WATERMARK to_timestamp(ts_str) AS ts DELAY OF INTERVAL 10 SECONDS;
`,
  });
  for (const [i, rows] of updates.entries()) {
    writeFiles(dir, eventFiles([rows], i));
    await update(dir);
  }
  const expected = await expectedWindows(dir, updates);
  assert.ok(expected.late > 0, 'later updates bring late rows');
  assert.deepEqual(await emittedWindows(dir), expected.windows);
  assert.equal(await lateRowsLogged(dir), expected.late);
  // The computed column is a column of the read: first, then the relation's columns (Spark's order).
  const withTime = await readTable(tableDir(dir, 'with_time'), 'id');
  assert.deepEqual(Object.keys(withTime[0]!), ['ts', 'id', 'user', 'ts_str', 'amount']);
  assert.deepEqual(
    withTime.map((r) => (r.ts === null ? null : iso(r.ts))),
    all.map((e) => (e.ts === null ? null : new Date(e.ts).toISOString())),
  );
});

test('SELECT DISTINCT over a computed event time gives, batch by batch, what it gives over the same event time as a TIMESTAMP column', async () => {
  const parts = batches(34, events(34, 220));
  const parts2 = parts.map((p, i) => (i % 3 === 2 ? [...p, ...(parts[i - 1] ?? [])] : p));
  const sql = (read: string) => `CREATE OR REFRESH STREAMING TABLE unique_events AS
SELECT DISTINCT id, user, ts
FROM STREAM read_files('data', format => 'json', maxFilesPerTrigger => '1', ${read};
`;
  const dirs = {
    computed: sql(
      "schema => 'id INT, user STRING, ts_str STRING, amount INT')\n  WATERMARK to_timestamp(ts_str) AS ts DELAY OF INTERVAL 10 SECONDS",
    ),
    column: sql(
      "schema => 'id INT, user STRING, ts TIMESTAMP, amount INT')\n  WATERMARK ts DELAY OF INTERVAL 10 SECONDS",
    ),
  };
  const out: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(dirs)) {
    const dir = tmpDir(`event-time-dedup-${name}`);
    writeFiles(dir, {
      'spark-pipeline.yml': 'name: dedup\n',
      'transformations/p.sql': p,
      ...eventFiles(parts2),
    });
    await update(dir);
    const rows = await readTable(tableDir(dir, 'unique_events'), 'id, ts');
    out[name] = {
      rows: rows.map((r) => [r.id, r.user, r.ts === null ? null : iso(r.ts)]),
      progress: await progress(dir),
    };
  }
  const computed = out.computed as { rows: unknown[]; progress: unknown[][] };
  assert.ok(computed.rows.length > 100);
  assert.ok(
    computed.progress.some((p) => Number(p[3]) > 0),
    'some duplicates arrive late',
  );
  assert.deepEqual(out.computed, out.column);
});

test('a stream–stream left join of two computed event times equals the join of the on-time rows', async () => {
  const a = sideBatches(41, sideEvents(41, 200));
  const b = sideBatches(141, sideEvents(141, 200, 20_000));
  const side = (s: 'a' | 'b') =>
    `STREAM read_files('${s}', format => 'json', maxFilesPerTrigger => '1', schema => 'id INT, ${s}_ts STRING, tag STRING')
  WATERMARK to_timestamp(${s}_ts) AS ${s}_time DELAY OF INTERVAL 10 SECONDS AS ${s}`;
  const dir = tmpDir('event-time-join');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: joins\n',
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE joined AS
SELECT a.id, a.a_time AS a_ts, a.tag AS a_tag, b.b_time AS b_ts, b.tag AS b_tag
FROM ${side('a')}
LEFT JOIN ${side('b')}
ON a.id = b.id AND b.b_time BETWEEN a.a_time AND a.a_time + INTERVAL 1 MINUTE;
`,
    ...joinFiles(a, b),
  });
  await update(dir);
  const expected = joinOracle(a, b, 'left');
  assert.ok(expected.late > 0, 'some rows arrive after the watermark');
  const rows = await joinedRows(dir);
  assert.ok(rows.length > 50, `the streams match often enough (${rows.length} rows)`);
  assert.deepEqual(rows, expected.rows);
  assert.equal(await lateRowsLogged(dir), expected.late);
});

type Brief = [code: string, dataset: string | undefined, line: number | undefined];
const brief = (e: SluiceError): Brief => [e.code, e.dataset, e.location?.line];

const REFUSED = `CREATE OR REFRESH STREAMING TABLE dates AS SELECT * FROM STREAM read_files('data', format => 'json', schema => 'id INT, ts_str STRING')
  WATERMARK to_date(ts_str) AS d DELAY OF INTERVAL 10 SECONDS;
CREATE OR REFRESH STREAMING TABLE local_times AS SELECT * FROM STREAM read_files('data', format => 'json', schema => 'id INT, ts_str STRING')
  WATERMARK to_timestamp_ntz(ts_str) AS t DELAY OF INTERVAL 10 SECONDS;
CREATE OR REFRESH STREAMING TABLE texts AS SELECT * FROM STREAM read_files('data', format => 'json', schema => 'id INT, ts_str STRING')
  WATERMARK concat(ts_str, 'Z') AS t DELAY OF INTERVAL 10 SECONDS;
CREATE OR REFRESH STREAMING TABLE clash AS SELECT * FROM STREAM read_files('data', format => 'json', schema => 'id INT, ts_str STRING')
  WATERMARK to_timestamp(ts_str) AS ID DELAY OF INTERVAL 10 SECONDS;
CREATE OR REFRESH STREAMING TABLE fine AS SELECT * FROM STREAM read_files('data', format => 'json', schema => 'id INT, ts_str STRING')
  WATERMARK to_timestamp(ts_str) AS t DELAY OF INTERVAL 10 SECONDS;
`;

test('an event time that is not a TIMESTAMP, or named like a column of the stream, is refused at validate and at run with its code, dataset and line', async () => {
  const dir = tmpDir('event-time-refused');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: refused\n',
    'transformations/p.sql': REFUSED,
    'data/a.json': ndjson([{ id: 1, ts_str: '2026-01-01 00:00:01' }]),
  });
  const expected: Brief[] = [
    ['EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE', 'dates', 2],
    ['EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE', 'local_times', 4],
    ['EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE', 'texts', 6],
    ['WATERMARK_EVENT_TIME_CONFLICT', 'clash', 8],
  ];
  const v = await validatePipeline(dir, { session });
  const sorted = (l: Brief[]) => [...l].sort((x, y) => Number(x[2]) - Number(y[2]));
  assert.deepEqual(sorted(v.errors.map(brief)), expected);
  assert.match(v.errors.find((e) => e.dataset === 'local_times')!.message, /TIMESTAMP_NTZ/);
  const run = await runPipeline(dir, { session });
  assert.equal(run.kind, 'ran');
  if (run.kind !== 'ran') return;
  const failed = run.result.flows.filter((f: FlowResult) => f.state === 'FAILED');
  assert.deepEqual(sorted(failed.map((f) => brief(f.error!))), expected);
  assert.deepEqual(
    (await readTable(tableDir(dir, 'fine'), 'id')).map((r) => r.id),
    [1],
  );
});

test('with no files to tell the type at validate, the run refuses an event time that is not a TIMESTAMP', async () => {
  const dir = tmpDir('event-time-refused-run');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: refused\n',
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE t AS SELECT * FROM STREAM read_files('data', format => 'json')
  WATERMARK to_date(ts_str) AS d DELAY OF INTERVAL 10 SECONDS;
`,
  });
  const v = await validatePipeline(dir, { session });
  assert.deepEqual(v.errors, []);
  writeFiles(dir, { 'data/a.json': ndjson([{ id: 1, ts_str: '2026-01-01 00:00:01' }]) });
  const run = await runPipeline(dir, { session });
  assert.equal(run.kind === 'ran' && run.result.state, 'FAILED');
  if (run.kind !== 'ran') return;
  assert.deepEqual(brief(run.result.flows[0]!.error!), ['EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE', 't', 2]);
});

test('a non-deterministic or unnamed event time is refused at validate with its code, dataset and line', async () => {
  const dir = tmpDir('event-time-refused-compile');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: refused\n',
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE clock AS SELECT * FROM STREAM read_files('data', format => 'json')
  WATERMARK current_timestamp() AS t DELAY OF INTERVAL 10 SECONDS;
CREATE OR REFRESH STREAMING TABLE dice AS SELECT * FROM STREAM read_files('data', format => 'json')
  WATERMARK timestamp_seconds(epoch + rand()) AS t DELAY OF INTERVAL 10 SECONDS;
CREATE OR REFRESH STREAMING TABLE unnamed AS SELECT * FROM STREAM read_files('data', format => 'json')
  WATERMARK to_timestamp(ts_str) DELAY OF INTERVAL 10 SECONDS;
`,
  });
  const v = await validatePipeline(dir, { session });
  assert.deepEqual(
    v.errors.map(brief).sort((x, y) => Number(x[2]) - Number(y[2])),
    [
      ['WATERMARK_EVENT_TIME_NOT_DETERMINISTIC', 'clock', 2],
      ['WATERMARK_EVENT_TIME_NOT_DETERMINISTIC', 'dice', 4],
      ['REQUIRES_EXPLICIT_NAME_IN_WATERMARK_CLAUSE', 'unnamed', 6],
    ],
  );
});

test("a watermark on a column of the stream that is not a TIMESTAMP, or not there, is refused at validate and at run (Spark's analysis), stateful or not", async () => {
  const dir = tmpDir('event-time-plain-column');
  const read = "STREAM read_files('data', format => 'json', schemaHints => 's STRING, ts TIMESTAMP')";
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: plain\n',
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE agg AS SELECT window(s, '1 minute') AS w, count(*) AS n
  FROM ${read} WATERMARK s DELAY OF INTERVAL 10 SECONDS GROUP BY window(s, '1 minute');
CREATE OR REFRESH STREAMING TABLE copy AS SELECT * FROM ${read} WATERMARK s DELAY OF INTERVAL 10 SECONDS;
CREATE OR REFRESH STREAMING TABLE missing AS SELECT * FROM ${read} WATERMARK nope DELAY OF INTERVAL 10 SECONDS;
CREATE OR REFRESH STREAMING TABLE fine AS SELECT * FROM ${read} WATERMARK ts DELAY OF INTERVAL 10 SECONDS;
`,
    'data/a.json': ndjson([{ id: 1, s: '2026-01-01 00:00:01', ts: '2026-01-01T00:00:01Z' }]),
  });
  const v = await validatePipeline(dir, { session });
  const codes = (l: readonly SluiceError[]) =>
    l.map((e) => [e.code, e.dataset] as const).sort((x, y) => String(x[1]).localeCompare(String(y[1])));
  const expected = [
    ['EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE', 'agg'],
    ['EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE', 'copy'],
    ['UNRESOLVED_COLUMN', 'missing'],
  ];
  assert.deepEqual(codes(v.errors), expected);
  assert.match(v.errors.find((e) => e.dataset === 'copy')!.message, /'s' is of type STRING/);
  const run = await runPipeline(dir, { session });
  assert.equal(run.kind, 'ran');
  if (run.kind !== 'ran') return;
  const failed = run.result.flows.filter((f: FlowResult) => f.state === 'FAILED');
  assert.deepEqual(codes(failed.map((f) => f.error!)), expected);
  assert.deepEqual(
    (await readTable(tableDir(dir, 'fine'), 'id')).map((r) => Number(r.id)),
    [1],
  );
});
