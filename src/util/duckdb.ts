import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import * as duckdb from '@duckdb/node-api';
import { withBitConstants } from './bit-constants.ts';
import { memoryLimit } from './memory-limit.ts';
import { scratchDir } from './scratch-dir.ts';

export type { DuckDBConnection, DuckDBInstance, DuckDBType } from '@duckdb/node-api';

// The CLI bundle inlines this package's JavaScript (only its native binding loads separately).

/** DuckDB's logical type ids (the node-api enum). */
export const { DuckDBTypeId } = duckdb;

/**
 * Functions every database has, for SQL that must bind whatever its inputs' types turn out to be
 * (DuckDB binds every branch of a CASE, even one that cannot be taken):
 * - `sluice_unless_text(x)`: NULL when x is a VARCHAR, else x itself with its own type — a
 *   comparison written for non-text values stays bindable when the value is text (a macro
 *   overload on VARCHAR: no other type converts to VARCHAR implicitly, so they keep theirs).
 */
export const HELPER_MACROS: readonly string[] = [
  'CREATE OR REPLACE MACRO sluice_unless_text(x VARCHAR) AS NULL, (x) AS x',
];

/**
 * An in-memory DuckDB database with a visible owner: a session (one CLI command, one programmatic
 * call, one test) opens it, every unit of work takes its own connection from it (temp tables and
 * transactions are per connection), and the owner closes it. The instance itself opens on the
 * first `connect()` — or early with `warmUp()`, on DuckDB's thread, while other work goes on.
 *
 * Invariants: every session agrees on the time zone (UTC: Delta timestamps are instants), memory
 * is bounded by `SLUICE_MEMORY_LIMIT` and what does not fit spills to a folder of this database's
 * own, removed by `close()`.
 */
export class Database {
  #instance: Promise<DuckDBInstance> | undefined;
  #closed = false;
  readonly #spillDir = join(tmpdir(), `sluice-duckdb-${process.pid}-${randomUUID().slice(0, 8)}`);
  readonly #allowedPaths: readonly string[] | undefined;

  /**
   * `allowedPaths`: when given, SQL run on this database may read and write only below these
   * folders (DuckDB's `allowed_directories` with external access disabled) — for SQL a user
   * typed, which must not read arbitrary files.
   */
  constructor(options: { readonly allowedPaths?: readonly string[] } = {}) {
    this.#allowedPaths = options.allowedPaths;
  }

  /** Starts opening the instance without waiting for it (errors surface on the next connect). */
  warmUp(): void {
    this.#open().catch(() => undefined);
  }

  /**
   * A new connection. Close it with `conn.closeSync()` when done. It defines the large BIT
   * constants its statements name (bit-constants.ts).
   */
  async connect(): Promise<DuckDBConnection> {
    return withBitConstants(await (await this.#open()).connect());
  }

  /** Closes the instance (connections still open are closed with it) and removes its spill folder. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const opening = this.#instance;
    this.#instance = undefined;
    const cleanUp = () => rmSync(this.#spillDir, { recursive: true, force: true });
    if (!opening) return;
    opening.then((db) => {
      db.closeSync();
      cleanUp();
    }, cleanUp);
  }

  #open(): Promise<DuckDBInstance> {
    if (this.#closed) return Promise.reject(new Error('the DuckDB database of this session is closed'));
    this.#instance ??= (async () => {
      const db = await duckdb.DuckDBInstance.create(':memory:', {
        memory_limit: memoryLimit(),
        temp_directory: this.#spillDir,
      });
      const conn = await db.connect();
      try {
        await conn.run(`SET GLOBAL TimeZone = 'UTC'`);
        // DuckDB's cache of external file blocks keeps blocks of files long compacted and
        // vacuumed away: RSS grows over a long continuous run. Reads go to the OS page cache.
        await conn.run('SET GLOBAL enable_external_file_cache = false');
        for (const macro of HELPER_MACROS) await conn.run(macro);
        if (this.#allowedPaths) {
          const dirs = [...this.#allowedPaths, this.#spillDir, scratchDir()].map((d) =>
            sqlString(d.endsWith('/') ? d : `${d}/`),
          );
          await conn.run(`SET GLOBAL allowed_directories = [${dirs.join(', ')}]`);
          await conn.run('SET GLOBAL enable_external_access = false');
        }
      } finally {
        conn.closeSync();
      }
      return db;
    })();
    return this.#instance;
  }
}

/**
 * Runs `work` with `db` — or, when the caller has none (a one-off read outside any session),
 * with a database opened for this call alone and closed after it.
 */
export async function withDatabase<T>(
  db: Database | undefined,
  work: (db: Database) => Promise<T>,
): Promise<T> {
  if (db) return work(db);
  const own = new Database();
  try {
    return await work(own);
  } finally {
    own.close();
  }
}

/** Runs `work` on a fresh connection of `db` and closes the connection afterwards. */
export async function withConnection<T>(
  db: Database,
  work: (conn: DuckDBConnection) => Promise<T>,
): Promise<T> {
  const conn = await db.connect();
  try {
    return await work(conn);
  } finally {
    conn.closeSync();
  }
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
