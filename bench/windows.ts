// Stateful streaming benchmark (`npm run bench -- windows [events] [--batches N]`): a windowed
// aggregation of a watermarked stream — 1-minute tumbling windows, 10 s watermark delay — over
// `events` (default 10M) disordered events in N (default 100) micro-batches (one Parquet file
// each, maxFilesPerTrigger => '1'), run as a child `sluice run`: throughput against raw DuckDB
// computing the same windows in one GROUP BY, peak RSS, and the state rows after each 10 % of the
// input (from the event log's flow_progress). Data lives under bench/.data/ and is reused.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { loadSnapshot, snapshotScanSql } from '../src/storage/index.ts';
import { Database, queryRows } from '../src/util/duckdb.ts';
import { DATA, mib, rate, secs, sluiceRun } from './engine.ts';

const SQL = `CREATE OR REFRESH STREAMING TABLE per_minute AS
SELECT window(ts, '1 minute') AS w, user_id, count(*) AS n, sum(amount) AS total
FROM STREAM read_files('data', format => 'parquet', maxFilesPerTrigger => '1')
  WATERMARK ts DELAY OF INTERVAL 10 SECONDS
GROUP BY w, user_id;
`;

/** `events` events 6.1 ms apart on average, 30 % of them up to 60 s late, over 100 users, in `batches` files. */
async function generate(dir: string, events: number, batches: number): Promise<void> {
  const marker = join(dir, 'data', '.complete');
  if (existsSync(marker)) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  const conn = await new Database().connect();
  const per = Math.ceil(events / batches);
  for (let b = 0; b < batches; b++) {
    const from = b * per;
    const to = Math.min(events, from + per);
    await conn.run(
      `COPY (SELECT i AS id, (hash(i) % 100)::INTEGER AS user_id, (hash(i * 7) % 1000)::DOUBLE / 10 AS amount,
              make_timestamptz(CAST(1767225600000000 + i * 6100 - CASE WHEN hash(i * 13) % 10 < 3 THEN (hash(i * 17) % 60000000) ELSE 0 END AS BIGINT)) AS ts
            FROM range(${from}, ${to}) r(i))
       TO '${join(dir, 'data', `part-${String(b).padStart(4, '0')}.parquet`)}' (FORMAT parquet)`,
    );
  }
  conn.closeSync();
  writeFileSync(join(dir, 'spark-pipeline.yml'), 'name: windows\n');
  mkdirSync(join(dir, 'transformations'), { recursive: true });
  writeFileSync(join(dir, 'transformations', 'p.sql'), SQL);
  writeFileSync(marker, '');
}

export async function run(args: string[]): Promise<void> {
  const events = Number(args.find((a) => /^\d+$/.test(a)) ?? 10_000_000);
  const bi = args.indexOf('--batches');
  const batches = bi >= 0 ? Number(args[bi + 1]) : 100;
  const dir = join(DATA, `windows-${events}-${batches}`);
  await generate(dir, events, batches);
  rmSync(join(dir, '.sluice'), { recursive: true, force: true });
  console.log(
    `windows: ${events.toLocaleString('en-US')} events, ${batches} micro-batches, 1-minute windows, 10 s watermark`,
  );

  const r = await sluiceRun(dir);
  const flow = r.result.flows.find((f) => f.dataset === 'per_minute')!;
  console.log(
    `  sluice run        wall ${secs(r.wallMs)}  ${rate(events, r.wallMs)}  (${flow.metrics.num_batches} batches, ${flow.metrics.num_output_rows} windows emitted)  CPU ${secs(r.cpuMs)}  peak RSS ${mib(r.peakRss)}`,
  );

  const conn = await new Database().connect();
  await conn.run("SET TimeZone = 'UTC'");
  const t0 = performance.now();
  const [raw] = await queryRows<{ n: bigint }>(
    conn,
    `SELECT count(*) AS n FROM (SELECT time_bucket(INTERVAL 1 minute, ts) AS w, user_id, count(*), sum(amount) FROM read_parquet('${join(dir, 'data', '*.parquet')}') GROUP BY ALL)`,
  );
  const rawMs = performance.now() - t0;
  console.log(
    `  raw DuckDB        ${secs(rawMs)}  ${rate(events, rawMs)}  (${raw?.n} windows, all of them)  load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(`  ratio             ${(rawMs / r.wallMs).toFixed(3)}× raw DuckDB's rows/s (goal ≥ 0.5×)`);

  const progress = await queryRows<{ batch: bigint; state: bigint; late: bigint; watermark: string }>(
    conn,
    `SELECT CAST(json_extract(details, '$.flow_progress.batch_id') AS BIGINT) AS batch,
            CAST(json_extract(details, '$.flow_progress.state_operators[0].num_rows_total') AS BIGINT) AS state,
            CAST(json_extract(details, '$.flow_progress.state_operators[0].num_rows_dropped_by_watermark') AS BIGINT) AS late,
            json_extract_string(details, '$.flow_progress.event_time.watermark') AS watermark
       FROM (${snapshotScanSql(await loadSnapshot(join(dir, '.sluice', 'system', 'event_log')))})
      WHERE event_type = 'flow_progress' AND level = 'METRICS' ORDER BY batch`,
  );
  conn.closeSync();
  const step = Math.max(1, Math.round(progress.length / 10));
  console.log('  state rows after each 10 % of the input:');
  for (let i = step - 1; i < progress.length; i += step) {
    const p = progress[i]!;
    console.log(
      `    batch ${String(p.batch).padStart(4)}  state rows ${String(p.state).padStart(7)}  watermark ${p.watermark}`,
    );
  }
  const late = progress.reduce((n, p) => n + Number(p.late ?? 0), 0);
  console.log(`  late rows dropped ${late.toLocaleString('en-US')}`);
}
