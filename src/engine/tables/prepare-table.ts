import { SluiceError } from '../../errors/index.ts';
import type { Dataset } from '../../model/index.ts';
import { parseSparkType } from '../../sql/index.ts';
import {
  type Action,
  assertWritable,
  createTable,
  type DeltaType,
  duckDBTypeToDelta,
  type MetadataAction,
  removeAll,
  requiredProtocol,
  type Snapshot,
  type StructField,
  type StructType,
  serializeSchema,
} from '../../storage/index.ts';
import { columnNamesRefusal } from './column-names.ts';
import { declaredFields, declaredSchemaMismatch } from './declared-schema.ts';
import type { TableCache } from './table-cache.ts';

/** Output columns of a query, as DuckDB names and types. */
export type QueryColumns = readonly { readonly name: string; readonly type: string }[];

export interface PreparedTable {
  readonly snapshot: Snapshot;
  readonly layout: { readonly schema: StructType; readonly partitionColumns: readonly string[] };
  /** Metadata/protocol actions to commit with the data (a replaced schema). */
  readonly metadataActions: readonly Action[];
}

/**
 * Makes the table ready to receive rows with `columns`: creates it (its own commit) when
 * missing, adds new nullable columns (its own commit), and — only when `replaceSchema` (a
 * complete recompute) or the table is empty — returns a replacing metaData to commit
 * atomically with the data when a column's type changed or columns went away.
 * @throws SluiceError DELTA_SCHEMA_MISMATCH when a streaming table's column changed type.
 */
/**
 * A materialized view that declares its columns (`CREATE MATERIALIZED VIEW m (a STRING, …) AS …`,
 * a TypeScript schema) writes only when they are its query's output columns by name (without
 * regard to case) and in order: a declaration that names other columns, fewer or more, or
 * another order, is refused rather than applied in a way Databricks may not (by position, or by
 * name). Undefined when there is nothing to refuse (no declared columns, or not a materialized
 * view, whose flows may each write some of its columns).
 */
export function declaredColumnsMismatch(dataset: Dataset, names: readonly string[]): SluiceError | undefined {
  const declared = (dataset.columns ?? []).map((c) => c.name);
  if (dataset.kind !== 'materialized_view' || declared.length === 0) return undefined;
  const same =
    declared.length === names.length && declared.every((d, i) => d.toLowerCase() === names[i]!.toLowerCase());
  if (same) return undefined;
  return new SluiceError(
    'DECLARED_COLUMNS_MISMATCH',
    `'${dataset.name}' declares the columns (${declared.join(', ')}) but its query returns (${names.join(', ')}); name and order the query's columns as declared (\`… AS ${declared[0]}\`), or declare the columns the query returns`,
    {
      dataset: dataset.name,
      params: { declared: declared.join(', '), returned: names.join(', ') },
      ...(dataset.location ? { location: dataset.location } : {}),
    },
  );
}

export async function prepareTable(
  tables: TableCache,
  path: string,
  dataset: Dataset,
  columns: QueryColumns,
  opts: {
    readonly replaceSchema: boolean;
    /** The flow writing `columns` (named in a refusal of a streaming table's declared columns). */
    readonly flow: string;
    /**
     * Table properties a table created here gets unless the dataset sets them (matched without
     * regard to case); an existing table's properties are never changed.
     */
    readonly defaultProperties?: Readonly<Record<string, string>>;
  },
): Promise<PreparedTable> {
  const mismatch = declaredColumnsMismatch(
    dataset,
    columns.map((c) => c.name),
  );
  if (mismatch) throw mismatch;
  const badNames = columnNamesRefusal(dataset, columns);
  if (badNames) throw badNames;
  // A streaming table's declared columns: every column its flow writes is declared, with a type
  // it merges into, and the table holds the declared columns (declared-schema.ts).
  const misfit = declaredSchemaMismatch(dataset, opts.flow, columns);
  if (misfit) throw misfit;
  const declared = declaredFields(dataset, columns);
  const wanted: StructField[] = declared
    ? declared.map((d) => ({
        name: d.name,
        type: d.type,
        nullable: d.nullable,
        metadata: d.comment ? { comment: d.comment } : {},
      }))
    : columns.map((c) => ({
        name: c.name,
        type: declaredType(dataset, c.name) ?? duckDBTypeToDelta(c.type),
        nullable: !dataset.columns?.some((d) => d.name.toLowerCase() === c.name.toLowerCase() && !d.nullable),
        metadata: columnMetadata(dataset, c.name),
      }));
  const schema: StructType = { type: 'struct', fields: wanted };
  if ((await tables.version(path)) === undefined)
    await createMissingTable(path, dataset, schema, opts.defaultProperties ?? {});
  const snap = await tables.snapshot(path);
  // A table with writer features sluice does not honour is refused before any file is written
  // (an overwrite also removes every row: refused for an append-only table).
  assertWritable(snap, opts.replaceSchema ? removeAll(snap).map((remove) => ({ remove })) : []);
  const existing = new Map(snap.schema.fields.map((f) => [f.name.toLowerCase(), f]));
  const changed = wanted.filter((f) => {
    const e = existing.get(f.name.toLowerCase());
    return e !== undefined && JSON.stringify(e.type) !== JSON.stringify(f.type);
  });
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
    return replacingSchema(snap, schema);
  }
  const added = wanted.filter((f) => !existing.has(f.name.toLowerCase()));
  const current = added.length > 0 ? await addColumns(tables, path, snap, added) : snap;
  return {
    snapshot: current,
    layout: { schema: current.schema, partitionColumns: current.partitionColumns },
    metadataActions: [],
  };
}

