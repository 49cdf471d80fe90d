import { randomUUID } from 'node:crypto';
import { isSluiceError } from '../../errors/index.ts';
import type { FlowPlan } from '../../graph/index.ts';
import { keyColumn } from '../../sql/index.ts';
import { snapshotFilesScanSql, snapshotScanSql, tableFolder } from '../../storage/index.ts';
import { type DuckDBConnection, sqlIdent } from '../../util/index.ts';
import type { FlowCheckpoint } from '../checkpoints/flow-checkpoint.ts';
import type { SourceOffset } from '../checkpoints/offsets.ts';
import { bindQuery, typedQuerySql } from '../sources/bind-query.ts';
import type { UpdateContext } from '../update/update-context.ts';
import { filesWithKeys, rowGroupFilter } from './group-pruning.ts';

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
  flow: FlowPlan,
  conn: DuckDBConnection,
  checkpoint: FlowCheckpoint,
  before: Readonly<Record<string, SourceOffset>>,
  after: Readonly<Record<string, SourceOffset>>,
): Promise<GroupRefresh | NotByGroups> {
  const complete = (reason: string): NotByGroups => ({ kind: 'complete', reason });
  if (flow.target.expectations.length > 0) return complete('the view has expectations');
  const child = flow.bound.children.length === 1 ? flow.bound.children[0] : undefined;
  const leaf = child?.kind === 'leaf' ? child.leaf : undefined;
  const dataset = leaf?.dataset;
  if (!leaf || !dataset || leaf.input.kind !== 'dataset')
    return complete('it does not read exactly one table');
  if (leaf.input.changes) return complete('it reads a change data feed (table_changes)');
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
  const path = tableFolder(ctx.storage, dataset);
  let adds: Awaited<ReturnType<typeof ctx.tables.addedFilesBetween>>;
  try {
    adds = await ctx.tables.addedFilesBetween(path, was.version, now.version, {
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
    ctx.tables.snapshot(path, was.version),
    ctx.tables.snapshot(path, now.version),
    ctx.tables.snapshot(checkpoint.tablePath),
  ]);
  if (
    old.metadata.schemaString !== input.metadata.schemaString ||
    JSON.stringify(old.partitionColumns) !== JSON.stringify(input.partitionColumns)
  ) {
    return complete(`the schema of input '${dataset.name}' changed`);
  }
  // A name of this refresh's own: flows share nothing on their connections, but be sure anyway.
  const keys = `__sluice_keys_${randomUUID().replaceAll('-', '')}`;
  // Typed first: the rewrite keeps what the typing writes (arrays of structs' fields).
  const querySql = await typedQuerySql(flow.bound, async () => snapshotScanSql(input), {
    sql: ctx.sql,
    conn,
  });
  const rewrite = await ctx.sql.groupAggregateRewrite(
    querySql,
    input.schema.fields.map((f) => f.name),
    sqlIdent(keys),
  );
  if ('reason' in rewrite) return complete(`${rewrite.reason}, so it is not refreshed by groups`);
  const stored = new Map(view.schema.fields.map((f) => [f.name.toLowerCase(), f.name]));
  const keyNames = rewrite.keyColumns.map((c) => stored.get(c.toLowerCase()));
  if (keyNames.some((n) => n === undefined)) return complete('the stored view lacks a key column');

  const withSql = (sql: string) => ({ ...flow.bound, query: { ...flow.bound.query, sql } });
  const newRows = snapshotFilesScanSql(input, adds);
  const keysSql = await bindQuery(withSql(rewrite.keysSql), async () => newRows);
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${sqlIdent(keys)} AS ${keysSql}`);
  const release = async () => {
    await conn.run(`DROP TABLE IF EXISTS ${sqlIdent(keys)}`);
  };
  try {
    const needed = await filesWithKeys(conn, input, rewrite, keys);
    const groups = await rowGroupFilter(conn, input, needed ?? input.files, rewrite, keys);
    const scan = needed ? snapshotFilesScanSql(input, needed) : snapshotScanSql(input);
    const inputSql = groups ? `SELECT * FROM (${scan}) AS __sluice_scan WHERE ${groups.sql}` : scan;
    const touched = await bindQuery(withSql(rewrite.restrictedSql), async () => inputSql);
    const match = keyNames
      .map((n, i) => `__sluice_keys.${keyColumn(i)} IS NOT DISTINCT FROM __sluice_old.${sqlIdent(n!)}`)
      .join(' AND ');
    const sql =
      `SELECT * FROM (${touched}\n) UNION ALL BY NAME SELECT __sluice_old.* FROM (${snapshotScanSql(view)}) AS __sluice_old\n` +
      `ANTI JOIN ${sqlIdent(keys)} AS __sluice_keys ON ${match}`;
    const skippedFiles = needed ? input.files.length - needed.length : 0;
    const skips = [
      ...(skippedFiles > 0 ? [`${skippedFiles} of ${input.files.length} input files`] : []),
      ...(groups ? [`${groups.skipped} of ${groups.total} row groups in the files read`] : []),
    ];
    const skipped = skips.length > 0 ? ` (${skips.join(' and ')} skipped by their statistics)` : '';
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
