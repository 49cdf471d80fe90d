import { inputPlaceholder } from '../../src/model/index.ts';
import { type DuckDBConnection, queryRows } from '../../src/util/duckdb.ts';
import { connect, session } from '../helpers/session.ts';

let shared: Promise<DuckDBConnection> | undefined;

/** One DuckDB connection for a test file, in UTC (sluice's session time zone). */
export function db(): Promise<DuckDBConnection> {
  shared ??= connect().then(async (c) => {
    await c.run(`SET TimeZone = 'UTC'`);
    return c;
  });
  return shared;
}

export async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return queryRows(await db(), sql);
}

/** Binds input placeholders to the given relations (SQL) as temp views, then runs `sql`. */
export async function runBound(sql: string, inputs: readonly string[]): Promise<Record<string, unknown>[]> {
  const c = await db();
  for (const [i, rel] of inputs.entries()) {
    await c.run(`CREATE OR REPLACE TEMP VIEW ${inputPlaceholder(i)} AS ${rel}`);
  }
  return queryRows(c, sql);
}

/**
 * Like {@link runBound}, with the query typed over its inputs first, as a pipeline's binding
 * types it (Spark's `arr.f`, the non-ANSI conversions' markers): the SQL run, and its rows.
 */
export async function runTyped(
  sql: string,
  inputs: readonly string[],
): Promise<{ sql: string; rows: Record<string, unknown>[] }> {
  const c = await db();
  for (const [i, rel] of inputs.entries()) {
    await c.run(`CREATE OR REPLACE TEMP VIEW ${inputPlaceholder(i)} AS ${rel}`);
  }
  const typed = await session.sql.resolveFieldPaths(sql, async (probe) => {
    try {
      return (await queryRows<{ column_type: string }>(c, `DESCRIBE ${probe}`)).map((r) => r.column_type);
    } catch {
      return undefined;
    }
  });
  return { sql: typed, rows: await queryRows(c, typed) };
}
