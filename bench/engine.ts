// Engine benchmark (`npm run bench -- engine [rows] [--reps N]`):
//   1. cold run of a generated NDJSON bronze → streaming table → materialized view pipeline
//      (no expectations) as a child `sluice run`: wall time, rows/s, peak RSS of the child;
//   2. the fixed cost per micro-batch: 200 one-row files read with maxFilesPerTrigger => '1',
//      run in-process so each batch's commit time is observed (batch_committed events).
// Data lives under bench/.data/ (gitignored) and is reused between runs.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateEvents } from '../scripts/generate-events.ts';
import type { EngineEvent, UpdateResult } from '../src/index.ts';
import { runPipeline } from '../src/index.ts';
import { Database, queryRows } from '../src/util/duckdb.ts';

export const ROOT = new URL('..', import.meta.url).pathname;
export const DATA = join(ROOT, 'bench', '.data');
export const SLUICE_BIN = join(ROOT, 'bin', 'sluice.js');
export const EVENT_SCHEMA =
  'event_id STRING, user_id BIGINT, event_type STRING, event_timestamp TIMESTAMP, amount DOUBLE, properties STRUCT<page: STRING, referrer: STRING>';

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
export const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
export const rate = (rows: number, ms: number) =>
  `${Math.round(rows / (ms / 1000)).toLocaleString('en-US')} rows/s`;

export interface ChildRun {
  readonly code: number | null;
  readonly wallMs: number;
  /** Peak resident set size of the child in bytes (NaN when it could not be measured). */
  readonly peakRss: number;
  /** CPU time (user + system) of the child in ms (NaN without GNU time). */
  readonly cpuMs: number;
  readonly stdout: string;
  readonly stderr: string;
}

const TIME_BIN = '/usr/bin/time';
/** GNU time prints 'Maximum resident set size' with -v; other variants fall back to polling. */
const HAS_GNU_TIME =
  existsSync(TIME_BIN) &&
  spawnSync(TIME_BIN, ['-v', 'true'], { encoding: 'utf8' }).stderr?.includes('Maximum resident');

/**
 * Runs `cmd args` as a child and measures wall time and peak RSS: through GNU `/usr/bin/time -v`
 * when present, else by polling /proc/<pid>/status VmHWM (a high-water mark, so polling loses
 * at most the growth of the last interval).
 */
export function measureChild(cmd: string, args: readonly string[], cwd: string): Promise<ChildRun> {
  const useTime = HAS_GNU_TIME;
  const [file, argv] = useTime ? [TIME_BIN, ['-v', cmd, ...args]] : [cmd, [...args]];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(file, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let hwm = Number.NaN;
    const poll = useTime
      ? undefined
      : setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            if (m) hwm = Math.max(Number.isNaN(hwm) ? 0 : hwm, Number(m[1]) * 1024);
          } catch {
            // process gone
          }
        }, 20);
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - t0;
      if (poll) clearInterval(poll);
      const stderr = Buffer.concat(err).toString('utf8');
      let peakRss = hwm;
      let cpuMs = Number.NaN;
      if (useTime) {
        const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
        peakRss = m ? Number(m[1]) * 1024 : Number.NaN;
        const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
        const sys = /System time \(seconds\): ([\d.]+)/.exec(stderr);
        if (user && sys) cpuMs = (Number(user[1]) + Number(sys[1])) * 1000;
      }
      resolve({ code, wallMs, peakRss, cpuMs, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
  });
}

/** `sluice run <dir> --format json` as a child; throws when it fails. */
export async function sluiceRun(
  dir: string,
  extra: readonly string[] = [],
): Promise<ChildRun & { result: UpdateResult }> {
  const r = await measureChild(process.execPath, [SLUICE_BIN, 'run', dir, '--format', 'json', ...extra], dir);
  let result: UpdateResult;
  try {
    result = JSON.parse(r.stdout) as UpdateResult;
  } catch {
    throw new Error(
      `sluice run failed (exit ${r.code}):\n${r.stdout.slice(0, 2000)}\n${r.stderr.slice(-3000)}`,
    );
  }
  if (r.code !== 0 || result.state !== 'COMPLETED') {
    throw new Error(`sluice run ended ${result.state} (exit ${r.code}):\n${r.stderr.slice(-3000)}`);
  }
  return { ...r, result };
}

