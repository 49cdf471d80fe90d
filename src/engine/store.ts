/**
 * The engine's view of the Delta store: the few operations flows need, with a snapshot cache
 * keyed by (table, version) so a batch does not replay the log several times.
 */

import { access } from 'node:fs/promises';
import { SluiceError } from '../errors/index.ts';
import type { Dataset } from '../model/index.ts';
import { parseSparkType } from '../sql/index.ts';
import type { Action, AddAction, MetadataAction, RemoveAction } from '../storage/delta/actions.ts';
import { type CommitOptions, commit as deltaCommit } from '../storage/delta/commit.ts';
import { writeDataFiles } from '../storage/delta/data-files.ts';
import { commitPath, readCommit } from '../storage/delta/log-files.ts';
import { filesScanSql, snapshotScanSql } from '../storage/delta/scan.ts';
import {
  type DeltaType,
  duckDBTypeToDelta,
  type StructField,
  type StructType,
  serializeSchema,
} from '../storage/delta/schema.ts';
import { applyCommit, latestVersion, loadSnapshot, type Snapshot } from '../storage/delta/snapshot.ts';
import { createTable, removeAll as deltaRemoveAll, requiredProtocol } from '../storage/delta/table.ts';
import { type DuckDBConnection, queryRows } from '../util/duckdb.ts';

export type { Snapshot };

const cache = new Map<string, Snapshot>();
/** The newest snapshot loaded per table: the base for loading later versions incrementally. */
const newest = new Map<string, Snapshot>();

/**
 * Forgets cached snapshots. Called at the start of every update: within one update tables only
 * grow through sluice's own commits, so snapshots can be extended incrementally; across updates
 * a table may have been replaced on disk.
 */
export function resetSnapshotCache(): void {
  cache.clear();
  newest.clear();
}

/**
 * The newest version of a table, or undefined when it does not exist. Once a snapshot of the
 * table is cached, probes for the commit files after it (one `stat` each) instead of listing
 * `_delta_log` — valid because commit versions are contiguous and, within an update, a table
 * only grows.
 */
