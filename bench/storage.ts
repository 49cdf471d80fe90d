// Storage benchmark: commit latency of a small append and snapshot load time of a long log.
// Data lives under bench/.data/ (gitignored); the 5,000-commit table is built once and reused.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { commit } from '../src/storage/delta/commit.ts';
import type { StructType } from '../src/storage/delta/schema.ts';
import { latestVersion, loadSnapshot } from '../src/storage/delta/snapshot.ts';
import { appendRows, createTable, writeDataFiles } from '../src/storage/delta/table.ts';
import { Database } from '../src/util/duckdb.ts';

const DATA = join(new URL('.', import.meta.url).pathname, '.data');
const SCHEMA: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'v', type: 'string', nullable: true, metadata: {} },
  ],
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
const ms = (x: number) => `${x.toFixed(2)} ms`;

export async function run(args: string[]): Promise<void> {
  const commits = Number(args[0] ?? 5000);
  mkdirSync(DATA, { recursive: true });
  const conn = await new Database().connect();

  // 1. Small appends: full path (DuckDB writes the Parquet file + commit) and log commit alone.
  const small = join(DATA, 'small-append');
  rmSync(small, { recursive: true, force: true });
  await createTable(small, { schema: SCHEMA, configuration: { 'delta.checkpointInterval': '1000000' } });
  const full: number[] = [];
  const files: number[] = [];
  const logOnly: number[] = [];
  for (let i = 0; i < 60; i++) {
    const t0 = performance.now();
    const snap = await loadSnapshot(small);
    const adds = await writeDataFiles(conn, small, `SELECT ${i} AS id, 'x' AS v`, SCHEMA_LAYOUT);
    const t1 = performance.now();
    await commit(
      small,
      adds.map((add) => ({ add })),
      { readVersion: snap.version, operation: 'WRITE', txn: { appId: 'b', version: i } },
    );
    const t2 = performance.now();
    if (i >= 10) {
      full.push(t2 - t0);
      files.push(t1 - t0);
      logOnly.push(t2 - t1);
    }
  }
  const appendTimes: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    await appendRows(conn, small, `SELECT ${i} AS id, 'y' AS v`);
    appendTimes.push(performance.now() - t0);
  }
  console.log('small append (1 row):');
  console.log(`  log commit (put-if-absent + fsync)     median ${ms(median(logOnly))}   (goal <= 5 ms)`);
  console.log(`  snapshot + data file write             median ${ms(median(files))}`);
  console.log(`  appendRows end to end                  median ${ms(median(appendTimes))}`);

  // 2. Snapshot load of a table with `commits` commits (checkpoint every 10).
  const long = join(DATA, `long-${commits}`);
  if ((await latestVersion(long)) !== commits) {
    rmSync(long, { recursive: true, force: true });
    console.log(`building a ${commits}-commit table in ${long} (once) …`);
    await createTable(long, { schema: SCHEMA });
    const [add] = await writeDataFiles(conn, long, `SELECT 1 AS id, 'x' AS v`, SCHEMA_LAYOUT);
    const t0 = performance.now();
    for (let v = 1; v <= commits; v++) {
      // Each commit adds one file entry (a log-only benchmark: the named files need not exist) and a txn.
      await commit(
        long,
        [
          {
            add: {
              ...add,
              path: `part-00000-bench-${v}.c000.zstd.parquet`,
              modificationTime: add.modificationTime + v,
            },
          },
        ],
        {
          readVersion: v - 1,
          operation: 'WRITE',
          txn: { appId: `app${v % 7}`, version: v },
          durable: false,
        },
      );
    }
    console.log(`  built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const loads: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    const snap = await loadSnapshot(long);
    loads.push(performance.now() - t0);
    if (snap.version !== commits || snap.files.length !== commits) throw new Error('unexpected snapshot');
  }
  const tt: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    await loadSnapshot(long, { version: commits - 5 });
    tt.push(performance.now() - t0);
  }
  console.log(`snapshot load, ${commits} commits, ${commits} live files, checkpoint every 10:`);
  console.log(`  latest                                 median ${ms(median(loads))}   (goal <= 100 ms)`);
  console.log(`  time travel (version ${commits - 5})             median ${ms(median(tt))}`);
  conn.closeSync();
  if (existsSync(small)) rmSync(small, { recursive: true, force: true });
}

const SCHEMA_LAYOUT = { schema: SCHEMA, partitionColumns: [] as string[] };
