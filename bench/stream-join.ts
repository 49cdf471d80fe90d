// Stream–stream join benchmark (`npm run bench -- stream-join [impressions] [--batches N]`): a
// left outer join of two watermarked streams — impressions (default 1M) and clicks on 30 % of
// them up to 90 s later (a 1-minute range, so some clicks fall outside it), 10 s watermark delays,
// 30 % of rows up to 20 s out of order — in N (default 50) micro-batches (one Parquet file per
// side each, maxFilesPerTrigger => '1'), run as a child `sluice run`: throughput against raw
// DuckDB computing the same left join over all rows at once, peak RSS, and the state rows after
// each 10 % of the input (from the event log's flow_progress). Data lives under bench/.data/.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSnapshot, snapshotScanSql } from '../src/storage/index.ts';
import { Database, queryRows } from '../src/util/duckdb.ts';
import { DATA, mib, rate, secs, sluiceRun } from './engine.ts';

const SQL = `CREATE OR REFRESH STREAMING TABLE ad_clicks AS
SELECT i.ad, i.shown, c.clicked
FROM STREAM read_files('impressions', format => 'parquet', maxFilesPerTrigger => '1')
  WATERMARK shown DELAY OF INTERVAL 10 SECONDS AS i
LEFT JOIN STREAM read_files('clicks', format => 'parquet', maxFilesPerTrigger => '1')
  WATERMARK clicked DELAY OF INTERVAL 10 SECONDS AS c
ON i.ad = c.ad AND c.clicked BETWEEN i.shown AND i.shown + INTERVAL 1 MINUTE;
`;

const T0 = 1767225600000000;
/** Impression `i`'s time (µs): 6.1 ms apart, 30 % up to 20 s early. */
const SHOWN = `${T0} + i * 6100 - CASE WHEN hash(i * 13) % 10 < 3 THEN hash(i * 17) % 20000000 ELSE 0 END`;

async function generate(dir: string, impressions: number, batches: number): Promise<void> {
  const marker = join(dir, '.complete');
  if (existsSync(marker)) return;
  rmSync(dir, { recursive: true, force: true });
  for (const side of ['impressions', 'clicks']) mkdirSync(join(dir, side), { recursive: true });
  const conn = await new Database().connect();
  const per = Math.ceil(impressions / batches);
  for (let b = 0; b < batches; b++) {
    const range = `range(${b * per}, ${Math.min(impressions, (b + 1) * per)}) r(i)`;
    const file = (side: string) => `'${join(dir, side, `part-${String(b).padStart(4, '0')}.parquet`)}'`;
    await conn.run(
      `COPY (SELECT i AS ad, make_timestamptz(CAST(${SHOWN} AS BIGINT)) AS shown FROM ${range}) TO ${file('impressions')} (FORMAT parquet)`,
    );
    await conn.run(
      `COPY (SELECT i AS ad, make_timestamptz(CAST(${SHOWN} + hash(i * 29) % 90000000 AS BIGINT)) AS clicked FROM ${range} WHERE hash(i * 7) % 10 < 3) TO ${file('clicks')} (FORMAT parquet)`,
    );
  }
  conn.closeSync();
  writeFileSync(join(dir, 'spark-pipeline.yml'), 'name: stream_join\n');
  mkdirSync(join(dir, 'transformations'), { recursive: true });
  writeFileSync(join(dir, 'transformations', 'p.sql'), SQL);
  writeFileSync(marker, '');
}

export async function run(args: string[]): Promise<void> {
  const impressions = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
  const bi = args.indexOf('--batches');
  const batches = bi >= 0 ? Number(args[bi + 1]) : 50;
  const dir = join(DATA, `stream-join-${impressions}-${batches}`);
  await generate(dir, impressions, batches);
  rmSync(join(dir, '.sluice'), { recursive: true, force: true });
  const conn = await new Database().connect();
  await conn.run("SET TimeZone = 'UTC'");
  const [{ n: clicks } = { n: 0n }] = await queryRows<{ n: bigint }>(
    conn,
    `SELECT count(*) AS n FROM read_parquet('${join(dir, 'clicks', '*.parquet')}')`,
  );
  const rows = impressions + Number(clicks);
  console.log(
    `stream-join: ${impressions.toLocaleString('en-US')} impressions, ${Number(clicks).toLocaleString('en-US')} clicks, ${batches} micro-batches, left outer join, 1-minute range, 10 s watermarks`,
  );

  const r = await sluiceRun(dir);
  const flow = r.result.flows.find((f) => f.dataset === 'ad_clicks')!;
  console.log(
    `  sluice run        wall ${secs(r.wallMs)}  ${rate(rows, r.wallMs)}  (${flow.metrics.num_batches} batches, ${flow.metrics.num_output_rows} rows emitted)  peak RSS ${mib(r.peakRss)}`,
  );

  const t0 = performance.now();
  const [raw] = await queryRows<{ n: bigint }>(
    conn,
    `SELECT count(*) AS n FROM read_parquet('${join(dir, 'impressions', '*.parquet')}') i
       LEFT JOIN read_parquet('${join(dir, 'clicks', '*.parquet')}') c
       ON i.ad = c.ad AND c.clicked BETWEEN i.shown AND i.shown + INTERVAL 1 MINUTE`,
  );
  const rawMs = performance.now() - t0;
  console.log(`  raw DuckDB        ${secs(rawMs)}  ${rate(rows, rawMs)}  (${raw?.n} rows, all of them)`);
  console.log(`  ratio             ${(rawMs / r.wallMs).toFixed(3)}× raw DuckDB's rows/s`);

  const progress = await queryRows<{ batch: bigint; state: bigint; late: bigint; watermark: string }>(
    conn,
    `SELECT CAST(json_extract(details, '$.flow_progress.batch_id') AS BIGINT) AS batch,
            CAST(json_extract(details, '$.flow_progress.state_operators[0].num_rows_total') AS BIGINT) AS state,
            CAST(json_extract(details, '$.flow_progress.state_operators[0].num_rows_dropped_by_watermark') AS BIGINT) AS late,
            json_extract_string(details, '$.flow_progress.event_time.watermark') AS watermark
       FROM (${snapshotScanSql(await loadSnapshot(join(dir, '.sluice', 'system', 'event_log')))})
      WHERE event_type = 'flow_progress' AND level = 'METRICS' AND origin.flow_name = 'ad_clicks' ORDER BY batch`,
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