export async function tableVersion(path: string): Promise<number | undefined> {
  const known = newest.get(path);
  if (!known) return latestVersion(path);
  let v = known.version;
  while (await exists(commitPath(path, v + 1))) v++;
  return v;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** The snapshot at `version` (default: latest), cached. */
export async function snapshot(path: string, version?: number): Promise<Snapshot> {
  const v = version ?? (await tableVersion(path));
  if (v === undefined) return loadSnapshot(path); // raises DELTA_TABLE_NOT_FOUND
  const key = `${path}@${v}`;
  let s = cache.get(key);
  if (!s) {
    const base = newest.get(path);
    s = await loadSnapshot(path, { version: v, ...(base && base.version <= v ? { base } : {}) });
    remember(path, s);
  }
  return s;
}

function remember(path: string, s: Snapshot): void {
  if (cache.size > 256) cache.clear();
  cache.set(`${path}@${s.version}`, s);
  const known = newest.get(path);
  if (!known || known.version < s.version) newest.set(path, s);
}

/** The last committed version for `appId`, or undefined (also when the table does not exist). */
export async function txnVersion(path: string, appId: string): Promise<number | undefined> {
  const v = await tableVersion(path);
  if (v === undefined) return undefined;
  return (await snapshot(path, v)).txns.get(appId);
}

export const scanSnapshotSql = (s: Snapshot): string => snapshotScanSql(s);
export const scanFilesSql = (s: Snapshot, adds: readonly AddAction[]): string =>
  filesScanSql(s.tablePath, s.schema, s.partitionColumns, adds);
/** SQL over the rows of files written but not yet committed, read with the layout they were written with. */
export const scanWrittenSql = (
  path: string,
  layout: PreparedTable['layout'],
  adds: readonly AddAction[],
): string => filesScanSql(path, layout.schema, layout.partitionColumns, adds);
export const emptyScanSql = (s: Snapshot): string =>
  filesScanSql(s.tablePath, s.schema, s.partitionColumns, []);

/**
 * The files added by versions (from, to] of an append-only stream source.
 * @throws SluiceError STREAMING_SOURCE_NOT_APPEND_ONLY when a commit removed rows, unless
 *   `skipChangeCommits` (then such commits are skipped whole, as Spark does).
 */
export async function addedFilesBetween(
  path: string,
  from: number,
  to: number,
  opts: { readonly dataset: string; readonly skipChangeCommits: boolean },
): Promise<AddAction[]> {
  const adds: AddAction[] = [];
  for (let v = from + 1; v <= to; v++) {
    const actions = await readCommit(path, v);
    const changes = actions.some((a) => 'remove' in a && a.remove.dataChange);
    if (changes) {
      if (opts.skipChangeCommits) continue;
      throw new SluiceError(
        'STREAMING_SOURCE_NOT_APPEND_ONLY',
        `streaming source '${opts.dataset}' had rows deleted or updated at version ${v}; a streaming read needs an append-only source — fully refresh the reader (--full-refresh) or read with skipChangeCommits`,
        { dataset: opts.dataset, params: { version: v, table: path } },
      );
    }
    for (const a of actions) if ('add' in a && a.add.dataChange) adds.push(a.add);
  }
  return adds;
}

/** Output columns of a query, as DuckDB types. */
export async function describe(
  conn: DuckDBConnection,
  sql: string,
): Promise<{ name: string; type: string }[]> {
  const rows = await queryRows<{ column_name: string; column_type: string }>(
    conn,
    `DESCRIBE SELECT * FROM (${sql})`,
  );
  return rows.map((r) => ({ name: r.column_name, type: r.column_type }));
}

export interface PreparedTable {
  readonly snapshot: Snapshot;
  readonly layout: { readonly schema: StructType; readonly partitionColumns: readonly string[] };
  /** Metadata/protocol actions to commit with the data (a replaced schema). */
  readonly metadataActions: readonly Action[];
}

function sameType(a: DeltaType, b: DeltaType): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Makes the table ready to receive rows with `columns`: creates it (its own commit) when
 * missing, adds new nullable columns (its own commit), and — only when `replaceSchema` (a
 * complete recompute) or the table is empty — returns a replacing metaData to commit
 * atomically with the data when a column's type changed or columns went away.
 * @throws SluiceError DELTA_SCHEMA_MISMATCH when a streaming table's column changed type.
 */
export async function prepareTable(
  path: string,
  dataset: Dataset,
  columns: readonly { name: string; type: string }[],
  opts: { readonly replaceSchema: boolean },
): Promise<PreparedTable> {
  const wanted: StructField[] = columns.map((c) => ({
    name: c.name,
    type: declaredType(dataset, c.name) ?? duckDBTypeToDelta(c.type),
    nullable: !dataset.columns?.some((d) => d.name.toLowerCase() === c.name.toLowerCase() && !d.nullable),
    metadata: columnMetadata(dataset, c.name),
  }));
  const schema: StructType = { type: 'struct', fields: wanted };
  if ((await tableVersion(path)) === undefined) {
    const missing = dataset.partitionBy.filter((p) => !wanted.some((f) => f.name === p));
    if (missing.length > 0) {
      throw new SluiceError(
        'DELTA_SCHEMA_MISMATCH',
        `PARTITIONED BY names column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} that the query does not produce`,
        {
          dataset: dataset.name,
          params: { columns: missing },
          ...(dataset.location ? { location: dataset.location } : {}),
        },
      );
    }
    try {
      await createTable(path, {
        schema,
        partitionColumns: dataset.partitionBy,
        configuration: tableConfiguration(dataset),
        name: dataset.name,
        ...(dataset.comment !== undefined ? { description: dataset.comment } : {}),
      });
    } catch (e) {
      if (!(e instanceof SluiceError && e.code === 'DELTA_TABLE_EXISTS')) throw e;
    }
  }
  let snap = await snapshot(path);
  const existing = new Map(snap.schema.fields.map((f) => [f.name.toLowerCase(), f]));
  const changed = wanted.filter((f) => {
    const e = existing.get(f.name.toLowerCase());
    return e !== undefined && !sameType(e.type, f.type);
  });
  const added = wanted.filter((f) => !existing.has(f.name.toLowerCase()));
  const removed = snap.schema.fields.filter(
    (f) => !wanted.some((w) => w.name.toLowerCase() === f.name.toLowerCase()),
  );
  if (changed.length > 0 || (opts.replaceSchema && removed.length > 0)) {
    if (!opts.replaceSchema && snap.files.length > 0) {
      const c = changed[0]!;
      throw new SluiceError(
        'DELTA_SCHEMA_MISMATCH',
        `column '${c.name}' of '${dataset.name}' changed type from ${JSON.stringify(existing.get(c.name.toLowerCase())!.type)} to ${JSON.stringify(c.type)}; a streaming table only gains columns — run with --full-refresh ${dataset.name}`,
        { dataset: dataset.name, params: { column: c.name } },
      );
    }
    const metaData: MetadataAction = {
      ...snap.metadata,
      schemaString: serializeSchema(schema),
      partitionColumns: snap.metadata.partitionColumns.filter((p) => wanted.some((w) => w.name === p)),
    };
    const actions: Action[] = [];
    const need = requiredProtocol(schema, snap.metadata.configuration);
    if (
      need.minReaderVersion > snap.protocol.minReaderVersion ||
      need.minWriterVersion > snap.protocol.minWriterVersion
    ) {
      actions.push({ protocol: need });
    }
    actions.push({ metaData });
    return {
      snapshot: snap,
      layout: { schema, partitionColumns: metaData.partitionColumns },
      metadataActions: actions,
    };
  }
  if (added.length > 0) {
    const fields = [...snap.schema.fields, ...added.map((f) => ({ ...f, nullable: true }))];
    const next: StructType = { type: 'struct', fields };
    const need = requiredProtocol(next, snap.metadata.configuration);
    const actions: Action[] = [];
    if (
      need.minReaderVersion > snap.protocol.minReaderVersion ||
      need.minWriterVersion > snap.protocol.minWriterVersion
    ) {
      actions.push({ protocol: need });
    }
    actions.push({ metaData: { ...snap.metadata, schemaString: serializeSchema(next) } });
    await deltaCommit(path, actions, {
      readVersion: snap.version,
      operation: 'ADD COLUMNS',
      operationParameters: { columns: JSON.stringify(added.map((f) => f.name)) },
      isBlindAppend: false,
    });
    snap = await snapshot(path);
  }
  return {
    snapshot: snap,
    layout: { schema: snap.schema, partitionColumns: snap.partitionColumns },
    metadataActions: [],
  };
}

/** The type a column list declares for `column` (validated when the definition was read). */
function declaredType(dataset: Dataset, column: string): DeltaType | undefined {
  const d = dataset.columns?.find((c) => c.name.toLowerCase() === column.toLowerCase());
  return d?.type ? parseSparkType(d.type) : undefined;
}

function columnMetadata(dataset: Dataset, column: string): Record<string, unknown> {
  const d = dataset.columns?.find((c) => c.name.toLowerCase() === column.toLowerCase());
  return d?.comment ? { comment: d.comment } : {};
}

/**
 * Delta properties that would switch on a table feature sluice does not write (row tracking,
 * deletion vectors, column mapping, …). Writing them to metaData would make the table claim a
 * feature its protocol lacks, so they are left out; Databricks-only tuning properties such as
 * `delta.autoOptimize.*` are harmless and kept.
 */
const UNSUPPORTED_FEATURE_PROPERTIES = [
  'delta.enablerowtracking',
  'delta.enabledeletionvectors',
  'delta.columnmapping.mode',
  'delta.enabletypewidening',
  'delta.universalformat.enabledformats',
  'delta.enableicebergcompatv1',
  'delta.enableicebergcompatv2',
];

/** Table properties that go into the Delta metaData configuration. */
function tableConfiguration(d: Dataset): Record<string, string> {
  return Object.fromEntries(
    Object.entries(d.properties).filter(([k]) => !UNSUPPORTED_FEATURE_PROPERTIES.includes(k.toLowerCase())),
  );
}

export function removeAll(s: Snapshot): Action[] {
  return deltaRemoveAll(s).map((remove: RemoveAction) => ({ remove }));
}

/** Writes the rows of `sql`; `columns` (the query's output, already described) saves a DESCRIBE. */
export async function writeFiles(
  conn: DuckDBConnection,
  path: string,
  sql: string,
  layout: PreparedTable['layout'],
  columns?: readonly { readonly name: string }[],
): Promise<AddAction[]> {
  return writeDataFiles(conn, path, sql, {
    ...layout,
    ...(columns ? { columns: columns.map((c) => c.name) } : {}),
  });
}

export function numRecords(a: AddAction): number {
  if (!a.stats) return 0;
  return (JSON.parse(a.stats) as { numRecords?: number }).numRecords ?? 0;
}

/** Checkpoints being written in the background (see {@link commit}). */
const checkpointing = new Set<Promise<void>>();

/**
 * Commits and returns the new version. A checkpoint due after the commit is written in the
 * background (the next batch need not wait for it); {@link settleCheckpoints} awaits them. A
 * failed checkpoint is ignored, as a checkpoint only speeds up readers.
 */
export async function commit(path: string, actions: readonly Action[], opts: CommitOptions): Promise<number> {
  const r = await deltaCommit(path, actions, {
    ...opts,
    deferCheckpoint: (write) => {
      const p: Promise<void> = write()
        .catch(() => {})
        .finally(() => checkpointing.delete(p));
      checkpointing.add(p);
    },
  });
  // Our own commit right after the snapshot it was computed from: cache the next snapshot
  // without reading the commit back.
  const base = opts.snapshot;
  if (base && r.version === base.version + 1 && cache.get(`${path}@${base.version}`) === base) {
    remember(path, applyCommit(base, r.actions));
  }
  return r.version;
}

/** Waits for the background checkpoints started so far (call before an update ends). */
export async function settleCheckpoints(): Promise<void> {
  while (checkpointing.size > 0) await Promise.all([...checkpointing]);
}
