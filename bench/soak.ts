// Soak benchmark (`npm run bench -- soak [--minutes N] [--rows N] [--keep]`, default 30 minutes):
// `sluice run --continuous` (trigger interval 1 s) as a child while this process drops one NDJSON
// file per second into its landing folder. Reports, every sample (10 s):
//   - data files per table: live (in the latest snapshot) and on disk, and `_delta_log` entries —
//     bounded thanks to automatic maintenance (compaction; vacuum and log clean-up on the pipeline
//     tables, whose retentions are shortened to minutes here so the run shows them working; the
//     event log keeps Delta's defaults: its removed files and log stay for 7 / 30 days);
//   - the child's RSS, and at the end its slope (least squares after the first minute);
//   - file-to-queryable latency: from a file's rename into the landing folder to the moment its
//     rows are visible in the target streaming table `silver` (polled every 100 ms).
// At the end the child is stopped with SIGTERM and every file's rows must be in `silver` once.
import { spawn } from 'node:child_process';
import {
  createWriteStream,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AUTO_COMPACT_MIN_FILES, DEFAULT_COMPACTION_INTERVAL_MS } from '../src/engine/index.ts';
import { loadSnapshot } from '../src/storage/delta/snapshot.ts';
import { type Snapshot, snapshotFilesScanSql } from '../src/storage/index.ts';
import { Database, queryRows } from '../src/util/duckdb.ts';
import { DATA, median, SLUICE_BIN } from './engine.ts';

const SAMPLE_MS = 10_000;
const POLL_MS = 100;
const TABLES = ['bronze', 'silver', 'totals'] as const;

function flag(args: readonly string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

const SQL = `CREATE OR REFRESH STREAMING TABLE bronze
TBLPROPERTIES ('delta.deletedFileRetentionDuration' = 'interval 1 minute', 'delta.logRetentionDuration' = 'interval 1 minute')
AS SELECT * FROM STREAM read_files('landing', format => 'json', schema => 'file_id BIGINT, seq INT, amount DOUBLE, written_at BIGINT');

CREATE OR REFRESH STREAMING TABLE silver (CONSTRAINT valid_amount EXPECT (amount >= 0) ON VIOLATION DROP ROW)
TBLPROPERTIES ('delta.deletedFileRetentionDuration' = 'interval 1 minute', 'delta.logRetentionDuration' = 'interval 1 minute')
AS SELECT file_id, seq, amount, written_at FROM STREAM(bronze);

CREATE OR REFRESH MATERIALIZED VIEW totals
TBLPROPERTIES ('delta.deletedFileRetentionDuration' = 'interval 1 minute', 'delta.logRetentionDuration' = 'interval 1 minute')
AS SELECT count(*) AS n, count(DISTINCT file_id) AS files, sum(amount) AS amount FROM silver;
`;

interface Sample {
  readonly atMs: number;
  readonly rssMiB: number;
  readonly tables: Record<string, { live: number; onDisk: number; log: number }>;
}

function countParquet(dir: string): number {
  let n = 0;
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory() && e.name !== '_delta_log') n += countParquet(join(dir, e.name));
      else if (e.name.endsWith('.parquet') && !e.name.startsWith('.')) n++;
    }
  } catch {
    // not there yet
  }
  return n;
}

function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Least-squares slope of y over x. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return Number.NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    den += ((xs[i] as number) - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}

