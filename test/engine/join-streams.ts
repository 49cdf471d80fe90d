import { ndjson, readTable, tableDir } from '../helpers/pipeline.ts';
import { rng, T0 } from './event-streams.ts';

/**
 * Two random event streams with disorder and lateness (impressions `a`, clicks `b` on the same
 * keys), split into random micro-batches (one JSON file each, read together batch by batch), and
 * the oracle of what Spark's stream–stream join emits for them in append mode.
 */
const DELAY = 10_000;
/** The join's range: b_ts BETWEEN a_ts AND a_ts + 1 minute. */
const RANGE = 60_000;

export interface SideEvent {
  readonly id: number;
  readonly ts: number | null;
  readonly tag: string;
}

/** Events moving forward in time with disorder (up to 40 s back: some are late), on ids 0–11. */
export function sideEvents(seed: number, n: number, lag = 0): SideEvent[] {
  const r = rng(seed);
  const out: SideEvent[] = [];
  let clock = T0 + lag;
  for (let i = 0; i < n; i++) {
    clock += Math.floor(r() * 3000);
    const back = r() < 0.3 ? Math.floor(r() * 40_000) : 0;
    out.push({ id: Math.floor(r() * 12), ts: r() < 0.02 ? null : clock - back, tag: `${seed}-${i}` });
  }
  return out;
}

/** Splits events into random consecutive micro-batches. */
export function sideBatches(seed: number, all: readonly SideEvent[]): SideEvent[][] {
  const r = rng(seed * 7 + 1);
  const out: SideEvent[][] = [];
  for (let i = 0; i < all.length; ) {
    const size = 1 + Math.floor(r() * 25);
    out.push(all.slice(i, i + size));
    i += size;
  }
  return out;
}

/** The join under test; `on` and `where` add conditions (`AND …` in ON, a WHERE clause). */
export const joinSql = (
  type: 'JOIN' | 'LEFT JOIN' | 'RIGHT JOIN',
  { on = '', where = '' }: { on?: string; where?: string } = {},
) => `CREATE OR REFRESH STREAMING TABLE joined AS
SELECT a.id, a.a_ts, a.tag AS a_tag, b.b_ts, b.tag AS b_tag
FROM STREAM read_files('a', format => 'json', maxFilesPerTrigger => '1', schema => 'id INT, a_ts TIMESTAMP, tag STRING')
  WATERMARK a_ts DELAY OF INTERVAL 10 SECONDS AS a
${type} STREAM read_files('b', format => 'json', maxFilesPerTrigger => '1', schema => 'id INT, b_ts TIMESTAMP, tag STRING')
  WATERMARK b_ts DELAY OF INTERVAL 10 SECONDS AS b
ON a.id = b.id AND b.b_ts BETWEEN a.a_ts AND a.a_ts + INTERVAL 1 MINUTE${on}${where ? `\nWHERE ${where}` : ''};
`;

/** The files of both sides' batches `from`… (batch k of each side is `part-k`). */
export function joinFiles(a: readonly SideEvent[][], b: readonly SideEvent[][], from = 0, to = Infinity) {
  const out: Record<string, string> = {};
  const write = (side: 'a' | 'b', parts: readonly SideEvent[][]) =>
    parts.forEach((p, i) => {
      if (i < from || i >= to) return;
      out[`${side}/part-${String(i).padStart(4, '0')}.json`] = ndjson(
        p.map((e) => ({
          id: e.id,
          [`${side}_ts`]: e.ts === null ? null : new Date(e.ts).toISOString(),
          tag: e.tag,
        })),
      );
    });
  write('a', a);
  write('b', b);
  return out;
}

type Row = [number | null, string | null, string, string | null, string | null];

const iso = (ts: number | null) => (ts === null ? null : new Date(ts).toISOString());

/**
 * What Spark emits: per batch (side batches k read together), a row whose event time is at or
 * before the global watermark after the previous batch is late (dropped, counted); each side's
 * watermark is max(event time) − 10 s and the global one their min. Pairs of on-time rows with
 * equal ids and b_ts ∈ [a_ts, a_ts + 1 min] are emitted; for an outer join, an on-time row of the
 * outer side without such a pair is emitted with NULLs once it left state — a rows with
 * a_ts ≤ watermark − 1 min, b rows with b_ts ≤ watermark (rows without event time stay in state).
 * Conditions Spark pushes below the watermarks remove rows before all of this (`keep`).
 */
