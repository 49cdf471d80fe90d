// Benchmark: `sluice lint` over 1,000 generated files — 300 SQL files in 10 sluice pipelines,
// 400 Python files (pipeline notebooks and raw streams with foreachBatch), 300 YAML files
// (10 specs, 10 bundles of 20 pipeline and job files, loose cluster fragments).
// Goal: ≤ 2 s. Run: `npm run bench -- lint`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { formatLintText, lintPipelines } from '../src/index.ts';

const PIPELINES = 10;
const SQL_PER_PIPELINE = 30;
const PYTHON = 400;
const BUNDLES = 10;
const YAML_PER_BUNDLE = 20;
/** Loose cluster fragments: the rest of the 1,000 files. */
const FRAGMENTS = 1000 - PIPELINES * (SQL_PER_PIPELINE + 1) - PYTHON - BUNDLES * (YAML_PER_BUNDLE + 1);

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

function sqlFile(p: number, i: number): string {
  const prev =
    i === 0 ? `STREAM read_files('data/p${p}/*.json', format => 'json')` : `STREAM(t_${p}_${i - 1})`;
  const constraint =
    i % 3 === 0 ? '' : `(\n  CONSTRAINT valid_id EXPECT (id IS NOT NULL) ON VIOLATION DROP ROW\n)\n`;
  return `-- table ${i} of pipeline ${p}
CREATE OR REFRESH STREAMING TABLE t_${p}_${i} ${constraint}TBLPROPERTIES ('quality' = 'silver'${i % 2 === 0 ? ", 'delta.enableChangeDataFeed' = 'true'" : ''})
AS SELECT id, v + ${i} AS v, current_timestamp() AS at FROM ${prev};
`;
}

function pythonFile(i: number): string {
  if (i % 4 === 0)
    return `# sluice-lint: disable-file ST-01 legacy stream ${i}, approved by the platform architect
def upsert_${i}(batch_df, batch_id):
    batch_df.write.mode("append").saveAsTable("t_${i}")

(spark.readStream
    .table("bronze.events_${i}")
    .writeStream
    .foreachBatch(upsert_${i})
    .start())
`;
  return `import dlt
from pyspark.sql.functions import col, current_timestamp

@dlt.table(name="silver_${i}", table_properties={"quality": "silver"})
@dlt.expect_or_drop("valid_id", "id IS NOT NULL")
def silver_${i}():
    return dlt.read_stream("bronze_${i}").withColumn("at", current_timestamp())

@dlt.table(name="stats_${i}")
def stats_${i}():
    df = dlt.read("silver_${i}").groupBy(col("id")).count()
    return df
`;
}

function bundleFiles(b: number): Record<string, string> {
  const files: Record<string, string> = {
    [`bundle_${b}/databricks.yml`]: `bundle:\n  name: bench_${b}\ninclude:\n  - resources/*.yml\ntargets:\n  dev:\n    default: true\n`,
  };
  for (let i = 0; i < YAML_PER_BUNDLE; i++) {
    files[`bundle_${b}/resources/r_${i}.yml`] =
      i % 2 === 0
        ? `resources:
  pipelines:
    p_${i}:
      name: p_${i}
      serverless: ${i % 4 === 0}
      libraries:
        - glob:
            include: ../src/p_${i}/**
      clusters:
        - label: default
          autoscale: { min_workers: 1, max_workers: 4 }
`
        : `resources:
  jobs:
    job_${i}:
      name: job_${i}
      max_retries: -1
      job_clusters:
        - job_cluster_key: main
          new_cluster:
            num_workers: 2
            spark_version: "15.4.x-scala2.12"
      tasks:
        - task_key: run
          existing_cluster_id: "0101-abc"
          notebook_task:
            notebook_path: ../src/job_${i}.py
`;
  }
  return files;
}

export function generate(dir: string): number {
  rmSync(dir, { recursive: true, force: true });
  const files: Record<string, string> = {};
  for (let p = 0; p < PIPELINES; p++) {
    files[`pipeline_${p}/spark-pipeline.yml`] = `name: bench_${p}\ntags:\n  team: data\n`;
    for (let i = 0; i < SQL_PER_PIPELINE; i++)
      files[`pipeline_${p}/transformations/t_${String(i).padStart(2, '0')}.sql`] = sqlFile(p, i);
  }
  for (let i = 0; i < PYTHON; i++) files[`python/nb_${String(i).padStart(3, '0')}.py`] = pythonFile(i);
  for (let b = 0; b < BUNDLES; b++) Object.assign(files, bundleFiles(b));
  for (let i = 0; i < FRAGMENTS; i++)
    files[`fragments/cluster_${i}.yml`] =
      `new_cluster:\n  ${i % 2 === 0 ? 'num_workers: 4' : 'autoscale:\n    min_workers: 2\n    max_workers: 8'}\n`;
  for (const [f, t] of Object.entries(files)) write(join(dir, f), t);
  return Object.keys(files).length;
}

export async function run(): Promise<void> {
  const dir = join(process.cwd(), '.tmp', 'bench-lint');
  const n = generate(dir);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await lintPipelines([dir], { cwd: dir });
  const inProcess = performance.now() - t0;
  const c1 = process.cpuUsage(c0);
  const cpu = (c1.user + c1.system) / 1e6;
  const last = formatLintText(r).trim().split('\n').pop();
  console.log(
    `lint: ${n} files generated (SQL ${PIPELINES * SQL_PER_PIPELINE}, Python ${PYTHON}, YAML ${n - PIPELINES * SQL_PER_PIPELINE - PYTHON})`,
  );
  console.log(`lint: ${r.files.length} files read, ${r.findings.length} findings — ${last}`);
  // CPU time does not depend on what else the machine runs; on a busy machine wall time does.
  console.log(
    `lint: in-process lintPipelines, first run: ${(inProcess / 1000).toFixed(2)} s wall, ${cpu.toFixed(2)} s CPU (goal ≤ 2 s; load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores)`,
  );
  // Through bash's `time`, for the child's CPU seconds (user and system) beside its wall time.
  const w0 = performance.now();
  const cli = spawnSync(
    'bash',
    [
      '-c',
      'TIMEFORMAT="%3U %3S"; time "$0" "$@" > /dev/null',
      process.execPath,
      join(process.cwd(), 'bin', 'sluice.js'),
      'lint',
      dir,
      '--format',
      'json',
    ],
    { encoding: 'utf8' },
  );
  const wall = performance.now() - w0;
  const times = /([\d.]+) ([\d.]+)\s*$/.exec(cli.stderr);
  const childCpu = times ? ` wall, ${(Number(times[1]) + Number(times[2])).toFixed(2)} s CPU` : ' wall';
  console.log(`lint: sluice lint (CLI, exit ${cli.status}): ${(wall / 1000).toFixed(2)} s${childCpu}`);
  rmSync(dir, { recursive: true, force: true });
}
