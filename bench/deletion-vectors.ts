// Deletion vector benchmark: a full scan of a 10M-row Delta table whose files carry deletion
// vectors over 20% of their rows (random rows: the worst case for the vectors' encoding) against
// the same scan of the same data files without vectors. Target: ≤ 1.3×.
//
// `npm run bench -- dv [rows] [runs]`. Both tables share the Parquet files (the vector table's
// add actions name them by absolute path); they live under bench/.data/dv/, built once.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commit } from '../src/storage/delta/commit.ts';
import {
  deletionVectorFile,
  encodeRoaringBitmapArray,
  encodeZ85,
} from '../src/storage/delta/deletion-vector-encode.ts';
import { RowIndexSet } from '../src/storage/delta/roaring-bitmap.ts';
import { snapshotScanSql } from '../src/storage/delta/scan.ts';
import { type StructType, serializeSchema } from '../src/storage/delta/schema.ts';
import { loadSnapshot } from '../src/storage/delta/snapshot.ts';
import { Database, type DuckDBConnection, queryRows } from '../src/util/duckdb.ts';

const DATA = join(new URL('.', import.meta.url).pathname, '.data', 'dv');
const FILES = 10;
const DELETED = 0.2;

const field = (name: string, type: StructType['fields'][number]['type']) => ({
  name,
  type,
  nullable: true,
  metadata: {},
});
const SCHEMA: StructType = {
  type: 'struct',
  fields: [
    field('id', 'long'),
    field('k', 'integer'),
    field('s', 'string'),
    field('r', 'double'),
    field('d', 'date'),
    field('ts', 'timestamp'),
  ],
};

/** A full scan: every column is read and aggregated. */
const scanQuery = (scan: string) =>
  `SELECT count(*) AS n, sum(id) AS id, sum(k) AS k, max(s) AS s, sum(r) AS r, max(d) AS d, max(ts) AS ts FROM (${scan})`;

const metaData = (id: string) => ({
  id,
  format: { provider: 'parquet', options: {} },
  schemaString: serializeSchema(SCHEMA),
  partitionColumns: [],
  configuration: {},
  createdTime: Date.now(),
});

/** Deterministic pseudo-random row positions: `fraction` of `rows`, different per file. */
function deletedRows(rows: number, fraction: number, seed: number): RowIndexSet {
  let x = seed * 2654435761 + 1;
  const out: number[] = [];
  for (let i = 0; i < rows; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    if (x / 2 ** 31 < fraction) out.push(i);
  }
  return RowIndexSet.of(out);
}

