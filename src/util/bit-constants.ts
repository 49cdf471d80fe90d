/**
 * Large BIT constants in SQL (deletion vectors' bitmaps, up to megabytes each).
 *
 * A large constant is written as a call of a connection-local macro named after the bytes' hash,
 * `sluice_bits_<hash>()`, whose body is the constant. DuckDB expands and folds the call like a
 * literal, so a filter on it is pushed into the Parquet scan — while a scalar subquery reading the
 * bytes (`(SELECT content::BIT FROM read_blob(…))`) is planned as a join evaluated after the scan,
 * and a literal in the statement is parsed again by every statement that holds it.
 *
 * Invariants:
 * - the bytes are in this process's scratch folder under their hash (scratch-dir.ts), so the name
 *   alone says what the constant is, whichever code built the statement;
 * - a connection from `Database.connect()` defines each such macro a statement names before the
 *   statement is run or prepared, once per connection (macros are per connection: TEMP);
 * - a statement naming a macro that its connection has not defined fails to bind: it never runs
 *   with a missing constant.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { scratchDir, scratchFile } from './scratch-dir.ts';

const PREFIX = 'sluice_bits_';
const SUFFIX = '.bits';
/** A call of a constant's macro: the scratch file's name is its 40 hex digits. */
const CALL = /sluice_bits_([0-9a-f]{40})\(\)/g;

/**
 * Below this many bytes a constant is a literal in the statement (parsing it costs less than
 * defining a macro); from it on, a macro call.
 */
const INLINE_BYTES = 4096;

/** SQL: the BIT value of `bytes` (most significant bit first, as DuckDB stores BIT). */
export function bitConstantSql(bytes: Uint8Array): string {
  if (bytes.length < INLINE_BYTES) return `from_base64('${Buffer.from(bytes).toString('base64')}')::BIT`;
  const file = scratchFile(bytes, SUFFIX);
  const hash = file.slice(file.length - SUFFIX.length - 40, file.length - SUFFIX.length);
  return `${PREFIX}${hash}()`;
}

/**
 * `conn`, changed so that every statement it runs, prepares or splits first has the macros of the
 * BIT constants it names defined on it (see the module comment). Returns `conn`.
 */
export function withBitConstants(conn: DuckDBConnection): DuckDBConnection {
  const defined = new Set<string>();
  const run = conn.run.bind(conn);
  const extractStatements = conn.extractStatements.bind(conn);
  const prepare = conn.prepare.bind(conn);
  const define = async (sql: string): Promise<void> => {
    if (!sql.includes(PREFIX)) return;
    for (const [, hash] of sql.matchAll(CALL)) {
      if (hash === undefined || defined.has(hash)) continue;
      const bytes = readFileSync(join(scratchDir(), `${hash}${SUFFIX}`));
      await run(
        `CREATE OR REPLACE TEMP MACRO ${PREFIX}${hash}() AS from_base64('${bytes.toString('base64')}')::BIT`,
      );
      defined.add(hash);
    }
  };
  conn.run = async (sql, values, types) => {
    await define(sql);
    return run(sql, values, types);
  };
  // Streaming, pending and parameterized runs split the text with extractStatements.
  conn.extractStatements = async (sql) => {
    await define(sql);
    return extractStatements(sql);
  };
  conn.prepare = async (sql) => {
    await define(sql);
    return prepare(sql);
  };
  return conn;
}
