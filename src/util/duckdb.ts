import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import * as duckdb from '@duckdb/node-api';
import { memoryLimit } from './memory-limit.ts';

export type { DuckDBConnection, DuckDBInstance, DuckDBType } from '@duckdb/node-api';

// The CLI bundle inlines this package's JavaScript (only its native binding loads separately).

/** DuckDB's logical type ids (the node-api enum). */
export const { DuckDBTypeId } = duckdb;

let shared: Promise<DuckDBInstance> | undefined;

/**
 * The process-wide in-memory DuckDB instance. Open one connection per concurrent unit of work
 * (a flow, a query): temp views and transactions are per connection.
 */
export function sharedDuckDB(): Promise<DuckDBInstance> {
  shared ??= (async () => {
    const db = await duckdb.DuckDBInstance.create(':memory:', {
      memory_limit: memoryLimit(),
      // Where DuckDB spills what does not fit in memory (removed when the process ends cleanly).
      temp_directory: join(tmpdir(), `sluice-duckdb-${process.pid}`),
    });
    // Delta timestamps are UTC instants; make every session agree regardless of the machine's zone.
    const conn = await db.connect();
    try {
      await conn.run(`SET GLOBAL TimeZone = 'UTC'`);
    } finally {
      conn.closeSync();
    }
    return db;
  })();
  return shared;
}

/** A new connection on the shared instance. Close it with `conn.closeSync()` when done. */
export async function connect(): Promise<DuckDBConnection> {
  return (await sharedDuckDB()).connect();
}

/** Runs SQL and returns rows as plain JSON-compatible objects (BIGINT → number when safe, else string). */
export async function queryRows<T = Record<string, unknown>>(
  conn: DuckDBConnection,
  sql: string,
): Promise<T[]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJson() as T[];
}

/** Quotes an SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** Quotes an SQL identifier. */
export function sqlIdent(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}
