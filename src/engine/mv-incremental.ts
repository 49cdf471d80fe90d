import { isSluiceError } from '../errors/index.ts';
import { groupAggregateRewrite, keyColumn } from '../sql/group-aggregate.ts';
import type { AddAction } from '../storage/delta/actions.ts';
import { deltaTypeToDuckDB } from '../storage/delta/schema.ts';
import { type DuckDBConnection, queryRows, sqlIdent, sqlString } from '../util/duckdb.ts';
import { bindQuery } from './bind.ts';
import type { UpdateContext } from './context.ts';
import type { FlowCheckpoint } from './flow-checkpoint.ts';
import type { SourceOffset } from './offsets.ts';
import { type PlannedFlow, tablePath } from './plan.ts';
import * as store from './store.ts';

/** A refresh by groups, ready to write: the view's new contents as one query. */
export interface GroupRefresh {
  readonly kind: 'groups';
  /** The new contents: untouched stored groups plus the touched groups recomputed. */
  readonly sql: string;
  readonly reason: string;
  /** Drops the key table; call once the write is done (or failed). */
  readonly release: () => Promise<void>;
}

/** Why the view is recomputed completely instead. */
export interface NotByGroups {
  readonly kind: 'complete';
  readonly reason: string;
}

let keyTables = 0;

/**
 * Plans a materialized view refresh by groups (technique GROUP_AGGREGATE): applicable when the
 * view has no expectations, reads one stored table that only grew since the last refresh (no
 * rows removed, same schema), and its query is a deterministic grouped aggregate whose keys are
 * output columns (see `groupAggregateRewrite`). Then the keys carried by the new input rows go
 * into a temp table, those groups are recomputed over all their input rows, and every other
 * group is copied from the stored view — the same rows a complete recompute would produce.
 * Invariant: the stored view is the result of the refresh recorded in `before`.
 */