export async function run(args: string[]): Promise<void> {
  const minutes = flag(args, '--minutes', 30);
  const rowsPerFile = flag(args, '--rows', 100);
  const keep = args.includes('--keep');
  const dir = join(DATA, `soak-${Date.now()}`);
  const landing = join(dir, 'landing');
  const staging = join(dir, 'staging');
  const storage = join(dir, '.sluice');
  mkdirSync(join(dir, 'transformations'), { recursive: true });
  mkdirSync(landing, { recursive: true });
  mkdirSync(staging, { recursive: true });
  writeFileSync(
    join(dir, 'spark-pipeline.yml'),
    `name: soak\nconfiguration:\n  pipelines.trigger.interval: 1 s\n  sluice.maintenance.cleanupInterval: 1 min\n`,
  );
  writeFileSync(join(dir, 'transformations', 'soak.sql'), SQL);
  console.log(
    `soak: ${minutes} min, one file of ${rowsPerFile} rows per second, trigger interval 1 s — ${dir}`,
  );

  const log = createWriteStream(join(dir, 'run.log'));
  const child = spawn(process.execPath, [SLUICE_BIN, 'run', '--continuous'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

  const started = Date.now();
  const end = started + minutes * 60_000;
  const writtenAt = new Map<number, number>();
  const visibleAt = new Map<number, number>();
  const samples: Sample[] = [];
  let stopping = false;

  // Writer: one file per second, renamed into the landing folder complete.
  const writer = (async () => {
    for (let id = 0; Date.now() < end; id++) {
      const due = started + id * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
      const name = `f-${String(id).padStart(6, '0')}.json`;
      const now = Date.now();
      const body = Array.from({ length: rowsPerFile }, (_, seq) =>
        JSON.stringify({ file_id: id, seq, amount: seq % 17, written_at: now }),
      ).join('\n');
      writeFileSync(join(staging, name), `${body}\n`);
      renameSync(join(staging, name), join(landing, name));
      writtenAt.set(id, Date.now());
    }
  })();

  // Observer: which files' rows are visible in silver (files new since the last poll only).
  const db = new Database();
  const conn = await db.connect();
  const silverPath = join(storage, 'tables', 'default', 'silver');
  const observer = (async () => {
    let snap: Snapshot | undefined;
    const seenFiles = new Set<string>();
    while (!stopping) {
      await sleep(POLL_MS);
      try {
        snap = await loadSnapshot(silverPath, snap ? { base: snap, db } : { db });
      } catch {
        continue; // not created yet
      }
      const fresh = snap.files.filter((f) => !seenFiles.has(f.path));
      if (fresh.length === 0) continue;
      const at = Date.now();
      for (const f of fresh) seenFiles.add(f.path);
      const ids = await queryRows<{ id: number }>(
        conn,
        `SELECT DISTINCT file_id AS id FROM (${snapshotFilesScanSql(snap, fresh)})`,
      );
      for (const { id } of ids) if (!visibleAt.has(Number(id))) visibleAt.set(Number(id), at);
    }
  })();

  // Sampler.
  const header = [
    't',
    'RSS MiB',
    ...TABLES.map((t) => `${t} live/disk/log`),
    'event_log live/disk/log',
    'latency p50',
  ];
  console.log(header.join('  '));
  const sampler = (async () => {
    while (!stopping) {
      await sleep(SAMPLE_MS);
      if (stopping) break;
      const tables: Sample['tables'] = {};
      for (const t of [...TABLES, 'event_log']) {
        const path =
          t === 'event_log' ? join(storage, 'system', 'event_log') : join(storage, 'tables', 'default', t);
        let live = Number.NaN;
        try {
          live = (await loadSnapshot(path, { db })).files.length;
        } catch {
          // not yet
        }
        let logEntries = 0;
        try {
          logEntries = readdirSync(join(path, '_delta_log')).length;
        } catch {
          // not yet
        }
        tables[t] = { live, onDisk: countParquet(path), log: logEntries };
      }
      const s: Sample = { atMs: Date.now() - started, rssMiB: rssMiB(child.pid as number), tables };
      samples.push(s);
      const lat = [...visibleAt].map(([id, at]) => at - (writtenAt.get(id) ?? at));
      console.log(
        [
          `${(s.atMs / 1000).toFixed(0).padStart(5)}s`,
          s.rssMiB.toFixed(0).padStart(7),
          ...[...TABLES, 'event_log'].map((t) => {
            const x = tables[t]!;
            return `${x.live}/${x.onDisk}/${x.log}`.padStart(t.length + 15);
          }),
          `${(median(lat) / 1000).toFixed(2)} s`.padStart(11),
        ].join('  '),
      );
    }
  })();

  await writer;
  // Let the last files arrive, then stop the run cleanly.
  const lastId = writtenAt.size - 1;
  const drainUntil = Date.now() + 30_000;
  while (!visibleAt.has(lastId) && Date.now() < drainUntil) await sleep(POLL_MS);
  stopping = true;
  await Promise.all([observer, sampler]);
  child.kill('SIGTERM');
  const code = await exited;
  log.end();

  // Final check: every file's rows in silver exactly once.
  const final = await loadSnapshot(silverPath, { db });
  const [counts] = await queryRows<{ n: number; files: number; dup: number }>(
    conn,
    `SELECT count(*)::BIGINT AS n, count(DISTINCT file_id)::BIGINT AS files, (count(*) - count(DISTINCT (file_id, seq)))::BIGINT AS dup FROM (${snapshotFilesScanSql(final, final.files)})`,
  );
  conn.closeSync();
  db.close();

  const lat = [...visibleAt].map(([id, at]) => at - (writtenAt.get(id) ?? at));
  const warm = samples.filter((s) => s.atMs >= 60_000);
  const rssSlope = slope(
    warm.map((s) => s.atMs / 60_000),
    warm.map((s) => s.rssMiB),
  );
  const half = samples.filter((s) => s.atMs >= (minutes * 60_000) / 2);
  const bound = AUTO_COMPACT_MIN_FILES + (DEFAULT_COMPACTION_INTERVAL_MS / 1000) * 1 + 10;
  console.log(`\nsummary (${minutes} min, ${writtenAt.size} files, child exit ${code}):`);
  console.log(
    `  file → queryable in silver   p50 ${(percentile(lat, 50) / 1000).toFixed(2)} s  p90 ${(percentile(lat, 90) / 1000).toFixed(2)} s  p99 ${(percentile(lat, 99) / 1000).toFixed(2)} s  max ${(Math.max(...lat) / 1000).toFixed(2)} s  (${lat.length} files; target p50 ≤ 2 s)`,
  );
  console.log(
    `  RSS                          first ${samples[0]?.rssMiB.toFixed(0)} MiB  last ${samples.at(-1)?.rssMiB.toFixed(0)} MiB  max ${Math.max(...samples.map((s) => s.rssMiB)).toFixed(0)} MiB  slope after 1 min ${rssSlope.toFixed(2)} MiB/min`,
  );
  for (const t of [...TABLES, 'event_log']) {
    const xs = samples.map((s) => s.tables[t]!);
    const second = half.map((s) => s.tables[t]!);
    console.log(
      `  ${t.padEnd(10)} live files max ${Math.max(...xs.map((x) => x.live))} (2nd half ${Math.max(...second.map((x) => x.live))}), on disk last ${xs.at(-1)?.onDisk}, log entries last ${xs.at(-1)?.log}`,
    );
  }
  console.log(
    `  silver rows ${counts?.n} (expected ${writtenAt.size * rowsPerFile}), files ${counts?.files}, duplicates ${counts?.dup}`,
  );
  const ok =
    percentile(lat, 50) <= 2000 &&
    Number(counts?.n) === writtenAt.size * rowsPerFile &&
    Number(counts?.dup) === 0 &&
    TABLES.every((t) => Math.max(...samples.map((s) => s.tables[t]!.live)) <= bound);
  console.log(
    `  verdict: ${ok ? 'OK' : 'NOT OK'} (live files per table ≤ ${bound}, p50 ≤ 2 s, every row once)`,
  );
  if (!keep) rmSync(dir, { recursive: true, force: true });
  if (!ok) process.exitCode = 1;
}
