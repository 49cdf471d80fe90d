import { SluiceError } from '../../errors/index.ts';
import type { Dataset, Expectation } from '../../model/index.ts';
import { mayCallVolatile, type SqlCompiler } from '../../sql/index.ts';
import { type DuckDBConnection, queryRows, sqlIdent, sqlString } from '../../util/index.ts';
import type { ExpectationMetrics } from '../engine-events.ts';

/** An expectation with its constraint translated to DuckDB and a flag column name. */
export interface CompiledExpectation {
  readonly expectation: Expectation;
  readonly dataset: string;
  readonly sql: string;
  /** Name of the boolean column holding "this row passed" in the materialized batch. */
  readonly flag: string;
}

/** A dataset's expectations, translated once per update (owned by the update's context). */
export class ExpectationCache {
  readonly #compiled = new Map<Dataset, Map<string, Promise<CompiledExpectation[]>>>();

  constructor(private readonly sql: SqlCompiler) {}

  /**
   * The dataset's expectations with their constraints translated to DuckDB; `rowColumns` (the
   * columns of the rows they check, when the query names them) lets `x.k` read column `k` of rows
   * the query selected from `… x` (see `ExpressionOptions`).
   */
  of(dataset: Dataset, rowColumns?: readonly string[], legacy = false): Promise<CompiledExpectation[]> {
    const byColumns = this.#compiled.get(dataset) ?? new Map<string, Promise<CompiledExpectation[]>>();
    this.#compiled.set(dataset, byColumns);
    const key = `${legacy ? 'legacy\u0001' : ''}${rowColumns ? rowColumns.join('\u0000') : ''}`;
    let c = byColumns.get(key);
    if (!c) {
      c = Promise.all(
        dataset.expectations.map(async (e, i) => ({
          expectation: e,
          dataset: dataset.name,
          sql: await this.sql.translateExpression(e.expression, {
            ...(e.location ? { location: e.location } : {}),
            ...(rowColumns ? { rowColumns } : {}),
            ...(legacy ? { legacy } : {}),
          }),
          flag: `__sluice_pass_${i}`,
        })),
      );
      byColumns.set(key, c);
    }
    return c;
  }
}

/** The batch table name on a flow's connection. */
export const BATCH_TABLE = '__sluice_batch';

/** Columns added to the batch table for bookkeeping; excluded from every write. */
function flagColumns(compiled: readonly CompiledExpectation[]): string[] {
  return [...compiled.map((c) => c.flag), '__sluice_quarantine', '__sluice_drop'];
}

export interface ExpectationEvaluation {
  readonly inputRows: number;
  readonly droppedRows: number;
  readonly quarantinedRows: number;
  readonly keptRows: number;
  readonly metrics: readonly ExpectationMetrics[];
}

/**
 * Whether the batch query and its constraints give the same rows and verdicts when run again
 * in the same transaction (where `current_timestamp` is fixed): then the batch can be read once
 * per use instead of materialized. A false "volatile" only costs the materialization.
 */
export function isRepeatable(sql: string, compiled: readonly CompiledExpectation[]): boolean {
  return ![sql, ...compiled.map((c) => c.sql)].some(mayCallVolatile);
}

/**
 * Evaluates every expectation on every row of `sql` in one pass over the batch with one boolean
 * column per expectation (TRUE only when the constraint is TRUE — FALSE and NULL fail) plus the
 * routing decisions. Precedence: FAIL over QUARANTINE over DROP over warn. Throws
 * EXPECTATION_VIOLATION (before anything is written) when a FAIL UPDATE expectation fails.
 *
 * `materialize` (default): the flagged batch is stored in `table`, and `rows` names it. Otherwise
 * (for a repeatable query — see `isRepeatable` — inside one transaction) only the counts are
 * computed and `rows` is the flagged query itself: every later read re-runs it, streaming, so
 * memory does not grow with the batch.
 */