export async function planGroupRefresh(
  ctx: UpdateContext,
  pf: PlannedFlow,
  conn: DuckDBConnection,
  cp: FlowCheckpoint,
  before: Readonly<Record<string, SourceOffset>>,
  after: Readonly<Record<string, SourceOffset>>,
): Promise<GroupRefresh | NotByGroups> {
  const complete = (reason: string): NotByGroups => ({ kind: 'complete', reason });
  if (pf.target.expectations.length > 0) return complete('the view has expectations');
  const child = pf.bound.children.length === 1 ? pf.bound.children[0] : undefined;
  const leaf = child?.kind === 'leaf' ? child.leaf : undefined;
  const dataset = leaf?.dataset;
  if (!leaf || !dataset || leaf.input.kind !== 'dataset')
    return complete('it does not read exactly one table');
  const was = before[leaf.key];
  const now = after[leaf.key];
  if (
    was?.kind !== 'table-snapshot' ||
    now?.kind !== 'table-snapshot' ||
    was.version === null ||
    now.version === null
  ) {
    return complete('no earlier refresh of the same input to build on');
  }
  const path = tablePath(ctx.plan.storage, dataset);
  let adds: Awaited<ReturnType<typeof store.addedFilesBetween>>;
  try {
    adds = await store.addedFilesBetween(path, was.version, now.version, {
      dataset: dataset.name,
      skipChangeCommits: false,
    });
  } catch (e) {
    if (isSluiceError(e) && e.code === 'STREAMING_SOURCE_NOT_APPEND_ONLY') {
      return complete(`input '${dataset.name}' had rows updated or deleted`);
    }
    throw e;
  }
  const [old, input, view] = await Promise.all([
    store.snapshot(path, was.version),
    store.snapshot(path, now.version),
    store.snapshot(cp.tablePath),
  ]);
  if (
    old.metadata.schemaString !== input.metadata.schemaString ||
    JSON.stringify(old.partitionColumns) !== JSON.stringify(input.partitionColumns)
  ) {
    return complete(`the schema of input '${dataset.name}' changed`);
  }
  const keys = `__sluice_keys_${++keyTables}`;
  const rewrite = await groupAggregateRewrite(
    pf.bound.query.sql,
    input.schema.fields.map((f) => f.name),
    sqlIdent(keys),
  );
  if ('reason' in rewrite) return complete(`${rewrite.reason}, so it is not refreshed by groups`);
  const stored = new Map(view.schema.fields.map((f) => [f.name.toLowerCase(), f.name]));
  const keyNames = rewrite.keyColumns.map((c) => stored.get(c.toLowerCase()));
  if (keyNames.some((n) => n === undefined)) return complete('the stored view lacks a key column');

  const withSql = (sql: string) => ({ ...pf.bound, query: { ...pf.bound.query, sql } });
  const newRows = adds.length > 0 ? store.scanFilesSql(input, adds) : store.emptyScanSql(input);
  const keysSql = await bindQuery(withSql(rewrite.keysSql), async () => newRows);
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${sqlIdent(keys)} AS ${keysSql}`);
  const release = async () => {
    await conn.run(`DROP TABLE IF EXISTS ${sqlIdent(keys)}`);
  };
  try {
    const needed = await filesWithKeys(conn, input, rewrite, keys);
    const inputSql = needed ? store.scanFilesSql(input, needed) : store.scanSnapshotSql(input);
    const touched = await bindQuery(withSql(rewrite.restrictedSql), async () => inputSql);
    const match = keyNames
      .map((n, i) => `__sluice_keys.${keyColumn(i)} IS NOT DISTINCT FROM __sluice_old.${sqlIdent(n!)}`)
      .join(' AND ');
    const sql =
      `SELECT * FROM (${touched}\n) UNION ALL BY NAME SELECT __sluice_old.* FROM (${store.scanSnapshotSql(view)}) AS __sluice_old\n` +
      `ANTI JOIN ${sqlIdent(keys)} AS __sluice_keys ON ${match}`;
    const skippedFiles = needed ? input.files.length - needed.length : 0;
    const skipped =
      skippedFiles > 0
        ? ` (${skippedFiles} of ${input.files.length} input files skipped by their statistics)`
        : '';
    return {
      kind: 'groups',
      sql,
      reason: `input '${dataset.name}' only grew (version ${was.version} → ${now.version}): the groups its new rows touch are recomputed${skipped}`,
      release,
    };
  } catch (e) {
    await release();
    throw e;
  }
}

/** Delta types whose min/max statistics are exact and ordered like the values (text is neither). */
// (Not float/double: NaN escapes min/max statistics.)
const ORDERED_STATS = new Set(['byte', 'short', 'integer', 'long', 'date', 'timestamp', 'timestamp_ntz']);

type FileStats = {
  minValues?: Record<string, unknown>;
  maxValues?: Record<string, unknown>;
  nullCount?: Record<string, unknown>;
};

/**
 * The input files that can hold rows of the touched groups, judged by file statistics: a key that
 * is a non-decreasing function of one numeric or temporal column lies, for a file's rows, between
 * its values at the column's min and max (or is NULL only if the column has nulls there). A file
 * no key in `keys` fits is skipped. Undefined (read every file) when no key qualifies or a file
 * lacks the statistics. Timestamp maxima are widened by 1 ms (writers may truncate them to ms).
 */
async function filesWithKeys(
  conn: DuckDBConnection,
  input: store.Snapshot,
  rewrite: { readonly monotoneColumns: readonly (string | undefined)[]; readonly boundsSql?: string },
  keys: string,
): Promise<readonly AddAction[] | undefined> {
  if (!rewrite.boundsSql || input.files.length < 2) return undefined;
  const fields = new Map(input.schema.fields.map((f) => [f.name.toLowerCase(), f]));
  const usable = rewrite.monotoneColumns.map((c) => {
    const f = c === undefined ? undefined : fields.get(c.toLowerCase());
    return f &&
      typeof f.type === 'string' &&
      ORDERED_STATS.has(f.type) &&
      !input.partitionColumns.includes(f.name)
      ? f
      : undefined;
  });
  if (usable.every((f) => f === undefined)) return undefined;
  // The bounds relation has every input column (NULL where unused) so the key expressions bind.
  const stats: FileStats[] = [];
  for (const add of input.files) {
    let st: FileStats;
    try {
      st = JSON.parse(add.stats ?? 'null') as FileStats;
    } catch {
      return undefined;
    }
    if (!st) return undefined;
    for (const f of usable) if (f && st.nullCount?.[f.name] === undefined) return undefined;
    stats.push(st);
  }
  const used = [...new Map(usable.flatMap((f) => (f ? [[f.name, f] as const] : []))).values()];
  // One VALUES row per file end (min, max) with the raw statistics as text, typed once after.
  const text = (v: unknown) => (v === undefined || v === null ? 'NULL::VARCHAR' : sqlString(String(v)));
  const raw = stats.flatMap((st, i) =>
    (['min', 'max'] as const).map((end) => {
      const values = end === 'min' ? st.minValues : st.maxValues;
      return `(${i}, ${end === 'max'}, ${used.map((f) => text(values?.[f.name])).join(', ')})`;
    }),
  );
  const typed = used.map((f, j) => {
    const value = `CAST(__sluice_v${j} AS ${deltaTypeToDuckDB(f.type)})`;
    const widened = String(f.type).startsWith('timestamp')
      ? `CASE WHEN __sluice_max THEN ${value} + INTERVAL 1 MILLISECOND ELSE ${value} END`
      : value;
    return `${widened} AS ${sqlIdent(f.name)}`;
  });
  const others = input.schema.fields
    .filter((f) => !used.includes(f))
    .map((f) => `NULL::${deltaTypeToDuckDB(f.type)} AS ${sqlIdent(f.name)}`);
  const rows =
    `SELECT __sluice_file, ${[...typed, ...others].join(', ')} FROM (VALUES ${raw.join(', ')}) ` +
    `AS __sluice_raw(__sluice_file, __sluice_max${used.map((_, j) => `, __sluice_v${j}`).join('')})`;
  const nulls =
    `SELECT * FROM (VALUES ${stats.map((st, i) => `(${i}${used.map((f) => `, ${Number(st.nullCount?.[f.name] ?? 1)}`).join('')})`).join(', ')}) ` +
    `AS n(__sluice_file${used.map((_, j) => `, __sluice_n${j}`).join('')})`;
  const fits = usable.flatMap((f, i) => {
    if (!f) return [];
    const n = `n.__sluice_n${used.indexOf(f)}`;
    return [
      `((k.${keyColumn(i)} IS NULL AND ${n} > 0) OR k.${keyColumn(i)} BETWEEN r.__sluice_lo${i} AND r.__sluice_hi${i})`,
    ];
  });
  const ranges = usable
    .flatMap((f, i) =>
      f ? [`min(__sluice_b${i}) AS __sluice_lo${i}, max(__sluice_b${i}) AS __sluice_hi${i}`] : [],
    )
    .join(', ');
  const sql =
    `WITH __sluice_bounds AS (${rows}), ` +
    `r AS (SELECT __sluice_file, ${ranges} FROM (${rewrite.boundsSql}) GROUP BY __sluice_file), ` +
    `n AS (${nulls}) ` +
    `SELECT r.__sluice_file AS i FROM r JOIN n USING (__sluice_file) ` +
    `WHERE EXISTS (SELECT 1 FROM ${sqlIdent(keys)} AS k WHERE ${fits.join(' AND ')}) ORDER BY 1`;
  let found: { i: number }[];
  try {
    found = await queryRows<{ i: number }>(conn, sql);
  } catch {
    return undefined; // statistics that do not cast, a key that does not bind: read every file
  }
  const keep = new Set(found.map((x) => Number(x.i)));
  return input.files.filter((_, i) => keep.has(i));
}
