/**
 * Change Data Feed reader: the row-level changes of commits start..end.
 *
 * Per commit (Delta CDF rules): when the commit has `cdc` actions, its changes are exactly the
 * rows of those `_change_data/` files (which carry `_change_type`); otherwise every `add` with
 * dataChange=true contributes its rows as `insert` and every `remove` with dataChange=true its
 * rows as `delete` (rows their deletion vectors delete left out). A file re-added under the same
 * path with another deletion vector contributes only the rows the new vector deletes (`delete`)
 * or no longer deletes (`insert`), as delta-kernel does. Commits with only metadata contribute
 * nothing. With column mapping, files are read by the end version's physical names or ids.
 * Every version in the range must have `delta.enableChangeDataFeed=true` (DELTA_CDF_NOT_ENABLED).
 */
import { SluiceError } from '../../errors/index.ts';
import { sqlString } from '../../util/index.ts';
import type { Action, MetadataAction, RemoveAction } from './actions.ts';
import { columnMappingMode } from './column-mapping.ts';
import { type DeletionVectorDescriptor, deletionVectorOf, loadDeletionVector } from './deletion-vectors.ts';
import { assertReadable, isChangeDataFeedEnabled } from './features.ts';
import { commitTimestamp, readCommit } from './log-files.ts';
import { decodeAddPath, HIVE_DEFAULT_PARTITION, unescapePathName } from './partitions.ts';
import { readSchemaOf } from './read-columns.ts';
import { RowIndexSet } from './roaring-bitmap.ts';
import { filesScanSql, type ScanFile, snapshotScanSql } from './scan.ts';
import { parseSchemaString } from './schema.ts';
import { latestVersion, loadSnapshot, type Snapshot } from './snapshot.ts';

const EMPTY_SET = RowIndexSet.of([]);

/** The CDF metadata columns appended (in this order) after the table columns. */
export const CDF_COLUMNS = ['_change_type', '_commit_version', '_commit_timestamp'] as const;

/** Partition values recovered from a Hive-style relative path when an action omits them. */
function partitionValuesFromPath(path: string, columns: readonly string[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // keep as is
  }
  for (const seg of decoded.split('/')) {
    const eq = seg.indexOf('=');
    if (eq <= 0) continue;
    const name = unescapePathName(seg.slice(0, eq));
    if (!columns.includes(name)) continue;
    const v = unescapePathName(seg.slice(eq + 1));
    out[name] = v === HIVE_DEFAULT_PARTITION ? null : v;
  }
  return out;
}

/**
 * SQL returning the changes of versions `startVersion`..`endVersion` (default: latest), with the
 * table columns (schema of the end version) followed by `_change_type` VARCHAR,
 * `_commit_version` BIGINT, `_commit_timestamp` TIMESTAMP WITH TIME ZONE.
 * Errors: DELTA_CDF_NOT_ENABLED, DELTA_VERSION_NOT_FOUND, DELTA_MISSING_DATA_FILE, and the snapshot errors.
 */
