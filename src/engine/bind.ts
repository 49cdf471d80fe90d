import type { DuckDBConnection } from '../util/duckdb.ts';
import { sqlIdent } from '../util/duckdb.ts';
import type { Dataset } from '../model/index.ts';
import type { BoundQuery, LeafInput } from './plan.ts';

/** The temp-view name that stands for the input at `key` (e.g. `0/1`) on a flow's connection. */
export function boundViewName(key: string): string {
  return `__sluice_b_${key.replaceAll('/', '_')}`;
}

const PLACEHOLDER = /\b__sluice_input_(\d+)\b/g;

/**
 * Binds a flow's query tree on `conn`: every leaf becomes a temp view over the SQL that
 * `leafSql` returns for it, every inlined view a temp view over its own bound query, and the
 * returned SQL is the flow's query reading those views. Temp views are per connection, so
 * flows running concurrently on their own connections never see each other's bindings.
 */
export async function bindQuery(
  conn: DuckDBConnection,
  bound: BoundQuery,
  leafSql: (leaf: LeafInput) => Promise<string>,
  viewSql: (view: Dataset, key: string, sql: string) => Promise<string> = async (_v, _k, sql) => sql,
): Promise<string> {
  for (const child of bound.children) {
    const key = bound.key === '' ? String(child.index) : `${bound.key}/${child.index}`;
    const sql =
      child.kind === 'leaf'
        ? await leafSql(child.leaf)
        : await viewSql(child.view, key, await bindQuery(conn, child.bound, leafSql, viewSql));
    await conn.run(`CREATE OR REPLACE TEMP VIEW ${sqlIdent(boundViewName(key))} AS ${sql}`);
  }
  return bound.query.sql.replace(PLACEHOLDER, (_m, i: string) =>
    boundViewName(bound.key === '' ? i : `${bound.key}/${i}`),
  );
}

/** A typed, empty relation with the given columns (DuckDB types). */
export function emptyRelationSql(columns: readonly { readonly name: string; readonly type: string }[]): string {
  if (columns.length === 0) return 'SELECT NULL AS __empty WHERE false';
  return `SELECT ${columns.map((c) => `CAST(NULL AS ${c.type}) AS ${sqlIdent(c.name)}`).join(', ')} WHERE false`;
}
