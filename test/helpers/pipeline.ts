import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { query as chdbQuery } from 'chdb';
import { snapshotScanSql } from '../../src/storage/delta/scan.ts';
import { loadSnapshot } from '../../src/storage/delta/snapshot.ts';
import { queryRows } from '../../src/util/duckdb.ts';
import { connect } from './session.ts';

/** Writes files (path → content) under `dir`, creating folders. */
export function writeFiles(dir: string, files: Readonly<Record<string, string>>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
}

/** NDJSON text of the given records. */
export function ndjson(records: readonly Record<string, unknown>[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

/** `<dir>/.sluice/tables/default/<name>` — where a pipeline table lives with the default storage. */
export function tableDir(pipelineDir: string, name: string, schema = 'default'): string {
  return join(pipelineDir, '.sluice', 'tables', schema, name);
}

/** The column names of dataset `name`'s Delta table, as chdb (delta-kernel-rs) reads its schema. */
export function deltaColumnNames(pipelineDir: string, name: string): string[] {
  const path = tableDir(pipelineDir, name);
  const text = chdbQuery(`DESCRIBE TABLE deltaLakeLocal('${path.replace(/'/g, "\\'")}')`, 'TabSeparated');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.split('\t')[0] as string);
}

/** All rows of a Delta table (sluice's own reader), ordered by `orderBy`. */
export async function readTable(
  path: string,
  orderBy: string,
  version?: number,
): Promise<Record<string, unknown>[]> {
  const snap = await loadSnapshot(path, version === undefined ? {} : { version });
  const conn = await connect();
  try {
    return await queryRows(conn, `SELECT * FROM (${snapshotScanSql(snap)}) ORDER BY ${orderBy}`);
  } finally {
    conn.closeSync();
  }
}

/** Runs SQL on a fresh DuckDB connection (independent computations over raw files). */
export async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const conn = await connect();
  try {
    return await queryRows(conn, sql);
  } finally {
    conn.closeSync();
  }
}