export async function evaluateExpectations(
  conn: DuckDBConnection,
  sql: string,
  compiled: readonly CompiledExpectation[],
  table: string = BATCH_TABLE,
  options: { readonly materialize?: boolean } = {},
): Promise<ExpectationEvaluation & { readonly rows: string }> {
  const failed = (c: CompiledExpectation) => `NOT ${sqlIdent(c.flag)}`;
  const anyOf = (cs: readonly CompiledExpectation[]) =>
    cs.length === 0 ? 'false' : cs.map(failed).join(' OR ');
  const by = (a: Expectation['action']) => compiled.filter((c) => c.expectation.action === a);
  const flags = compiled.map((c) => `coalesce((${c.sql}), false) AS ${sqlIdent(c.flag)}`);
  const flagged =
    `SELECT *, ${anyOf(by('quarantine'))} AS __sluice_quarantine, ` +
    `(${anyOf(by('drop'))}) AND NOT (${anyOf(by('quarantine'))}) AS __sluice_drop ` +
    `FROM (SELECT __q.*${flags.length ? `, ${flags.join(', ')}` : ''} FROM (${sql}) AS __q)`;
  const materialize = options.materialize ?? true;
  const rows = materialize ? table : `(${flagged}) AS __sluice_rows`;
  if (materialize) await conn.run(`CREATE OR REPLACE TEMP TABLE ${table} AS ${flagged}`);
  const counts = await queryRows<Record<string, number | string>>(
    conn,
    `SELECT count(*) AS n, count_if(__sluice_quarantine) AS q, count_if(__sluice_drop) AS d, ` +
      `count_if(${anyOf(by('fail'))}) AS f` +
      compiled.map((c, i) => `, count_if(${failed(c)}) AS e${i}`).join('') +
      ` FROM ${rows}`,
  );
  const row = counts[0]!;
  const num = (k: string) => Number(row[k] ?? 0);
  const inputRows = num('n');
  if (num('f') > 0) {
    const failing = by('fail');
    const nameExpr = failing
      .map((c) => `CASE WHEN ${failed(c)} THEN ${sqlString(c.expectation.name)} END`)
      .reduce((acc, x) => `coalesce(${acc}, ${x})`);
    const offenders = await queryRows<{ name: string; row: string }>(
      conn,
      `WITH o AS (SELECT * FROM ${rows} WHERE ${anyOf(failing)} LIMIT 1) ` +
        `SELECT ${nameExpr} AS name, (SELECT to_json(r)::VARCHAR FROM (SELECT * EXCLUDE (${flagColumns(
          compiled,
        )
          .map(sqlIdent)
          .join(', ')}) FROM o) AS r) AS row FROM o`,
    );
    const offender = offenders[0];
    const exp = failing.find((c) => c.expectation.name === offender?.name) ?? failing[0]!;
    const name = exp.expectation.name;
    throw new SluiceError(
      'EXPECTATION_VIOLATION',
      `expectation '${name}' (${exp.expectation.expression}) on dataset '${exp.dataset}' failed with ON VIOLATION FAIL UPDATE; offending row: ${offender?.row ?? '?'}`,
      {
        dataset: exp.dataset,
        params: {
          expectation: name,
          expression: exp.expectation.expression,
          row: offender?.row,
          failedRecords: num('f'),
        },
        ...(exp.expectation.location ? { location: exp.expectation.location } : {}),
      },
    );
  }
  const metrics = compiled.map((c, i) => ({
    name: c.expectation.name,
    dataset: c.dataset,
    action: c.expectation.action,
    passed_records: inputRows - num(`e${i}`),
    failed_records: num(`e${i}`),
  }));
  return {
    inputRows,
    droppedRows: num('d'),
    quarantinedRows: num('q'),
    keptRows: inputRows - num('d') - num('q'),
    metrics,
    rows,
  };
}

/**
 * Counts warn-only expectations over rows already written (no row is removed, so nothing needs
 * materializing first): one aggregate pass over `sql`.
 */
export async function countExpectations(
  conn: DuckDBConnection,
  sql: string,
  compiled: readonly CompiledExpectation[],
): Promise<ExpectationEvaluation> {
  const rows = await queryRows<Record<string, number | string>>(
    conn,
    `SELECT count(*) AS n${compiled.map((c, i) => `, count_if(NOT coalesce((${c.sql}), false)) AS e${i}`).join('')} FROM (${sql}) AS __q`,
  );
  const row = rows[0] ?? {};
  const n = Number(row.n ?? 0);
  return {
    inputRows: n,
    droppedRows: 0,
    quarantinedRows: 0,
    keptRows: n,
    metrics: compiled.map((c, i) => ({
      name: c.expectation.name,
      dataset: c.dataset,
      action: c.expectation.action,
      passed_records: n - Number(row[`e${i}`] ?? 0),
      failed_records: Number(row[`e${i}`] ?? 0),
    })),
  };
}

/** SELECT of the rows that stay in the target (bookkeeping columns removed); `table`: an evaluation's `rows`. */
export function keptRowsSql(compiled: readonly CompiledExpectation[], table: string = BATCH_TABLE): string {
  return `SELECT * EXCLUDE (${flagColumns(compiled).map(sqlIdent).join(', ')}) FROM ${table} WHERE NOT __sluice_quarantine AND NOT __sluice_drop`;
}

/**
 * SELECT of the quarantined rows with `_violations` (every expectation the row failed, of any
 * action), `_batch_id`, `_source` and `_quarantined_at`.
 */
export function quarantinedRowsSql(
  compiled: readonly CompiledExpectation[],
  batchId: number,
  source: string,
  table: string = BATCH_TABLE,
): string {
  const names = compiled.map(
    (c) => `CASE WHEN NOT ${sqlIdent(c.flag)} THEN ${sqlString(c.expectation.name)} END`,
  );
  return (
    `SELECT * EXCLUDE (${flagColumns(compiled).map(sqlIdent).join(', ')}), ` +
    `list_filter([${names.join(', ')}], x -> x IS NOT NULL)::VARCHAR[] AS _violations, ` +
    `${batchId}::BIGINT AS _batch_id, ${sqlString(source)}::VARCHAR AS _source, current_timestamp AS _quarantined_at ` +
    `FROM ${table} WHERE __sluice_quarantine`
  );
}
