// AUTO CDC benchmark (`npm run bench -- cdc [--events N] [--keys K] [--scd 1|2] [--dv] [--bronze]`): N change events
// (default 1,000,000) over K keys (100,000), 10 % deletes, 5 % delivered out of order, as Parquet;
// a pipeline applying them to an SCD type 1 (or 2) table, cold and then with 1 % new events, next
// to — in the same run — raw DuckDB doing the same replay (SCD 1: the latest event per key
// `MERGE`d into a table; SCD 2: the versions by window functions), each a child process measured
// the same way (wall time incl. startup, peak RSS). `--dv`: the target has deletion vectors on
// (changed rows are marked, not rewritten). The flow reads the event files through a temporary view
// (the replay the baseline does); `--bronze` first copies them into a streaming table, as a medallion
// pipeline would. Data lives under bench/.data/cdc.
// The baseline runs as `node --import tsx bench/cdc.ts --baseline <scd> <data dir> <out dir> <files…>`.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATA, measureChild, mib, ROOT, SLUICE_BIN, secs } from './engine.ts';

const SCHEMA = 'id BIGINT, name STRING, amount DOUBLE, seq BIGINT, op STRING';

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/** Events [from, from + n) as one Parquet file: sequence i, 10 % deletes, 5 % shuffled. */
async function generate(file: string, from: number, n: number, keys: number): Promise<void> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  // Out of order: 5 % of the rows move to a random place (row order is arrival order).
  await conn.run(
    `COPY (SELECT hash(i * 31) % ${keys} AS id, 'name_' || (hash(i) % 1000) AS name, (hash(i * 7) % 10000) / 100.0 AS amount,
       i AS seq, CASE WHEN hash(i * 13) % 10 = 0 THEN 'D' ELSE 'U' END AS op
     FROM range(${from}, ${from + n}) r(i)
     ORDER BY CASE WHEN hash(i * 17) % 20 = 0 THEN hash(i * 19) % ${n} ELSE i - ${from} END)
     TO '${file}' (FORMAT parquet)`,
  );
  conn.closeSync();
}

function pipeline(dir: string, scd: number, dv: boolean, bronze: boolean): void {
  mkdirSync(join(dir, 'transformations'), { recursive: true });
  writeFileSync(join(dir, 'spark-pipeline.yml'), 'name: cdc_bench\n');
  writeFileSync(
    join(dir, 'transformations', 'cdc.sql'),
    `${bronze ? 'CREATE STREAMING TABLE' : 'CREATE TEMPORARY VIEW'} events AS SELECT * FROM STREAM read_files('${join(dir, 'data')}', format => 'parquet', schemaHints => '${SCHEMA}');
CREATE STREAMING TABLE target${dv ? " TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')" : ''};
CREATE FLOW target_cdc AS AUTO CDC INTO target FROM STREAM(events) KEYS (id)
  APPLY AS DELETE WHEN op = 'D' SEQUENCE BY seq COLUMNS id, name, amount, seq STORED AS SCD TYPE ${scd};
`,
  );
}

/** The raw DuckDB replay (see the module comment); prints the target's row count. */
async function baseline(scd: number, data: string, out: string, files: string[]): Promise<void> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(join(out, 'baseline.duckdb'));
  const conn = await db.connect();
  const read = `read_parquet([${files.map((f) => `'${join(data, f)}'`).join(', ')}])`;
  if (scd === 1) {
    await conn.run(
      'CREATE TABLE IF NOT EXISTS target (id BIGINT PRIMARY KEY, name VARCHAR, amount DOUBLE, seq BIGINT)',
    );
    await conn.run('CREATE TABLE IF NOT EXISTS tombstones (id BIGINT PRIMARY KEY, seq BIGINT)');
    await conn.run(
      `CREATE TEMP TABLE latest AS SELECT * FROM ${read} QUALIFY row_number() OVER (PARTITION BY id ORDER BY seq DESC) = 1`,
    );
    await conn.run(
      `MERGE INTO target t USING (SELECT l.* FROM latest l LEFT JOIN tombstones d USING (id) WHERE d.seq IS NULL OR l.seq > d.seq) s ON t.id = s.id
       WHEN MATCHED AND s.seq > t.seq AND s.op = 'D' THEN DELETE
       WHEN MATCHED AND s.seq > t.seq THEN UPDATE SET name = s.name, amount = s.amount, seq = s.seq
       WHEN NOT MATCHED AND s.op <> 'D' THEN INSERT VALUES (s.id, s.name, s.amount, s.seq)`,
    );
    await conn.run(
      `MERGE INTO tombstones t USING (SELECT id, seq FROM latest WHERE op = 'D') s ON t.id = s.id
       WHEN MATCHED AND s.seq > t.seq THEN UPDATE SET seq = s.seq WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.seq)`,
    );
    await conn.run(`COPY target TO '${join(out, 'target.parquet')}' (FORMAT parquet, COMPRESSION zstd)`);
  } else {
    await conn.run(
      `COPY (SELECT id, name, amount, seq, __START_AT, __END_AT FROM (
         SELECT *, seq AS __START_AT, lead(seq) OVER (PARTITION BY id ORDER BY seq) AS __END_AT FROM ${read})
       WHERE op <> 'D') TO '${join(out, 'target.parquet')}' (FORMAT parquet, COMPRESSION zstd)`,
    );
  }
  const r = await conn.runAndReadAll(`SELECT count(*) AS n FROM '${join(out, 'target.parquet')}'`);
  console.log(JSON.stringify({ rows: Number(r.getRowObjectsJson()[0]!.n) }));
  conn.closeSync();
}

