/**
 * `runQuery`: the programmatic core of `sluice query`. Runs read-only DuckDB SQL in which Delta
 * tables are named Spark-style, `` delta.`path` [VERSION AS OF n] ``.
 */
import { duckdbErrorParts, SluiceError, toSluiceError } from '../errors/index.ts';
import { loadSnapshot, snapshotScanSql } from '../storage/index.ts';
import { type Database, type DuckDBConnection, withConnection } from '../util/index.ts';
import { assertReadOnly, rewriteDeltaReferences } from './rewrite.ts';

export interface QueryResult {
  /** Column names in result order (a repeated name gets a `_2`, `_3`… suffix). */
  readonly columns: string[];
  /** DuckDB type of each column, e.g. `BIGINT`, `TIMESTAMP WITH TIME ZONE`. */
  readonly types: string[];
  /** JSON-compatible rows: integers as numbers when safe (else strings), dates/timestamps as ISO strings. */
  readonly rows: Record<string, unknown>[];
}

export interface RunQueryOptions {
  /** Directory relative Delta paths are resolved against. */
  readonly cwd: string;
  /** The session's database the query runs on. */
  readonly db: Database;
}

const INTEGER_TYPES = new Set([
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'HUGEINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
  'UHUGEINT',
]);

function convertValue(v: unknown, type: string): unknown {
  if (typeof v !== 'string') return v;
  if (INTEGER_TYPES.has(type)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v;
  }
  if (type.startsWith('DECIMAL')) {
    const digits = v.replace(/[-.]/g, '').replace(/^0+/, '');
    return digits.length <= 15 ? Number(v) : v;
  }
  if (type === 'TIMESTAMP WITH TIME ZONE') {
    return v.replace(' ', 'T').replace(/\+00(:00)?$/, 'Z');
  }
  if (type === 'TIMESTAMP' || type === 'TIMESTAMP_S' || type === 'TIMESTAMP_MS' || type === 'TIMESTAMP_NS') {
    return v.replace(' ', 'T');
  }
  return v;
}

function uniqueNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k === 1 ? n : `${n}_${k}`;
  });
}

/**
 * Runs `sql` and returns all rows. Every `` delta.`path` `` (absolute, or relative to `cwd`) is
 * read at its latest version or `VERSION AS OF n`. The session time zone is UTC.
 * Errors: QUERY_READ_ONLY for statements that write, Delta errors (DELTA_*) for the tables,
 * QUERY_FAILED with DuckDB's message for anything DuckDB rejects.
 */
export async function runQuery(sql: string, options: RunQueryOptions): Promise<QueryResult> {
  assertReadOnly(sql);
  const rewritten = await rewriteDeltaReferences(sql, options.cwd, async (path, version) =>
    snapshotScanSql(
      await loadSnapshot(path, { db: options.db, ...(version === undefined ? {} : { version }) }),
    ),
  );
  return withConnection(options.db, async (conn) => {
    await conn.run("SET TimeZone = 'UTC'");
    return readQueryResult(conn, rewritten);
  });
}

/**
 * Runs DuckDB SQL on `conn` and converts the rows (see QueryResult).
 * @throws SluiceError QUERY_FAILED with DuckDB's message on one line.
 */
export async function readQueryResult(
  conn: DuckDBConnection,
  sql: string,
  /** What to say of a table that does not exist (e.g. the tables a pipeline has). */
  missingTable: (table: string) => string = (table) => `no table or view '${table}'`,
): Promise<QueryResult> {
  let reader: Awaited<ReturnType<typeof conn.runAndReadAll>>;
  try {
    reader = await conn.runAndReadAll(sql);
  } catch (e) {
    const denied = toSluiceError(e, 'QUERY_FAILED');
    if (denied.code === 'TABLE_OR_VIEW_NOT_FOUND') {
      // Stays QUERY_FAILED (the query command's code for SQL DuckDB rejects), said in our words.
      throw new SluiceError('QUERY_FAILED', missingTable(String(denied.params.table)), {
        params: denied.params,
        cause: e,
      });
    }
    if (denied.code === 'FILE_ACCESS_DENIED') {
      throw new SluiceError(
        'FILE_ACCESS_DENIED',
        `${denied.message}: a query reads the pipeline's tables and the Delta tables it names by path; to read other files, allow it (sluice query --allow-files)`,
        { params: denied.params, cause: e },
      );
    }
    const raw = e instanceof Error ? e.message : String(e);
    // DuckDB's class and message, without its excerpt of the (rewritten) statement.
    const parts = duckdbErrorParts(raw);
    const message = (parts ? `${parts.kind} Error: ${parts.detail}` : raw).replace(/\s*\n\s*/g, ' ').trim();
    throw new SluiceError('QUERY_FAILED', message, { cause: e });
  }
  const columns = uniqueNames(reader.columnNames());
  const types = reader.columnTypes().map((t) => t.toString());
  const rows = reader.getRowsJson().map((row) => {
    const o: Record<string, unknown> = {};
    columns.forEach((c, i) => {
      o[c] = convertValue(row[i], types[i] as string);
    });
    return o;
  });
  return { columns, types, rows };
}
