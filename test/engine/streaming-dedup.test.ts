import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runPipeline } from '../../src/index.ts';
import { readTable, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { batches, type Event, events, files, lateRowsLogged, rng } from './event-streams.ts';

const DELAY = 10_000;

const SQL = `CREATE OR REFRESH STREAMING TABLE unique_events AS
SELECT DISTINCT id, user, ts
FROM STREAM read_files('data', format => 'json', maxFilesPerTrigger => '1',
                       schema => 'id INT, user STRING, ts TIMESTAMP, amount INT')
  WATERMARK ts DELAY OF INTERVAL 10 SECONDS;
`;

/** Events where some are delivered again, up to ~30 events later (a retrying producer). */
function withDuplicates(seed: number, all: readonly Event[]): Event[] {
  const r = rng(seed * 13 + 5);
  const out = [...all];
  for (let i = 0; i < all.length / 3; i++) {
    const at = Math.floor(r() * out.length);
    const dup = out[Math.max(0, at - 1 - Math.floor(r() * 30))]!;
    out.splice(at, 0, dup);
  }
  return out;
}

/**
 * Spark's dropDuplicates with a watermark: a row is late when its event time is at or before the
 * watermark after the previous batch; an on-time row is emitted the first time it is seen.
 */
function oracle(parts: readonly Event[][]) {
  let watermark: number | null = null;
  let late = 0;
  const emitted = new Map<string, Event>();
  for (const part of parts) {
    const distinct = new Map(part.map((e) => [`${e.id}|${e.user}|${e.ts}`, e]));
    let max: number | null = null;
    for (const e of part) if (e.ts !== null) max = max === null ? e.ts : Math.max(max, e.ts);
    for (const [k, e] of distinct) {
      if (watermark !== null && e.ts !== null && e.ts <= watermark) late++;
      else if (!emitted.has(k)) emitted.set(k, e);
    }
    if (max !== null) watermark = Math.max(watermark ?? -Infinity, max - DELAY);
  }
  const inState = [...emitted.values()].filter(
    (e) => e.ts === null || watermark === null || e.ts > watermark,
  ).length;
  const rows = [...emitted.values()]
    .map((e) => [e.id, e.user, e.ts === null ? null : new Date(e.ts).toISOString()])
    .sort((a, b) => Number(a[0]) - Number(b[0]) || String(a[2]).localeCompare(String(b[2])));
  return { rows, late, inState };
}

for (const seed of [11, 12]) {
  test(`SELECT DISTINCT over a watermarked stream emits each row once, drops late duplicates, and keeps state bounded (seed ${seed})`, async () => {
    const parts = batches(seed, withDuplicates(seed, events(seed, 250)));
    const half = Math.floor(parts.length / 2);
    const dir = tmpDir('stream-dedup');
    writeFiles(dir, {
      'spark-pipeline.yml': 'name: dedup\n',
      'transformations/p.sql': SQL,
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
    if (second.kind !== 'ran') return;
    const expected = oracle(parts);
    assert.ok(expected.late > 0, 'some duplicates arrive after the watermark');
    const rows = await readTable(tableDir(dir, 'unique_events'), 'id, ts');
    assert.deepEqual(
      rows.map((r) => [
        Number(r.id),
        r.user,
        r.ts === null
          ? null
          : new Date(
              String(r.ts)
                .replace(' ', 'T')
                .replace(/\+00(:00)?$/, 'Z'),
            ).toISOString(),
      ]),
      expected.rows,
    );
    assert.equal(await lateRowsLogged(dir), expected.late);
    // State holds only the rows the watermark has not passed.
    const stateDir = join(dir, '.sluice', 'checkpoints', 'unique_events', '0', 'state');
    const last = readdirSync(stateDir)
      .filter((n) => n.endsWith('.json'))
      .sort()
      .at(-1)!;
    const meta = JSON.parse(readFileSync(join(stateDir, last), 'utf8')) as { stateRows: number };
    assert.equal(meta.stateRows, expected.inState);
    assert.ok(meta.stateRows < expected.rows.length / 4, 'state is bounded by the watermark');
  });
}

/** A TS pipeline: dropDuplicatesWithinWatermark by user over the watermarked stream. */
const WITHIN_TS = `import { dropDuplicatesWithinWatermark, readFiles, stream, table, withWatermark } from 'sluice';
const events = withWatermark(
  stream(readFiles('data', { format: 'json', maxFilesPerTrigger: '1', schema: 'id INT, user STRING, ts TIMESTAMP, amount INT' })),
  'ts',
  '10 seconds',
);
table({ name: 'first_per_user' }, dropDuplicatesWithinWatermark(events, ['user']));
`;

/**
 * Spark's dropDuplicatesWithinWatermark(user), batch by batch: a row is late when its event time
 * is at or before the watermark after the previous batch; an on-time row whose user has no live
 * key in state is emitted (the first in input order) and its key lives until the watermark
 * reaches its event time + delay; the watermark then moves to max(event time) − delay and the
 * keys it reached leave state.
 */
function withinOracle(parts: readonly Event[][]) {
  let watermark: number | null = null;
  let late = 0;
  const live = new Map<string, number | null>();
  const out: Event[] = [];
  for (const part of parts) {
    let max: number | null = null;
    for (const e of part) {
      if (e.ts !== null) max = max === null ? e.ts : Math.max(max, e.ts);
      if (watermark !== null && e.ts !== null && e.ts <= watermark) {
        late++;
        continue;
      }
      if (live.has(e.user)) continue;
      live.set(e.user, e.ts === null ? null : e.ts + DELAY);
      out.push(e);
    }
    if (max !== null) watermark = Math.max(watermark ?? -Infinity, max - DELAY);
    for (const [user, expires] of live)
      if (expires !== null && watermark !== null && expires <= watermark) live.delete(user);
  }
  return {
    rows: out.map((e) => [e.id, e.user]).sort((a, b) => Number(a[0]) - Number(b[0])),
    late,
    live: live.size,
  };
}

for (const seed of [13, 14]) {
  test(`dropDuplicatesWithinWatermark from the TypeScript API keeps the first row of a key until the watermark passes its event time + delay, as Spark (seed ${seed})`, async () => {
    const parts = batches(seed, withDuplicates(seed, events(seed, 250)));
    const half = Math.floor(parts.length / 2);
    const dir = tmpDir('stream-dedup-within');
    writeFiles(dir, {
      'spark-pipeline.yml': 'name: dedup\n',
      'transformations/p.ts': WITHIN_TS,
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
    const expected = withinOracle(parts);
    assert.ok(expected.late > 0, 'some rows arrive after the watermark');
    const rows = await readTable(tableDir(dir, 'first_per_user'), 'id');
    assert.ok(expected.rows.length > 3 && expected.rows.length < parts.flat().length / 3);
    assert.deepEqual(
      rows.map((r) => [Number(r.id), r.user]),
      expected.rows,
    );
    // The whole first row is kept, all of its columns.
    assert.deepEqual(Object.keys(rows[0]!).slice(0, 4), ['id', 'user', 'ts', 'amount']);
    assert.equal(await lateRowsLogged(dir), expected.late);
    const stateDir = join(dir, '.sluice', 'checkpoints', 'first_per_user', '0', 'state');
    const last = readdirSync(stateDir)
      .filter((n) => n.endsWith('.json'))
      .sort()
      .at(-1)!;
    const meta = JSON.parse(readFileSync(join(stateDir, last), 'utf8')) as { stateRows: number };
    assert.equal(meta.stateRows, expected.live);
  });
}

test("a de-duplication's watermark moves only with the rows its WHERE keeps (the filter is pushed below the watermark, as in Spark)", async () => {
  const dir = tmpDir('stream-dedup-filter');
  const rows = (xs: [string, string, string][]) =>
    `${xs.map(([ts, kind, k]) => JSON.stringify({ ts, kind, k })).join('\n')}\n`;
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: dedup\n',
    'transformations/p.sql': `CREATE STREAMING TABLE seen AS
SELECT DISTINCT ts, k
FROM STREAM read_files('in', format => 'json', schemaHints => 'ts TIMESTAMP') WATERMARK ts DELAY OF INTERVAL 10 SECONDS
WHERE kind = 'a';
`,
    'in/1.json': rows([
      ['2024-01-01T10:00:00Z', 'a', 'k1'],
      ['2024-01-01T12:00:00Z', 'b', 'k2'],
    ]),
  });
  const first = await runPipeline(dir, { cwd: dir });
  assert.equal(first.kind === 'ran' && first.result.state, 'COMPLETED');
  // 10:00:05 is after the watermark Spark has (09:59:50), though not after 12:00 − 10 s.
  writeFiles(dir, { 'in/2.json': rows([['2024-01-01T10:00:05Z', 'a', 'k3']]) });
  const second = await runPipeline(dir, { cwd: dir });
  assert.equal(second.kind === 'ran' && second.result.state, 'COMPLETED');
  const got = (await readTable(tableDir(dir, 'seen'), 'k')).map((r) => r.k);
  assert.deepEqual(got, ['k1', 'k3']);
});
