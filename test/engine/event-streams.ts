import { join } from 'node:path';
import { snapshotScanSql } from '../../src/storage/delta/scan.ts';
import { loadSnapshot } from '../../src/storage/delta/snapshot.ts';
import { duck, ndjson, readTable, tableDir } from '../helpers/pipeline.ts';

/**
 * Random event streams with disorder and lateness, split into random micro-batches (one JSON
 * file each), and the oracle of what Spark's windowed aggregation in append mode emits for them.
 */
export const T0 = Date.UTC(2026, 0, 1);
const WINDOW = 60_000;
const DELAY = 10_000;

export interface Event {
  readonly id: number;
  readonly user: string;
  readonly ts: number | null;
  readonly amount: number;
}

import { rng } from '../helpers/random.ts';

export { rng };

/** Events moving forward in time with disorder (up to 40 s back, beyond the 10 s delay: some are late). */
export function events(seed: number, n: number): Event[] {
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
export function batches(seed: number, all: readonly Event[]): Event[][] {
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
export function oracle(parts: readonly Event[][], slide = WINDOW) {
  let watermark: number | null = null;
  let late = 0;
  // Spark expands a row into one (row, window) pair per window containing it; pairs are late or kept.
  const kept: { e: Event; start: number }[] = [];
  const starts = (ts: number) => {
    const last = ts - (((ts % slide) + slide) % slide);
    const out: number[] = [];
    for (let s = last; s + WINDOW > ts; s -= slide) out.push(s);
    return out;
  };
  for (const part of parts) {
    let max: number | null = null;
    for (const e of part) {
      if (e.ts === null) continue;
      max = max === null ? e.ts : Math.max(max, e.ts);
      for (const start of starts(e.ts)) {
        if (watermark !== null && start + WINDOW <= watermark) late++;
        else kept.push({ e, start });
      }
    }
    if (max !== null) watermark = Math.max(watermark ?? -Infinity, max - DELAY);
  }
  const groups = new Map<
    string,
    { start: number; user: string; n: number; total: number; lo: number; hi: number; amounts: Set<number> }
  >();
  for (const { e, start } of kept) {
    if (watermark === null || start + WINDOW > watermark) continue;
    const k = `${start}|${e.user}`;
    const g = groups.get(k) ?? {
      start,
      user: e.user,
      n: 0,
      total: 0,
      lo: Infinity,
      hi: -Infinity,
      amounts: new Set<number>(),
    };
    g.n++;
    g.amounts.add(e.amount % 7);
    g.total += e.amount;
    g.lo = Math.min(g.lo, e.amount);
    g.hi = Math.max(g.hi, e.amount);
    groups.set(k, g);
  }
  const sorted = [...groups.values()].sort((a, b) => a.start - b.start || a.user.localeCompare(b.user));
  const rows = sorted.map((g) => [
    new Date(g.start).toISOString(),
    g.user,
    g.n,
    g.total,
    g.lo,
    g.hi,
    g.total / g.n,
  ]);
  /** [start, user, count(DISTINCT amount % 7)] per group. */
  const distinct = sorted.map((g) => [new Date(g.start).toISOString(), g.user, g.amounts.size]);
  return { rows, late, watermark, distinct };
}

/** The windowed aggregation under test; `slide` (e.g. `'20 seconds'`) makes its windows slide. */
export const sqlFor = (slide?: string) => `CREATE OR REFRESH STREAMING TABLE per_minute AS
SELECT window(ts, '1 minute'${slide ? `, '${slide}'` : ''}) AS w, user, count(*) AS n, sum(amount) AS total,
       min(amount) AS lo, max(amount) AS hi, avg(amount) AS mean
FROM STREAM read_files('data', format => 'json', maxFilesPerTrigger => '1',
                       schema => 'id INT, user STRING, ts TIMESTAMP, amount INT')
  WATERMARK ts DELAY OF INTERVAL 10 SECONDS AS e
GROUP BY w, user;
`;

export const SQL = sqlFor();

export function files(parts: readonly Event[][], from = 0): Record<string, string> {
  const out: Record<string, string> = {};
  parts.forEach((p, i) => {
    out[`data/part-${String(from + i).padStart(4, '0')}.json`] = ndjson(
      p.map((e) => ({ ...e, ts: e.ts === null ? null : new Date(e.ts).toISOString() })),
    );
  });
  return out;
}

/** A window struct's start as an ISO instant. */
export function emittedStart(w: unknown): string {
  return isoOf((w as { start: { toString(): string } }).start);
}

export async function emitted(dir: string) {
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

/** Late rows dropped, summed over the flow_progress METRICS events of the pipeline's event log. */
export async function lateRowsLogged(dir: string): Promise<number> {
  const log = await loadSnapshot(join(dir, '.sluice', 'system', 'event_log'));
  const rows = await duck(
    `SELECT details FROM (${snapshotScanSql(log)}) WHERE event_type = 'flow_progress' AND level = 'METRICS'`,
  );
  let n = 0;
  for (const r of rows) {
    const d = JSON.parse(String(r.details)) as {
      flow_progress?: { state_operators?: { num_rows_dropped_by_watermark: number }[] };
    };
    n += d.flow_progress?.state_operators?.[0]?.num_rows_dropped_by_watermark ?? 0;
  }
  return n;
}

/** The session gap of {@link SESSION_SQL}. */
export const GAP = 5_000;

/** A session window aggregation over the same streams: sessions of a user with a 5 s gap. */
export const SESSION_SQL = `CREATE OR REFRESH STREAMING TABLE sessions AS
SELECT session_window(ts, '5 seconds') AS w, user, count(*) AS n, sum(amount) AS total,
       min(amount) AS lo, max(amount) AS hi, avg(amount) AS mean
FROM STREAM read_files('data', format => 'json', maxFilesPerTrigger => '1',
                       schema => 'id INT, user STRING, ts TIMESTAMP, amount INT')
  WATERMARK ts DELAY OF INTERVAL 10 SECONDS AS e
GROUP BY w, user;
`;

interface Session {
  start: number;
  end: number;
  n: number;
  total: number;
  lo: number;
  hi: number;
}

/**
 * What Spark emits for session windows in append mode, simulated batch by batch: a row is late
 * when its own session [ts, ts + gap) ends at or before the watermark after the previous batch;
 * the on-time rows' sessions merge, per user and in start order, with the open sessions of state
 * that they overlap or touch (a session starting at or before the current end joins it); the
 * watermark moves to max(event time) − delay, and every session ending at or before it is emitted
 * and leaves state. A session already emitted is never reopened: a later row that would have
 * touched it starts a session of its own, as in Spark.
 */
export function sessionOracle(parts: readonly Event[][], gap = GAP) {
  let watermark: number | null = null;
  let late = 0;
  const open = new Map<string, Session[]>();
  const out: (Session & { user: string })[] = [];
  for (const part of parts) {
    let max: number | null = null;
    for (const e of part) {
      if (e.ts === null) continue;
      max = max === null ? e.ts : Math.max(max, e.ts);
      if (watermark !== null && e.ts + gap <= watermark) {
        late++;
        continue;
      }
      const s = { start: e.ts, end: e.ts + gap, n: 1, total: e.amount, lo: e.amount, hi: e.amount };
      open.set(e.user, [...(open.get(e.user) ?? []), s]);
    }
    if (max !== null) watermark = Math.max(watermark ?? -Infinity, max - DELAY);
    for (const [user, sessions] of open) {
      const merged: Session[] = [];
      for (const s of [...sessions].sort((a, b) => a.start - b.start)) {
        const cur = merged.at(-1);
        if (cur && s.start <= cur.end) {
          cur.end = Math.max(cur.end, s.end);
          cur.n += s.n;
          cur.total += s.total;
          cur.lo = Math.min(cur.lo, s.lo);
          cur.hi = Math.max(cur.hi, s.hi);
        } else merged.push({ ...s });
      }
      const closed = merged.filter((s) => watermark !== null && s.end <= watermark);
      out.push(...closed.map((s) => ({ ...s, user })));
      open.set(
        user,
        merged.filter((s) => !closed.includes(s)),
      );
    }
  }
  const rows = out
    .sort((a, b) => a.start - b.start || a.user.localeCompare(b.user))
    .map((s) => [
      new Date(s.start).toISOString(),
      new Date(s.end).toISOString(),
      s.user,
      s.n,
      s.total,
      s.lo,
      s.hi,
      s.total / s.n,
    ]);
  return { rows, late, watermark };
}

const isoOf = (t: { toString(): string }) =>
  new Date(
    `${String(t)
      .replace(' ', 'T')
      .replace(/\+00(:00)?$/, '')}Z`,
  ).toISOString();

/** The rows of table `sessions`, as {@link sessionOracle} lists them. */
export async function sessionsEmitted(dir: string) {
  const rows = await readTable(tableDir(dir, 'sessions'), 'w.start, user');
  return rows.map((r) => {
    const w = r.w as { start: { toString(): string }; end: { toString(): string } };
    return [
      isoOf(w.start),
      isoOf(w.end),
      r.user,
      Number(r.n),
      Number(r.total),
      Number(r.lo),
      Number(r.hi),
      Number(r.mean),
    ];
  });
}