export function joinOracle(
  allA: readonly SideEvent[][],
  allB: readonly SideEvent[][],
  type: 'inner' | 'left' | 'right',
  /** Rows Spark filters below the watermark (pushed-down conditions): as if never read. */
  keep: { a?: (e: SideEvent) => boolean; b?: (e: SideEvent) => boolean } = {},
) {
  const a = allA.map((p) => p.filter(keep.a ?? (() => true)));
  const b = allB.map((p) => p.filter(keep.b ?? (() => true)));
  let wa: number | null = null;
  let wb: number | null = null;
  let watermark: number | null = null;
  let late = 0;
  const keptA: SideEvent[] = [];
  const keptB: SideEvent[] = [];
  const advance = (w: number | null, part: readonly SideEvent[]) => {
    const times = part.flatMap((e) => (e.ts === null ? [] : [e.ts]));
    return times.length === 0 ? w : Math.max(w ?? -Infinity, Math.max(...times) - DELAY);
  };
  for (let k = 0; k < Math.max(a.length, b.length); k++) {
    for (const [part, kept] of [
      [a[k] ?? [], keptA],
      [b[k] ?? [], keptB],
    ] as const) {
      for (const e of part) {
        if (watermark !== null && e.ts !== null && e.ts <= watermark) late++;
        else kept.push(e);
      }
    }
    wa = advance(wa, a[k] ?? []);
    wb = advance(wb, b[k] ?? []);
    if (wa !== null && wb !== null) watermark = Math.min(wa, wb);
  }
  const matches = (x: SideEvent, y: SideEvent) =>
    x.id === y.id && x.ts !== null && y.ts !== null && y.ts >= x.ts && y.ts <= x.ts + RANGE;
  const rows: Row[] = [];
  for (const x of keptA)
    for (const y of keptB) if (matches(x, y)) rows.push([x.id, iso(x.ts), x.tag, iso(y.ts), y.tag]);
  const leftA = (x: SideEvent) => watermark !== null && x.ts !== null && x.ts <= watermark - RANGE;
  const leftB = (y: SideEvent) => watermark !== null && y.ts !== null && y.ts <= watermark;
  if (type === 'left')
    for (const x of keptA)
      if (leftA(x) && !keptB.some((y) => matches(x, y))) rows.push([x.id, iso(x.ts), x.tag, null, null]);
  if (type === 'right')
    for (const y of keptB)
      if (leftB(y) && !keptA.some((x) => matches(x, y))) rows.push([null, null, '', iso(y.ts), y.tag]);
  // What stays in state: rows the watermark has not passed (an inner side drops rows without time).
  const stays = (e: SideEvent, passed: (e: SideEvent) => boolean, outer: boolean) =>
    e.ts === null ? outer : !passed(e);
  const inState =
    keptA.filter((x) => stays(x, leftA, type === 'left')).length +
    keptB.filter((y) => stays(y, leftB, type === 'right')).length;
  return { rows: sortRows(rows), late, watermark, inState };
}

function sortRows(rows: Row[]): Row[] {
  const key = (r: Row) => `${r[2]}|${r[4] ?? ''}`;
  return rows.sort((x, y) => key(x).localeCompare(key(y)));
}

const isoOf = (v: unknown) =>
  v === null || v === undefined
    ? null
    : new Date(
        String(v)
          .replace(' ', 'T')
          .replace(/\+00(:00)?$/, 'Z'),
      ).toISOString();

/** The joined table's rows, as the oracle writes them (a right join's missing a tag is ''). */
export async function joinedRows(dir: string): Promise<Row[]> {
  const rows = await readTable(tableDir(dir, 'joined'), 'a_tag, b_tag');
  return sortRows(
    rows.map((r) => [
      r.id === null ? null : Number(r.id),
      isoOf(r.a_ts),
      r.a_tag === null ? '' : String(r.a_tag),
      isoOf(r.b_ts),
      r.b_tag === null ? null : String(r.b_tag),
    ]),
  );
}