/** Update duration (startedAt → endedAt) in ms. */
export const updateMs = (r: UpdateResult) => Date.parse(r.endedAt) - Date.parse(r.startedAt);

/** One line per flow: dataset, rows out, batches, duration. */
export function flowBreakdown(r: UpdateResult): string {
  return r.flows
    .map(
      (f) =>
        `    ${f.dataset.padEnd(30)} ${String(f.metrics.num_output_rows).padStart(9)} rows  ${String(f.metrics.num_batches).padStart(3)} batch  ${secs(f.durationMs).padStart(9)}`,
    )
    .join('\n');
}

/** Generates `n` events in `files` files under `dir` once (a marker file records what is there). */
export async function ensureEvents(dir: string, n: number, files: number): Promise<void> {
  const marker = join(dir, '..', `.generated-${n}-${files}`);
  if (existsSync(marker) && existsSync(dir)) return;
  rmSync(dir, { recursive: true, force: true });
  console.log(`generating ${n.toLocaleString('en-US')} events in ${files} files under ${dir} (once) …`);
  const t0 = performance.now();
  await generateEvents(dir, n, files);
  writeFileSync(marker, '');
  console.log(`  done in ${secs(performance.now() - t0)}`);
}

function writePipeline(dir: string, name: string, sql: Record<string, string>): void {
  mkdirSync(join(dir, 'transformations'), { recursive: true });
  for (const f of readdirSync(join(dir, 'transformations'))) rmSync(join(dir, 'transformations', f));
  writeFileSync(
    join(dir, 'spark-pipeline.yml'),
    `name: ${name}\nconfiguration:\n  events_path: data/events\nlibraries:\n  - glob:\n      include: transformations/**\n`,
  );
  for (const [file, text] of Object.entries(sql)) writeFileSync(join(dir, 'transformations', file), text);
}

const COLD_SQL = {
  '01_bronze.sql': `CREATE OR REFRESH STREAMING TABLE bronze AS SELECT * FROM STREAM read_files('\${events_path}', format => 'json', schema => '${EVENT_SCHEMA}');\n`,
  '02_clean.sql':
    'CREATE OR REFRESH STREAMING TABLE clean AS SELECT event_id, user_id, event_type, event_timestamp, amount FROM STREAM(bronze) WHERE user_id IS NOT NULL;\n',
  '03_hourly.sql':
    "CREATE OR REFRESH MATERIALIZED VIEW hourly AS SELECT date_trunc('hour', event_timestamp) AS hour, event_type, count(*) AS n, sum(amount) AS amount FROM clean GROUP BY 1, 2;\n",
};

const MICRO_SQL = {
  '01_bronze.sql': `CREATE OR REFRESH STREAMING TABLE bronze AS SELECT * FROM STREAM read_files('\${events_path}', format => 'json', maxFilesPerTrigger => '1', schema => '${EVENT_SCHEMA}');\n`,
};

