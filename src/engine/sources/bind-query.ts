import type { BoundQuery, LeafInput } from '../../graph/index.ts';
import type { CompiledQuery, Dataset } from '../../model/index.ts';
import { assertNoLegacyMarkers, type SqlCompiler } from '../../sql/index.ts';
import { type DuckDBConnection, queryRows, sqlIdent } from '../../util/index.ts';
import { checkEventTime, withEventTime } from './event-time.ts';

/**
 * What types a bound query: the compiler, and a connection its probes bind on (DESCRIBE only,
 * nothing runs). See {@link bindQuery}.
 */
export interface QueryTyping {
  readonly sql: SqlCompiler;
  readonly conn: DuckDBConnection;
  /**
   * Type only the non-ANSI conversions (sql/legacy-markers.ts), leaving field access as written:
   * for a stream–stream join, whose run reads its queries' `arr.f` as written.
   */
  readonly markersOnly?: boolean;
}

/**
 * What an inlined view's bound SQL becomes (e.g. its rows checked against its expectations), given
 * the view, its key in the query tree, its bound SQL and its compiled query.
 */
export type ViewSql = (view: Dataset, key: string, sql: string, query: CompiledQuery) => Promise<string>;

/** A view's bound SQL as it is. */
const asWritten: ViewSql = async (_view, _key, sql) => sql;

/** The name that stands for the input at `key` (e.g. `0/1`) in a flow's bound SQL. */
function boundViewName(key: string): string {
  return `__sluice_b_${key.replaceAll('/', '_')}`;
}

const PLACEHOLDER = /\b__sluice_input_(\d+)\b/g;

/**
 * Binds a flow's query tree into one self-contained SELECT: every leaf becomes a CTE over the
 * SQL that `leafSql` returns for it, every inlined view a CTE over its own bound query, and the
 * flow's query reads those CTEs. The CTEs are `NOT MATERIALIZED`, so each reference is inlined
 * exactly as a view would be (a batch's input is streamed, never held in memory by the binding).
 * Nothing is created on the connection: binding a large read once per statement is what a temp
 * view costs too, and skipping the CREATE VIEW saves one full bind per batch.
 *
 * With `typing`, each query's field access through arrays of structs (Spark's `arr.f`, which
 * needs the type of `arr`) and its non-ANSI conversions of values whose type the translation did
 * not know (sql/legacy-markers.ts) are written for DuckDB over the types of the inputs it is
 * bound to. The result never holds such a marker (LEGACY_MODE_UNRESOLVED_TYPE otherwise).
 *
 * An input read with a computed event time (`WATERMARK expr AS ts`) is read with it projected
 * (see `withEventTime`); on a connection (`typing`'s, else `check`) its type is checked first.
 * @throws SluiceError EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE, WATERMARK_EVENT_TIME_CONFLICT,
 *   LEGACY_MODE_UNRESOLVED_TYPE
 */
export async function bindQuery(
  bound: BoundQuery,
  leafSql: (leaf: LeafInput) => Promise<string>,
  viewSql: ViewSql = asWritten,
  typing?: QueryTyping,
  check?: DuckDBConnection,
): Promise<string> {
  const over = await inputsOf(bound, leafSql, viewSql, typing, check);
  // Without `typing` (a query already typed, e.g. a rewrite of `typedQuerySql`'s result), a
  // non-ANSI marker left in the query is a bug: refused here, never sent to DuckDB.
  return assertNoLegacyMarkers(over(typing ? await typed(bound.query.sql, over, typing) : bound.query.sql));
}

/**
 * The flow's own query (DuckDB SQL with its input placeholders, as compiled) with its field
 * access through arrays of structs written for the types of its inputs: for code that rewrites
 * the query before binding it (a refresh by groups).
 */
export async function typedQuerySql(
  bound: BoundQuery,
  leafSql: (leaf: LeafInput) => Promise<string>,
  typing: QueryTyping,
): Promise<string> {
  return typed(bound.query.sql, await inputsOf(bound, leafSql, undefined, typing), typing);
}

