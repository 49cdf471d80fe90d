/**
 * The Delta write API: create a table, append or overwrite rows given as a DuckDB SELECT,
 * evolve the schema, and query idempotent-write markers.
 *
 * Every write follows the same order, which is what makes crashes harmless: data files first
 * (invisible until committed), then one put-if-absent commit holding their add actions — plus
 * `txn {appId, version}` when the caller wants exactly-once — so a batch is either entirely in
 * the table or not at all.
 *
 * Protocol choice: plain tables are 1/2; tables with `delta.enableChangeDataFeed = true` are
 * 1/4 (writer version 4 implies changeDataFeed). A schema using timestamp_ntz needs table
 * features, so such tables are 3/7 with readerFeatures [timestampNtz] and writerFeatures
 * [appendOnly, invariants, timestampNtz] (+ changeDataFeed when enabled). A table with
 * `delta.enableDeletionVectors = true` is 3/7 with deletionVectors among both lists.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SluiceError } from '../../errors/index.ts';
import { type DuckDBConnection, sqlIdent } from '../../util/index.ts';
import { ensureDir } from '../object-store.ts';
import type { Action, MetadataAction, ProtocolAction, RemoveAction } from './actions.ts';
import { cdfEnabled, withChangeType, writeChangeDataFiles } from './cdf-write.ts';
import { type CommitResult, commit } from './commit.ts';
import { writeDataFiles } from './data-files.ts';
import { snapshotScanSql } from './scan.ts';
import { type DeltaType, type StructField, type StructType, serializeSchema } from './schema.ts';
import { loadSnapshot, type Snapshot } from './snapshot.ts';
import { assertWritable } from './writer-features.ts';

export { writeDataFiles } from './data-files.ts';

export interface CreateTableOptions {
  readonly schema: StructType;
  readonly partitionColumns?: readonly string[];
  /** Table properties (`delta.enableChangeDataFeed`, `delta.checkpointInterval`, `delta.appendOnly`, …). */
  readonly configuration?: Readonly<Record<string, string>>;
  readonly name?: string;
  readonly description?: string;
}

function usesType(t: DeltaType, name: string): boolean {
  if (typeof t === 'string') return t === name;
  switch (t.type) {
    case 'array':
      return usesType(t.elementType, name);
    case 'map':
      return usesType(t.keyType, name) || usesType(t.valueType, name);
    case 'struct':
      return t.fields.some((f) => usesType(f.type, name));
  }
}

/**
 * Whether row-level changes of the table mark removed rows in deletion vectors instead of
 * rewriting their files (`delta.enableDeletionVectors = true`, as Databricks names it).
 */
export function deletionVectorsEnabled(metadata: {
  readonly configuration?: Readonly<Record<string, string>>;
}): boolean {
  return String(metadata.configuration?.['delta.enableDeletionVectors'] ?? '').toLowerCase() === 'true';
}

/** The protocol a table with this schema and configuration needs (see the module comment). */
export function requiredProtocol(
  schema: StructType,
  configuration: Readonly<Record<string, string>>,
): ProtocolAction {
  const cdf = cdfEnabled({ configuration });
  const ntz = usesType(schema, 'timestamp_ntz');
  const dv = deletionVectorsEnabled({ configuration });
  if (ntz || dv) {
    const reader = [...(ntz ? ['timestampNtz'] : []), ...(dv ? ['deletionVectors'] : [])];
    return {
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: reader,
      writerFeatures: ['appendOnly', 'invariants', ...reader, ...(cdf ? ['changeDataFeed'] : [])],
    };
  }
  return cdf ? { minReaderVersion: 1, minWriterVersion: 4 } : { minReaderVersion: 1, minWriterVersion: 2 };
}

function protocolCovers(have: ProtocolAction, need: ProtocolAction): boolean {
  if (have.minReaderVersion < need.minReaderVersion || have.minWriterVersion < need.minWriterVersion)
    return false;
  const rf = new Set(have.readerFeatures ?? []);
  const wf = new Set(have.writerFeatures ?? []);
  if (have.minReaderVersion >= 3 && !(need.readerFeatures ?? []).every((f) => rf.has(f))) return false;
  if (have.minWriterVersion >= 7 && !(need.writerFeatures ?? []).every((f) => wf.has(f))) return false;
  return true;
}

/**
 * Creates a Delta table: version 0 with protocol, metaData and commitInfo (CREATE TABLE).
 * @throws SluiceError DELTA_TABLE_EXISTS when a table (version 0) already exists at the path;
 *   DELTA_SCHEMA_MISMATCH when a partition column is not in the schema.
 */