function flag(args: readonly string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

export async function run(args: string[]): Promise<void> {
  const rows = Number(args.find((a) => /^\d+$/.test(a)) ?? 2_000_000);
  const reps = flag(args, '--reps', 3);
  const batches = flag(args, '--batches', 200);
  mkdirSync(DATA, { recursive: true });
  console.log(
    `engine benchmark — ${reps} rep(s), medians; GNU time: ${HAS_GNU_TIME ? 'yes' : 'no (polling VmHWM)'}`,
  );

  // 1. Cold run.
  const cold = join(DATA, `engine-${rows}`);
  writePipeline(cold, 'bench engine', COLD_SQL);
  await ensureEvents(join(cold, 'data', 'events'), rows, 20);
  const walls: number[] = [];
  const rss: number[] = [];
  const upd: number[] = [];
  let last: UpdateResult | undefined;
  for (let i = 0; i < reps; i++) {
    rmSync(join(cold, '.sluice'), { recursive: true, force: true });
    const r = await sluiceRun(cold);
    walls.push(r.wallMs);
    rss.push(r.peakRss);
    upd.push(updateMs(r.result));
    last = r.result;
    console.log(
      `  rep ${i + 1}: wall ${secs(r.wallMs)}, update ${secs(updateMs(r.result))}, peak RSS ${mib(r.peakRss)}`,
    );
  }
  console.log(`\ncold run, ${rows.toLocaleString('en-US')} rows NDJSON → ST → ST → MV:`);
  console.log(
    `  wall time (child, incl. startup)   median ${secs(median(walls))}  (${walls.map(secs).join(', ')})`,
  );
  console.log(`  update time (startedAt→endedAt)    median ${secs(median(upd))}`);
  console.log(`  throughput (wall)                  ${rate(rows, median(walls))}`);
  console.log(
    `  peak RSS                           median ${mib(median(rss))}  (max ${mib(Math.max(...rss))})`,
  );
  if (last) console.log(`  per flow (last rep):\n${flowBreakdown(last)}`);

  // 2. Fixed cost per micro-batch.
  const micro = join(DATA, `engine-micro-${batches}`);
  writePipeline(micro, 'bench micro', MICRO_SQL);
  const microData = join(micro, 'data', 'events');
  if (!existsSync(join(micro, `.generated-${batches}`))) {
    rmSync(microData, { recursive: true, force: true });
    await generateEvents(microData, batches, batches);
    writeFileSync(join(micro, `.generated-${batches}`), '');
  }
  const perFlow: number[] = [];
  const perGap: number[] = [];
  const totals: number[] = [];
  for (let i = 0; i < reps; i++) {
    rmSync(join(micro, '.sluice'), { recursive: true, force: true });
    const stamps: number[] = [];
    const t0 = performance.now();
    const outcome = await runPipeline(micro, {
      cwd: micro,
      listeners: [
        (e: EngineEvent) => {
          if (e.kind === 'batch_committed') stamps.push(performance.now());
        },
      ],
    });
    totals.push(performance.now() - t0);
    if (outcome.kind !== 'ran' || outcome.result.state !== 'COMPLETED') {
      throw new Error(
        `micro-batch run failed: ${JSON.stringify(outcome.kind === 'ran' ? outcome.result : outcome.errors)}`,
      );
    }
    const f = outcome.result.flows.find((x) => x.dataset === 'bronze')!;
    if (f.metrics.num_batches !== batches)
      console.log(`  (note: ${f.metrics.num_batches} batches, expected ${batches})`);
    perFlow.push(f.durationMs / f.metrics.num_batches);
    const gaps = stamps.slice(1).map((s, j) => s - stamps[j]!);
    perGap.push(median(gaps));
    console.log(
      `  rep ${i + 1}: ${f.metrics.num_batches} batches in ${secs(f.durationMs)}; per batch ${(f.durationMs / f.metrics.num_batches).toFixed(1)} ms (flow), median gap ${median(gaps).toFixed(1)} ms, p90 gap ${[...gaps].sort((a, b) => a - b)[Math.floor(gaps.length * 0.9)]!.toFixed(1)} ms`,
    );
  }
  // Reference: the data work a batch cannot avoid — DuckDB reading a 1-row NDJSON file and writing it as Parquet.
  const conn = await new Database().connect();
  const files = readdirSync(microData).sort();
  const raw: number[] = [];
  const tmpOut = join(micro, 'raw-ref.parquet');
  for (let k = 0; k < Math.min(60, files.length); k++) {
    const t0 = performance.now();
    await queryRows(
      conn,
      `COPY (SELECT * FROM read_json('${join(microData, files[k]!)}', format = 'newline_delimited')) TO '${tmpOut}' (FORMAT parquet, COMPRESSION zstd)`,
    );
    if (k >= 10) raw.push(performance.now() - t0);
  }
  rmSync(tmpOut, { force: true });
  const perBatch = median(perFlow);
  console.log(`\nmicro-batches (${batches} one-row files, maxFilesPerTrigger => '1', in-process):`);
  console.log(`  per batch, flow durationMs / num_batches     median ${perBatch.toFixed(1)} ms`);
  console.log(`  per batch, gap between batch commits         median ${median(perGap).toFixed(1)} ms`);
  console.log(`  update total (incl. validation)              median ${secs(median(totals))}`);
  console.log(`  raw DuckDB read 1-row NDJSON → Parquet       median ${median(raw).toFixed(1)} ms`);
  console.log(
    `  fixed cost per batch (per batch − raw)       ≈ ${(perBatch - median(raw)).toFixed(1)} ms   (goal <= 15 ms)`,
  );
}