export async function changesSql(
  tablePath: string,
  startVersion: number,
  endVersion?: number,
): Promise<string> {
  const latest = await latestVersion(tablePath);
  if (latest === undefined) {
    throw new SluiceError('DELTA_TABLE_NOT_FOUND', `no Delta table at ${tablePath} (missing _delta_log)`, {
      params: { table: tablePath },
    });
  }
  const end = endVersion ?? latest;
  if (!Number.isInteger(startVersion) || startVersion < 0 || end > latest || startVersion > end) {
    throw new SluiceError(
      'DELTA_VERSION_NOT_FOUND',
      `change range ${startVersion}..${end} of ${tablePath} is not valid (latest version is ${latest})`,
      { params: { table: tablePath, startVersion, endVersion: end } },
    );
  }
  const start = await loadSnapshot(tablePath, { version: startVersion });
  const table = start.tablePath;
  let metadata: MetadataAction = start.metadata;
  let protocol = start.protocol;
  const notEnabled = (v: number) =>
    new SluiceError(
      'DELTA_CDF_NOT_ENABLED',
      `change data feed is not enabled on ${table} at version ${v} (set delta.enableChangeDataFeed = true)`,
      { params: { table, version: v } },
    );
  if (!isChangeDataFeedEnabled(metadata)) throw notEnabled(startVersion);

  const cdcFiles: ScanFile[] = [];
  const dataFiles: ScanFile[] = [];
  for (let v = startVersion; v <= end; v++) {
    const actions: Action[] = await readCommit(table, v);
    for (const a of actions) {
      if ('metaData' in a) metadata = a.metaData;
      else if ('protocol' in a) protocol = a.protocol;
    }
    assertReadable(protocol, metadata, table, v);
    if (!isChangeDataFeedEnabled(metadata)) throw notEnabled(v);
    const ts = await commitTimestamp(table, v, actions);
    const version = String(v);
    const tsSql = commitTimestampSql(ts);
    const hasCdc = actions.some((a) => 'cdc' in a);
    const parts = metadata.partitionColumns;
    if (hasCdc) {
      for (const a of actions) {
        if ('cdc' in a)
          cdcFiles.push({
            path: a.cdc.path,
            partitionValues: a.cdc.partitionValues ?? {},
            extra: [version, tsSql],
          });
      }
      continue;
    }
    // A file whose deletion vector changed is removed and re-added under the same path: its
    // changes are only the rows the new vector deletes (or the old one no longer does).
    const removed = new Map<string, RemoveAction>();
    for (const a of actions) {
      if ('remove' in a && a.remove.dataChange) removed.set(decodeAddPath(a.remove.path), a.remove);
    }
    const paired = new Set<string>();
    const insert = [sqlString('insert'), version, tsSql];
    const del = [sqlString('delete'), version, tsSql];
    for (const a of actions) {
      if (!('add' in a) || !a.add.dataChange) continue;
      const key = decodeAddPath(a.add.path);
      const old = removed.get(key);
      const newDv = deletionVectorOf(a.add);
      if (old && (newDv || deletionVectorOf(old))) {
        paired.add(key);
        const before = rowsOf(table, deletionVectorOf(old), old.path);
        const after = rowsOf(table, newDv, a.add.path);
        const deleted = after.minus(before);
        const restored = before.minus(after);
        if (deleted.cardinality > 0)
          dataFiles.push({
            path: a.add.path,
            partitionValues: a.add.partitionValues,
            onlyRows: deleted,
            extra: del,
          });
        if (restored.cardinality > 0)
          dataFiles.push({
            path: a.add.path,
            partitionValues: a.add.partitionValues,
            onlyRows: restored,
            extra: insert,
          });
        continue;
      }
      dataFiles.push({
        path: a.add.path,
        partitionValues: a.add.partitionValues,
        ...(newDv ? { deletionVector: newDv } : {}),
        extra: insert,
      });
    }
    for (const [key, r] of removed) {
      if (paired.has(key)) continue;
      const pv = r.partitionValues;
      const partitionValues = pv && parts.every((c) => c in pv) ? pv : partitionValuesFromPath(r.path, parts);
      const dv = deletionVectorOf(r);
      dataFiles.push({ path: r.path, partitionValues, ...(dv ? { deletionVector: dv } : {}), extra: del });
    }
  }
  const schema = parseSchemaString(metadata.schemaString);
  const parts = metadata.partitionColumns;
  // Files of every version are read by the end version's physical names (or field ids).
  const readSchema = readSchemaOf(metadata.schemaString, columnMappingMode(protocol, metadata));
  const commitCols = [
    { name: '_commit_version', type: 'BIGINT' },
    { name: '_commit_timestamp', type: 'TIMESTAMP WITH TIME ZONE' },
  ];
  const branches: string[] = [];
  if (cdcFiles.length > 0) {
    branches.push(
      filesScanSql(table, schema, parts, cdcFiles, {
        dataColumns: [{ name: '_change_type', type: 'VARCHAR' }],
        fileColumns: commitCols,
        readSchema,
      }),
    );
  }
  if (dataFiles.length > 0 || branches.length === 0) {
    branches.push(
      filesScanSql(table, schema, parts, dataFiles, {
        fileColumns: [{ name: '_change_type', type: 'VARCHAR' }, ...commitCols],
        readSchema,
      }),
    );
  }
  return branches.map((b) => `(${b})`).join(' UNION ALL BY NAME ');
}

/** The rows a file's deletion vector deletes (none without one). */
function rowsOf(table: string, dv: DeletionVectorDescriptor | undefined, path: string): RowIndexSet {
  return dv ? loadDeletionVector(table, dv, path) : EMPTY_SET;
}

/** A commit's `_commit_timestamp` as DuckDB SQL (TIMESTAMP WITH TIME ZONE) from epoch milliseconds. */
function commitTimestampSql(ms: number): string {
  return `timezone('UTC', make_timestamp(${Math.round(ms * 1000)}))`;
}

/**
 * The rows of `snapshot` as change rows, with the columns of {@link changesSql}: each row an
 * `insert` of the snapshot's version at its commit timestamp (what a change feed stream starting
 * without a starting version reads first, as Spark's does); no rows with `empty`, which gives
 * the columns of a change batch that read nothing.
 * Errors: DELTA_CDF_NOT_ENABLED when the snapshot's table does not write its change data feed.
 */
export function snapshotChangesSql(snapshot: Snapshot, options: { readonly empty?: boolean } = {}): string {
  if (!isChangeDataFeedEnabled(snapshot.metadata)) {
    throw new SluiceError(
      'DELTA_CDF_NOT_ENABLED',
      `change data feed is not enabled on ${snapshot.tablePath} at version ${snapshot.version} (set delta.enableChangeDataFeed = true)`,
      { params: { table: snapshot.tablePath, version: snapshot.version } },
    );
  }
  const rows = snapshotScanSql(snapshot);
  return (
    `SELECT *, CAST('insert' AS VARCHAR) AS _change_type, CAST(${snapshot.version} AS BIGINT) AS _commit_version, ` +
    `${commitTimestampSql(snapshot.timestamp)} AS _commit_timestamp FROM (${rows})${options.empty ? ' WHERE false' : ''}`
  );
}