/** The function that binds one query text of `bound` over its inputs (as CTEs). */
async function inputsOf(
  bound: BoundQuery,
  leafSql: (leaf: LeafInput) => Promise<string>,
  viewSql: ViewSql = asWritten,
  typing?: QueryTyping,
  check?: DuckDBConnection,
): Promise<(sql: string) => string> {
  const ctes: string[] = [];
  for (const child of bound.children) {
    const key = bound.key === '' ? String(child.index) : `${bound.key}/${child.index}`;
    const read =
      child.kind === 'leaf'
        ? await leafSql(child.leaf)
        : await viewSql(
            child.view,
            key,
            await bindQuery(child.bound, leafSql, viewSql, typing, check),
            child.bound.query,
          );
    const input = bound.query.inputs[child.index];
    const conn = typing?.conn ?? check;
    // A watermark on a column of the relation itself is checked where `check` is given (validate;
    // a stream–stream join's reads): a DESCRIBE per batch would cost the fused catch-up ~25 % CPU.
    if (conn) await checkEventTime(conn, input, read, check !== undefined);
    const sql = withEventTime(input, read);
    ctes.push(`${sqlIdent(boundViewName(key))} AS NOT MATERIALIZED (${sql}\n)`);
  }
  return (sql: string): string => {
    const query = sql
      .trim()
      .replace(/;+\s*$/, '')
      .replace(PLACEHOLDER, (_m, i: string) => boundViewName(bound.key === '' ? i : `${bound.key}/${i}`));
    if (ctes.length === 0) return query;
    // The query's own SELECT stays the outermost one, so its columns keep their names as it
    // gives them (a wrapping `SELECT * FROM (…)` would name a duplicate `a` apart as `a_1`, which
    // the write's checks must see as a duplicate, engine/tables/column-names.ts).
    const own = /^WITH(\s+RECURSIVE)?\s/i.exec(query);
    if (own) return `WITH${own[1] ?? ''} ${ctes.join(',\n')},\n${query.slice(own[0].length)}`;
    if (/^SELECT\s/i.test(query)) return `WITH ${ctes.join(',\n')}\n${query}`;
    return `WITH ${ctes.join(',\n')}\nSELECT * FROM (\n${query}\n)`;
  };
}

/**
 * `sql` with its field access through arrays of structs typed by probes that `over` binds to the
 * relations it reads (e.g. a stateful flow's plan over its batch input): what the flow's own
 * query gets from {@link bindQuery}, for the other statements a flow runs over its input.
 */
export function typeFieldPaths(
  sql: string,
  over: (sql: string) => string,
  typing: QueryTyping,
): Promise<string> {
  return typed(sql, over, typing);
}

/**
 * `sql` typed by probes bound over the inputs (`over`): field access through arrays of structs,
 * and the non-ANSI conversions whose form depends on a type (never left unresolved).
 */
async function typed(sql: string, over: (sql: string) => string, typing: QueryTyping): Promise<string> {
  const resolve = typing.markersOnly
    ? typing.sql.resolveLegacyMarkers.bind(typing.sql)
    : typing.sql.resolveFieldPaths.bind(typing.sql);
  return assertNoLegacyMarkers(
    await resolve(sql, async (probe) => {
      try {
        const rows = await queryRows<{ column_type: string }>(typing.conn, `DESCRIBE ${over(probe)}`);
        return rows.map((r) => r.column_type);
      } catch {
        // A probe that does not bind says nothing: the query keeps its names as written.
        return undefined;
      }
    }),
  );
}

/** A typed, empty relation with the given columns (DuckDB types). */
export function emptyRelationSql(
  columns: readonly { readonly name: string; readonly type: string }[],
): string {
  if (columns.length === 0) return 'SELECT NULL AS __empty WHERE false';
  return `SELECT ${columns.map((c) => `CAST(NULL AS ${c.type}) AS ${sqlIdent(c.name)}`).join(', ')} WHERE false`;
}
