/**
 * Deterministic event data for the bundled example and the benchmarks: NDJSON events in the
 * shape of the reference pipeline, with known defects at fixed rates:
 *   every 50th event  — event_id null            (warn: event_id_not_null)
 *   every 40th event  — event_type 'unknown'     (warn: valid_event_type)
 *   every 25th event  — user_id null             (drop: valid_user_id)
 *   every 200th event — user_id 'unknown-user'   (bronze: _rescued_data; then dropped in silver)
 * Timestamps are in the past, so the FAIL UPDATE rule (event_timestamp <= now) holds: 7 s apart
 * from 2026-01-15 08:00 UTC, wrapping around every 24,000,000 s (≈ 278 days; past 3.4M events).
 *
 * Usage: node --import tsx scripts/generate-events.ts <out-dir> <events> [files] [first-id]
 */
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const TYPES = ['click', 'view', 'purchase', 'signup'] as const;
const BASE = Date.UTC(2026, 0, 15, 8, 0, 0);
/** Event times wrap after this many seconds, so every event is before 2026-10-20. */
const PERIOD_S = 24_000_000;

/** One NDJSON line for event number `n` (1-based). */
export function eventLine(n: number): string {
  const type = n % 40 === 0 ? 'unknown' : TYPES[(n * 7) % 4]!;
  const event = {
    event_id: n % 50 === 0 ? null : `e${String(n).padStart(9, '0')}`,
    user_id: n % 200 === 0 ? 'unknown-user' : n % 25 === 0 ? null : 1 + ((n * 31) % 997),
    event_type: type,
    event_timestamp: new Date(BASE + ((n * 7) % PERIOD_S) * 1000).toISOString(),
    amount: type === 'purchase' ? Math.round(((n * 13) % 10_000) + 99) / 100 : 0,
    properties: { page: `/p/${n % 23}`, referrer: n % 3 === 0 ? 'search' : 'direct' },
  };
  return JSON.stringify(event);
}

/** Writes `events` events into `files` files under `dir`, starting at `firstId`. */
export async function generateEvents(
  dir: string,
  events: number,
  files = 1,
  firstId = 1,
  prefix = 'events',
): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const per = Math.ceil(events / files);
  const written: string[] = [];
  for (let f = 0; f < files; f++) {
    const start = firstId + f * per;
    const end = Math.min(firstId + events, start + per);
    if (start >= end) break;
    const path = join(dir, `${prefix}-${String(start).padStart(9, '0')}.json`);
    if (end - start < 50_000) {
      const lines: string[] = [];
      for (let n = start; n < end; n++) lines.push(eventLine(n));
      writeFileSync(path, `${lines.join('\n')}\n`);
    } else {
      const out = createWriteStream(path);
      let chunk: string[] = [];
      for (let n = start; n < end; n++) {
        chunk.push(eventLine(n));
        if (chunk.length === 10_000) {
          if (!out.write(`${chunk.join('\n')}\n`))
            await new Promise<void>((r) => out.once('drain', () => r()));
          chunk = [];
        }
      }
      if (chunk.length) out.write(`${chunk.join('\n')}\n`);
      await new Promise<void>((r, j) => out.end((e?: Error) => (e ? j(e) : r())));
    }
    written.push(path);
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir, n, files, first] = process.argv.slice(2);
  if (!dir || !n) {
    console.error('usage: generate-events.ts <out-dir> <events> [files] [first-id]');
    process.exit(2);
  }
  await generateEvents(dir, Number(n), Number(files ?? 1), Number(first ?? 1));
}