export async function run(args: string[]): Promise<void> {
  const events = option(args, '--events', 1_000_000);
  const keys = option(args, '--keys', 100_000);
  const scd = option(args, '--scd', 1);
  const root = join(DATA, 'cdc');
  rmSync(root, { recursive: true, force: true });
  const dir = join(root, 'pipeline');
  const data = join(dir, 'data');
  const out = join(root, 'baseline');
  mkdirSync(data, { recursive: true });
  mkdirSync(out, { recursive: true });
  pipeline(dir, scd, args.includes('--dv'), args.includes('--bronze'));
  await generate(join(data, 'part-0.parquet'), 0, events, keys);
  const increment = Math.max(1, Math.floor(events / 100));

  const self = fileURLToPath(import.meta.url);
  const base = (files: string[]) =>
    measureChild(
      process.execPath,
      ['--import', 'tsx', self, '--baseline', String(scd), data, out, ...files],
      ROOT,
    );
  const cold = await measureChild(process.execPath, [SLUICE_BIN, 'run', dir], ROOT);
  if (cold.code !== 0) throw new Error(`sluice failed: ${cold.stderr}`);
  const duck = await base(['part-0.parquet']);
  if (duck.code !== 0) throw new Error(`baseline failed: ${duck.stderr}`);

  await generate(join(data, 'part-1.parquet'), events, increment, keys);
  const incr = await measureChild(process.execPath, [SLUICE_BIN, 'run', dir], ROOT);
  if (incr.code !== 0) throw new Error(`sluice failed: ${incr.stderr}`);
  const duckIncr = scd === 1 ? await base(['part-1.parquet']) : undefined;

  const target = join(dir, '.sluice', 'tables', 'default', 'target');
  console.log(
    `AUTO CDC, SCD type ${scd}${args.includes('--dv') ? ' (deletion vectors)' : ''}: ${events.toLocaleString('en-US')} events over ${keys.toLocaleString('en-US')} keys`,
  );
  console.log(
    `  sluice cold       ${secs(cold.wallMs).padStart(9)}  RSS ${mib(cold.peakRss)}  (pipeline: ${args.includes('--bronze') ? 'a bronze copy of the events + CDC' : 'CDC reading the files through a view, as the baseline reads them'})`,
  );
  console.log(
    `  DuckDB cold       ${secs(duck.wallMs).padStart(9)}  RSS ${mib(duck.peakRss)}  ${duck.stdout.trim()}`,
  );
  console.log(`  ratio             ${(cold.wallMs / duck.wallMs).toFixed(2)}×  (goal ≤ 1.5×)`);
  console.log(
    `  sluice +1 %       ${secs(incr.wallMs).padStart(9)}  RSS ${mib(incr.peakRss)}  (goal ≤ 5 % of cold + 0.5 s = ${secs(cold.wallMs * 0.05 + 500)})`,
  );
  if (duckIncr)
    console.log(`  DuckDB +1 % MERGE ${secs(duckIncr.wallMs).padStart(9)}  RSS ${mib(duckIncr.peakRss)}`);
  console.log(`  target: ${target}`);
}

if (process.argv[2] === '--baseline') {
  const [, , , scd, data, out, ...files] = process.argv;
  await baseline(Number(scd), data!, out!, files);
}