/** Creates the table (its own commit); a concurrent creator winning is fine. */
async function createMissingTable(
  path: string,
  dataset: Dataset,
  schema: StructType,
  defaults: Readonly<Record<string, string>>,
): Promise<void> {
  const missing = dataset.partitionBy.filter((p) => !schema.fields.some((f) => f.name === p));
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
      configuration: { ...unsetDefaults(dataset, defaults), ...tableConfiguration(dataset) },
      name: dataset.name,
      ...(dataset.comment !== undefined ? { description: dataset.comment } : {}),
    });
  } catch (e) {
    if (!(e instanceof SluiceError && e.code === 'DELTA_TABLE_EXISTS')) throw e;
  }
}

/** A protocol upgrade when `schema` needs one the table lacks. */
function protocolFor(snap: Snapshot, schema: StructType): Action[] {
  const need = requiredProtocol(schema, snap.metadata.configuration);
  return need.minReaderVersion > snap.protocol.minReaderVersion ||
    need.minWriterVersion > snap.protocol.minWriterVersion
    ? [{ protocol: need }]
    : [];
}

/** The metaData (and protocol) that replace the schema, committed atomically with the new rows. */
function replacingSchema(snap: Snapshot, schema: StructType): PreparedTable {
  const metaData: MetadataAction = {
    ...snap.metadata,
    schemaString: serializeSchema(schema),
    partitionColumns: snap.metadata.partitionColumns.filter((p) => schema.fields.some((w) => w.name === p)),
  };
  return {
    snapshot: snap,
    layout: { schema, partitionColumns: metaData.partitionColumns },
    metadataActions: [...protocolFor(snap, schema), { metaData }],
  };
}

/** Adds new nullable columns in their own commit and returns the table after it. */
async function addColumns(
  tables: TableCache,
  path: string,
  snap: Snapshot,
  added: readonly StructField[],
): Promise<Snapshot> {
  const next: StructType = {
    type: 'struct',
    fields: [...snap.schema.fields, ...added.map((f) => ({ ...f, nullable: true }))],
  };
  await tables.commit(
    path,
    [...protocolFor(snap, next), { metaData: { ...snap.metadata, schemaString: serializeSchema(next) } }],
    {
      readVersion: snap.version,
      snapshot: snap,
      operation: 'ADD COLUMNS',
      operationParameters: { columns: JSON.stringify(added.map((f) => f.name)) },
      isBlindAppend: false,
    },
  );
  return tables.snapshot(path);
}

/** The type a column list declares for `column` (validated when the definition was read). */
/** The type a dataset's column list declares for `column` (matched without regard to case). */
export function declaredType(dataset: Dataset, column: string): DeltaType | undefined {
  const d = dataset.columns?.find((c) => c.name.toLowerCase() === column.toLowerCase());
  return d?.type ? parseSparkType(d.type) : undefined;
}

function columnMetadata(dataset: Dataset, column: string): Record<string, unknown> {
  const d = dataset.columns?.find((c) => c.name.toLowerCase() === column.toLowerCase());
  return d?.comment ? { comment: d.comment } : {};
}

/**
 * Delta properties that would switch on a table feature sluice does not write (row tracking,
 * column mapping, …). Writing them to metaData would make the table claim a feature its protocol
 * lacks, so they are left out; Databricks-only tuning properties such as `delta.autoOptimize.*`
 * are harmless and kept. (`delta.enableDeletionVectors` is kept: row-level changes then write
 * deletion vectors, and the protocol declares the feature.)
 */
const UNSUPPORTED_FEATURE_PROPERTIES = [
  'delta.enablerowtracking',
  'delta.columnmapping.mode',
  'delta.enabletypewidening',
  'delta.universalformat.enabledformats',
  'delta.enableicebergcompatv1',
  'delta.enableicebergcompatv2',
];

/** The `defaults` the dataset's own properties do not set (names compared without case). */
function unsetDefaults(d: Dataset, defaults: Readonly<Record<string, string>>): Record<string, string> {
  const set = new Set(Object.keys(d.properties).map((k) => k.toLowerCase()));
  return Object.fromEntries(Object.entries(defaults).filter(([k]) => !set.has(k.toLowerCase())));
}

/** Table properties that go into the Delta metaData configuration. */
function tableConfiguration(d: Dataset): Record<string, string> {
  return Object.fromEntries(
    Object.entries(d.properties).filter(([k]) => !UNSUPPORTED_FEATURE_PROPERTIES.includes(k.toLowerCase())),
  );
}