export async function createTable(tablePath: string, opts: CreateTableOptions): Promise<CommitResult> {
  const partitionColumns = opts.partitionColumns ?? [];
  for (const p of partitionColumns) {
    if (!opts.schema.fields.some((f) => f.name === p)) {
      throw new SluiceError(
        'DELTA_SCHEMA_MISMATCH',
        `partition column '${p}' is not in the schema of ${tablePath}`,
        {
          params: { table: tablePath, column: p },
        },
      );
    }
  }
  const configuration = { ...opts.configuration };
  const metaData: MetadataAction = {
    id: randomUUID(),
    name: opts.name ?? null,
    description: opts.description ?? null,
    format: { provider: 'parquet', options: {} },
    schemaString: serializeSchema(opts.schema),
    partitionColumns: [...partitionColumns],
    configuration,
    createdTime: Date.now(),
  };
  // The table's folders are made durable first: the commit fsyncs only `_delta_log` itself.
  await ensureDir(join(tablePath, '_delta_log'));
  return commit(tablePath, [{ protocol: requiredProtocol(opts.schema, configuration) }, { metaData }], {
    readVersion: -1,
    operation: 'CREATE TABLE',
    operationParameters: {
      isManaged: 'false',
      description: opts.description ?? null,
      partitionBy: JSON.stringify(partitionColumns),
      properties: JSON.stringify(configuration),
    },
    isBlindAppend: true,
  });
}

export interface WriteRowsOptions {
  /** Idempotent-write marker committed atomically with the rows. */
  readonly txn?: { readonly appId: string; readonly version: number };
  /** Reuse an already loaded snapshot (must be the latest the caller knows about). */
  readonly snapshot?: Snapshot;
  /** commitInfo.operation (default 'WRITE'). */
  readonly operation?: string;
  readonly operationParameters?: Readonly<Record<string, unknown>>;
  readonly maxRetries?: number;
}

function checkpointInterval(s: Snapshot): number | undefined {
  const v = Number(s.metadata.configuration['delta.checkpointInterval']);
  return Number.isInteger(v) && v > 0 ? v : undefined;
}

/**
 * Appends the rows of `selectSql` (a blind append: rebases over concurrent appends). Zero rows
 * still commit when `txn` is given, so the batch is recorded as done.
 */
export async function appendRows(
  conn: DuckDBConnection,
  tablePath: string,
  selectSql: string,
  opts: WriteRowsOptions = {},
): Promise<CommitResult> {
  const snap = opts.snapshot ?? (await loadSnapshot(tablePath));
  assertWritable(snap, []);
  const adds = await writeDataFiles(conn, tablePath, selectSql, {
    schema: snap.schema,
    partitionColumns: snap.partitionColumns,
  });
  const interval = checkpointInterval(snap);
  return commit(
    tablePath,
    adds.map((add) => ({ add })),
    {
      readVersion: snap.version,
      snapshot: snap,
      operation: opts.operation ?? 'WRITE',
      operationParameters: opts.operationParameters ?? {
        mode: 'Append',
        partitionBy: JSON.stringify(snap.partitionColumns),
      },
      isBlindAppend: true,
      ...(opts.txn ? { txn: opts.txn } : {}),
      ...(opts.maxRetries !== undefined ? { maxRetries: opts.maxRetries } : {}),
      ...(interval !== undefined ? { checkpointInterval: interval } : {}),
    },
  );
}

/**
 * Remove actions (dataChange = true) for every live file of a snapshot, as the log names them
 * (with its deletion vector: a logical file is its path and its vector).
 */
export function removeAll(snap: Snapshot, deletionTimestamp = Date.now()): RemoveAction[] {
  return snap.logFiles.map((f) => ({
    path: f.path,
    deletionTimestamp,
    dataChange: true,
    extendedFileMetadata: true,
    partitionValues: f.partitionValues,
    size: f.size,
    ...(f.deletionVector ? { deletionVector: f.deletionVector } : {}),
  }));
}

/**
 * Replaces all rows of the table with the rows of `selectSql` (removes every live file, adds the
 * new ones). With CDF enabled, also writes `_change_data/` files: a `delete` row for every old
 * row and an `insert` row for every new one. Conflicts with any concurrent data change.
 * @throws SluiceError DELTA_TABLE_APPEND_ONLY when `delta.appendOnly = true` and rows exist.
 */