async function build(conn: DuckDBConnection, rows: number): Promise<{ plain: string; dv: string }> {
  const plain = join(DATA, `plain-${rows}`);
  const dv = join(DATA, `dv-${rows}`);
  if (existsSync(join(dv, '_delta_log', '00000000000000000000.json'))) return { plain, dv };
  rmSync(plain, { recursive: true, force: true });
  rmSync(dv, { recursive: true, force: true });
  mkdirSync(plain, { recursive: true });
  mkdirSync(dv, { recursive: true });
  const per = Math.ceil(rows / FILES);
  const adds = [];
  for (let i = 0; i < FILES; i++) {
    const name = `part-${String(i).padStart(5, '0')}.parquet`;
    await conn.run(
      `COPY (SELECT range AS id, (range % 1000)::INTEGER AS k, 'name-' || (range % 997) AS s, (range * 0.37) % 101 AS r, DATE '2020-01-01' + (range % 3650)::INTEGER AS d, TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(range) AS ts FROM range(${i * per}, ${Math.min(rows, (i + 1) * per)})) TO '${join(plain, name)}' (FORMAT parquet)`,
    );
    const n = Math.min(rows, (i + 1) * per) - i * per;
    adds.push({
      path: name,
      partitionValues: {},
      size: 0,
      modificationTime: Date.now(),
      dataChange: true,
      stats: JSON.stringify({ numRecords: n }),
    });
  }
  await commit(
    plain,
    [
      { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
      { metaData: metaData('plain') },
      ...adds.map((add) => ({ add })),
    ],
    {
      readVersion: -1,
      operation: 'CREATE TABLE',
    },
  );
  // The same files, each with a vector over ~20% of its rows, all in one deletion vector file.
  const sets = adds.map((a, i) => deletedRows(JSON.parse(a.stats).numRecords, DELETED, i + 1));
  const file = deletionVectorFile(sets.map(encodeRoaringBitmapArray));
  const uuid = '9f0c8d4e-2b1a-4c3d-8e7f-112233445566';
  writeFileSync(join(dv, `deletion_vector_${uuid}.bin`), file.bytes);
  const z85 = encodeZ85(Buffer.from(uuid.replace(/-/g, ''), 'hex'));
  const dvAdds = adds.map((a, i) => ({
    ...a,
    path: `file://${join(plain, a.path)}`,
    deletionVector: {
      storageType: 'u',
      pathOrInlineDv: z85,
      offset: file.offsets[i],
      sizeInBytes: encodeRoaringBitmapArray(sets[i] as RowIndexSet).length,
      cardinality: (sets[i] as RowIndexSet).cardinality,
    },
  }));
  await commit(
    dv,
    [
      {
        protocol: {
          minReaderVersion: 3,
          minWriterVersion: 7,
          readerFeatures: ['deletionVectors'],
          writerFeatures: ['deletionVectors'],
        },
      },
      { metaData: { ...metaData('dv'), configuration: { 'delta.enableDeletionVectors': 'true' } } },
      ...dvAdds.map((add) => ({ add })),
    ],
    { readVersion: -1, operation: 'CREATE TABLE' },
  );
  return { plain, dv };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Milliseconds of one full scan: snapshot load + scan SQL (vectors decoded) + DuckDB query. */
async function timeScan(
  conn: DuckDBConnection,
  path: string,
): Promise<{ total: number; sql: number; n: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const snap = await loadSnapshot(path);
  const sql = snapshotScanSql(snap);
  const t1 = performance.now();
  const [row] = await queryRows<{ n: bigint | number }>(conn, scanQuery(sql));
  const c = process.cpuUsage(c0);
  return { total: performance.now() - t0, sql: t1 - t0, n: Number(row?.n), cpu: (c.user + c.system) / 1000 };
}

export async function run(args: string[]): Promise<void> {
  const rows = Number(args[0] ?? 10_000_000);
  const runs = Number(args[1] ?? 7);
  mkdirSync(DATA, { recursive: true });
  const db = new Database();
  const conn = await db.connect();
  await conn.run("SET TimeZone = 'UTC'");
  const t = performance.now();
  const { plain, dv } = await build(conn, rows);
  console.log(
    `tables ready in ${((performance.now() - t) / 1000).toFixed(1)} s (${rows.toLocaleString()} rows, ${FILES} files)`,
  );
  const plainTimes: number[] = [];
  const dvTimes: number[] = [];
  const dvSql: number[] = [];
  const plainCpu: number[] = [];
  const dvCpu: number[] = [];
  let kept = 0;
  await timeScan(conn, plain); // warm the file cache
  await timeScan(conn, dv);
  for (let i = 0; i < runs; i++) {
    const q = await timeScan(conn, plain);
    plainTimes.push(q.total);
    plainCpu.push(q.cpu);
    const r = await timeScan(conn, dv);
    dvCpu.push(r.cpu);
    dvTimes.push(r.total);
    dvSql.push(r.sql);
    kept = r.n;
  }
  // The scan must drop exactly the rows the vectors hold.
  const deleted = (await loadSnapshot(dv)).files.reduce(
    (n, f) => n + Number((f.deletionVector as { cardinality?: number } | undefined)?.cardinality ?? 0),
    0,
  );
  if (kept !== rows - deleted) throw new Error(`the scan kept ${kept} rows, expected ${rows - deleted}`);
  const p = median(plainTimes);
  const d = median(dvTimes);
  console.log(
    `rows kept with vectors: ${kept.toLocaleString()} of ${rows.toLocaleString()} (${((1 - kept / rows) * 100).toFixed(1)}% deleted)`,
  );
  console.log(`full scan without vectors: ${p.toFixed(0)} ms (median of ${runs})`);
  console.log(
    `full scan with vectors:    ${d.toFixed(0)} ms (of which log + vectors + SQL: ${median(dvSql).toFixed(0)} ms)`,
  );
  console.log(`ratio: ${(d / p).toFixed(2)}× (target ≤ 1.30×)`);
  // The fastest of the interleaved runs is the least disturbed by other work on the machine.
  console.log(
    `fastest runs: ${Math.min(...plainTimes).toFixed(0)} ms without vectors, ${Math.min(...dvTimes).toFixed(0)} ms with (${(Math.min(...dvTimes) / Math.min(...plainTimes)).toFixed(2)}×)`,
  );
  // CPU time (all DuckDB threads) is steadier than wall time on a busy machine.
  console.log(
    `CPU time: ${median(plainCpu).toFixed(0)} ms without vectors, ${median(dvCpu).toFixed(0)} ms with (${(median(dvCpu) / median(plainCpu)).toFixed(2)}×)`,
  );
  conn.closeSync();
}
