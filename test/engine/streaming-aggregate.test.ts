import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runPipeline } from '../../src/index.ts';
import { duck, ndjson, readTable, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

const T0 = Date.UTC(2026, 0, 1);
const WINDOW = 60_000;
const DELAY = 10_000;

interface Event {
  readonly id: number;
  readonly user: string;
  readonly ts: number | null;
  readonly amount: number;
}

/** A seeded generator (mulberry32), so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Events moving forward in time with disorder (up to 40 s back, beyond the 10 s delay: some are late). */
function events(seed: number, n: number): Event[] {
  const r = rng(seed);
  const out: Event[] = [];
  let clock = T0;
  for (let id = 0; id < n; id++) {
    clock += Math.floor(r() * 4000);
    const back = r() < 0.3 ? Math.floor(r() * 40_000) : 0;
    out.push({
      id,
      user: ['a', 'b', 'c'][Math.floor(r() * 3)]!,
      ts: r() < 0.02 ? null : clock - back,
      amount: Math.floor(r() * 100) - 10,
    });
  }
  return out;
}

/** Splits events into random consecutive micro-batches (one file each). */
function batches(seed: number, all: readonly Event[]): Event[][] {
  const r = rng(seed * 7 + 1);
  const out: Event[][] = [];
  for (let i = 0; i < all.length; ) {
    const size = 1 + Math.floor(r() * 30);
    out.push(all.slice(i, i + size));
    i += size;
  }
  return out;
}

/**
 * What Spark emits in append mode: per batch, rows whose window ends at or before the watermark
 * after the previous batch are late (dropped, counted); the watermark then moves to
 * max(event time) − delay; finally every window ending at or before it is emitted, aggregated
 * over its on-time rows.
 */
function oracle(parts: readonly Event[][]) {
  let watermark: number | null = null;
  let late = 0;
  const kept: Event[] = [];
  for (const part of parts) {
    let max: number | null = null;
    for (const e of part) {
      if (e.ts === null) continue;
      max = max === null ? e.ts : Math.max(max, e.ts);
      const end = e.ts - (((e.ts % WINDOW) + WINDOW) % WINDOW) + WINDOW;
      if (watermark !== null && end <= watermark) late++;
      else kept.push(e);
    }
    if (max !== null) watermark = Math.max(watermark ?? -Infinity, max - DELAY);
  }
  const groups = new Map<
    string,
    { start: number; user: string; n: number; total: number; lo: number; hi: number }
  >();
  for (const e of kept) {
    const start = e.ts! - (((e.ts! % WINDOW) + WINDOW) % WINDOW);
    if (watermark === null || start + WINDOW > watermark) continue;
    const k = `${start}|${e.user}`;
    const g = groups.get(k) ?? { start, user: e.user, n: 0, total: 0, lo: Infinity, hi: -Infinity };
    g.n++;
    g.total += e.amount;
    g.lo = Math.min(g.lo, e.amount);
    g.hi = Math.max(g.hi, e.amount);
    groups.set(k, g);
  }
  const rows = [...groups.values()]
    .sort((a, b) => a.start - b.start || a.user.localeCompare(b.user))
    .map((g) => [new Date(g.start).toISOString(), g.user, g.n, g.total, g.lo, g.hi, g.total / g.n]);
  return { rows, late, watermark };
}

const SQL = `CREATE OR REFRESH STREAMING TABLE per_minute AS
SELECT window(ts, '1 minute') AS w, user, count(*) AS n, sum(amount) AS total,
       min(amount) AS lo, max(amount) AS hi, avg(amount) AS mean
FROM STREAM read_files('data', format => 'json', maxFilesPerTrigger => '1',
                       schema => 'id INT, user STRING, ts TIMESTAMP, amount INT')
  WATERMARK ts DELAY OF INTERVAL 10 SECONDS AS e
GROUP BY w, user;
`;

function files(parts: readonly Event[][], from = 0): Record<string, string> {
  const out: Record<string, string> = {};
  parts.forEach((p, i) => {
    out[`data/part-${String(from + i).padStart(4, '0')}.json`] = ndjson(
      p.map((e) => ({ ...e, ts: e.ts === null ? null : new Date(e.ts).toISOString() })),
    );
  });
  return out;
}

async function emitted(dir: string) {
  const rows = await readTable(tableDir(dir, 'per_minute'), 'w.start, user');
  return rows.map((r) => {
    const w = r.w as { start: { toString(): string } };
    return [
      new Date(
        `${String(w.start)
          .replace(' ', 'T')
          .replace(/\+00(:00)?$/, '')}Z`,
      ).toISOString(),
      r.user,
      Number(r.n),
      Number(r.total),
      Number(r.lo),
      Number(r.hi),
      Number(r.mean),
    ];
  });
}

async function lateRowsLogged(dir: string): Promise<number> {
  const rows = await duck(
    `SELECT details FROM read_parquet('${dir}/.sluice/system/event_log/*.parquet') WHERE event_type = 'flow_progress' AND level = 'METRICS'`,
  ).catch(() => []);
  let n = 0;
  for (const r of rows) {
    const d = JSON.parse(String(r.details)) as {
      flow_progress?: { state_operators?: { num_rows_dropped_by_watermark: number }[] };
    };
    n += d.flow_progress?.state_operators?.[0]?.num_rows_dropped_by_watermark ?? 0;
  }
  return n;
}

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