export async function overwriteRows(
  conn: DuckDBConnection,
  tablePath: string,
  selectSql: string,
  opts: WriteRowsOptions = {},
): Promise<CommitResult> {
  const snap = opts.snapshot ?? (await loadSnapshot(tablePath));
  // Refused before any file is written (commit checks again).
  assertWritable(
    snap,
    removeAll(snap).map((remove) => ({ remove })),
  );
  const layout = { schema: snap.schema, partitionColumns: snap.partitionColumns };
  const cdf = cdfEnabled(snap.metadata);
  // With CDF the new rows are read twice (data + change files): materialize them once so a
  // non-deterministic query writes the same rows to both.
  const staged = cdf ? sqlIdent(`__sluice_overwrite_${randomUUID().replaceAll('-', '')}`) : undefined;
  try {
    let rowsSql = selectSql;
    if (staged !== undefined) {
      await conn.run(`CREATE TEMP TABLE ${staged} AS ${selectSql.trim().replace(/;+\s*$/, '')}`);
      rowsSql = `SELECT * FROM ${staged}`;
    }
    const adds = await writeDataFiles(conn, tablePath, rowsSql, layout);
    const actions: Action[] = [
      ...removeAll(snap).map((remove) => ({ remove })),
      ...adds.map((add) => ({ add })),
    ];
    if (cdf) {
      const changes = [withChangeType(rowsSql, 'insert')];
      if (snap.files.length > 0) changes.push(withChangeType(snapshotScanSql(snap), 'delete'));
      const cdc = await writeChangeDataFiles(conn, tablePath, changes.join(' UNION ALL BY NAME '), layout);
      actions.push(...cdc.map((c) => ({ cdc: c })));
    }
    const interval = checkpointInterval(snap);
    return await commit(tablePath, actions, {
      readVersion: snap.version,
      snapshot: snap,
      operation: opts.operation ?? 'WRITE',
      operationParameters: opts.operationParameters ?? {
        mode: 'Overwrite',
        partitionBy: JSON.stringify(snap.partitionColumns),
      },
      isBlindAppend: false,
      ...(opts.txn ? { txn: opts.txn } : {}),
      ...(opts.maxRetries !== undefined ? { maxRetries: opts.maxRetries } : {}),
      ...(interval !== undefined ? { checkpointInterval: interval } : {}),
    });
  } finally {
    if (staged !== undefined) await conn.run(`DROP TABLE IF EXISTS ${staged}`).catch(() => {});
  }
}

/** A column to add by schema evolution. */
export interface NewColumn {
  readonly name: string;
  readonly type: DeltaType;
  /** Must be true (the default): existing rows read the new column as NULL. */
  readonly nullable?: boolean;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

function sameType(a: DeltaType, b: DeltaType): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Adds nullable columns at the end of the schema with a new metaData (and a protocol upgrade if
 * a new type needs one). Columns that already exist with the same type are ignored, so the call
 * is idempotent; when nothing is new, nothing is committed and the current version is returned.
 * @throws SluiceError DELTA_SCHEMA_MISMATCH for a NOT NULL column or an existing column with
 *   another type; DELTA_CONCURRENT_MODIFICATION if the table changed concurrently.
 */
export async function evolveSchema(
  tablePath: string,
  newColumns: readonly NewColumn[],
  opts: { snapshot?: Snapshot } = {},
): Promise<{ version: number; changed: boolean }> {
  const snap = opts.snapshot ?? (await loadSnapshot(tablePath));
  const fields: StructField[] = [...snap.schema.fields];
  for (const c of newColumns) {
    const existing = fields.find((f) => f.name.toLowerCase() === c.name.toLowerCase());
    if (existing !== undefined) {
      if (existing.name === c.name && sameType(existing.type, c.type)) continue;
      throw new SluiceError(
        'DELTA_SCHEMA_MISMATCH',
        `column '${c.name}' of ${tablePath} already exists as ${JSON.stringify(existing.type)}`,
        { params: { table: tablePath, column: c.name } },
      );
    }
    if (c.nullable === false) {
      throw new SluiceError(
        'DELTA_SCHEMA_MISMATCH',
        `cannot add NOT NULL column '${c.name}' to ${tablePath}`,
        {
          params: { table: tablePath, column: c.name },
        },
      );
    }
    fields.push({ name: c.name, type: c.type, nullable: true, metadata: c.metadata ?? {} });
  }
  if (fields.length === snap.schema.fields.length) return { version: snap.version, changed: false };
  const schema: StructType = { type: 'struct', fields };
  const actions: Action[] = [];
  const need = requiredProtocol(schema, snap.metadata.configuration);
  if (!protocolCovers(snap.protocol, need)) actions.push({ protocol: need });
  actions.push({ metaData: { ...snap.metadata, schemaString: serializeSchema(schema) } });
  const res = await commit(tablePath, actions, {
    readVersion: snap.version,
    snapshot: snap,
    operation: 'ADD COLUMNS',
    operationParameters: { columns: JSON.stringify(fields.slice(snap.schema.fields.length)) },
    isBlindAppend: false,
  });
  return { version: res.version, changed: true };
}

/**
 * The latest committed batch version of `appId` (from txn actions), or undefined. A caller
 * replaying batch b skips it when `txnVersion(...) >= b`.
 */
export async function txnVersion(
  tablePath: string,
  appId: string,
  opts: { snapshot?: Snapshot } = {},
): Promise<number | undefined> {
  const snap = opts.snapshot ?? (await loadSnapshot(tablePath));
  return snap.txns.get(appId);
}
