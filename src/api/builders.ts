import { SluiceError } from '../errors/index.ts';
import {
  type AutoCdc,
  type AutoCdcFromSnapshot,
  autoCdcComputedColumns,
  type ColumnDefinition,
  type ColumnSelection,
  type DatasetKind,
  type Expectation,
} from '../model/index.ts';
import { parseSparkColumns } from '../sql/index.ts';
import { callSite, type QueryArg, register } from './registry.ts';
import { nextSnapshotFunction, type SnapshotSourceFunction } from './snapshot-source.ts';
import { raw, read, sql, stream } from './sql-template.ts';

/** Options shared by every dataset declaration. */
export interface DatasetOptions {
  /** Dataset name: an identifier (`[A-Za-z_][A-Za-z0-9_]*`), optionally `schema.name`. */
  readonly name: string;
  readonly comment?: string;
  /** Table properties (`TBLPROPERTIES`); values are strings. */
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
  readonly partitionBy?: readonly string[];
  readonly clusterBy?: readonly string[];
  /** Columns: a Spark DDL string (`'id BIGINT NOT NULL, name STRING'`) or column objects. */
  readonly schema?: string | readonly ColumnDefinition[];
  /** Build the expectations with `expect`, `expectOrDrop`, `...expectAll({...})`, … */
  readonly expectations?: readonly Expectation[];
  /** Not published outside the pipeline (`CREATE PRIVATE …`). */
  readonly private?: boolean;
}

export interface AppendFlowOptions {
  /**
   * Flow name. Checkpoints are keyed by it, so give one explicitly if the flow may move;
   * the default is `<target>_flow_<n>` (n counts this file's append flows into that target).
   */
  readonly name?: string;
  readonly target: string;
  /** Run the query once (a backfill); the flow may then read batch inputs. */
  readonly once?: boolean;
}

function invalid(message: string): SluiceError {
  return new SluiceError('TS_INVALID_DEFINITION', message);
}

/** Reads a Spark DDL column list (`'id BIGINT NOT NULL, name STRING'`) into column definitions. */
export function parseColumnsDdl(ddl: string): ColumnDefinition[] {
  return parseSparkColumns(ddl).map((c) =>
    Object.freeze({
      name: c.name,
      type: c.typeText,
      nullable: c.nullable,
      ...(c.comment !== undefined ? { comment: c.comment } : {}),
    }),
  );
}

function declare(kind: DatasetKind, options: DatasetOptions, query: QueryArg | undefined, fn: string): void {
  if (
    typeof options !== 'object' ||
    options === null ||
    typeof options.name !== 'string' ||
    options.name === ''
  ) {
    throw invalid(`${fn}(options, …): options.name must be a non-empty string`);
  }
  if (
    query !== undefined &&
    typeof query !== 'function' &&
    (typeof query !== 'object' || query.kind !== 'sql')
  ) {
    throw invalid(`${fn}({ name: '${options.name}' }, query): query must be sql\`…\` or (ctx) => sql\`…\``);
  }
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.properties ?? {})) properties[k] = String(v);
  const columns = typeof options.schema === 'string' ? parseColumnsDdl(options.schema) : options.schema;
  const expectations = (options.expectations ?? []).flat();
  register({
    kind: 'dataset',
    datasetKind: kind,
    name: options.name,
    ...(options.comment !== undefined ? { comment: options.comment } : {}),
    properties,
    partitionBy: [...(options.partitionBy ?? [])],
    clusterBy: [...(options.clusterBy ?? [])],
    ...(columns !== undefined ? { columns: [...columns] } : {}),
    expectations,
    private: options.private ?? false,
    ...(query !== undefined ? { query } : {}),
    location: callSite(),
  });
}

/** A streaming table whose defining flow is `query` (it must read a streaming input). */
export function table(options: DatasetOptions, query: QueryArg): void {
  declare('streaming_table', options, query, 'table');
}
/** Alias of {@link table}. */
export const streamingTable = table;

/** A streaming table with no defining query; `appendFlow`s write to it. */
export function createStreamingTable(options: DatasetOptions): void {
  declare('streaming_table', options, undefined, 'createStreamingTable');
}

/** A materialized view: recomputed from batch reads of its inputs. */
export function materializedView(options: DatasetOptions, query: QueryArg): void {
  declare('materialized_view', options, query, 'materializedView');
}

/** A view inlined into the flows that read it; never stored. */
export function temporaryView(options: DatasetOptions, query: QueryArg): void {
  declare('temporary_view', options, query, 'temporaryView');
}

/** A persisted (published) view. */
export function view(options: DatasetOptions, query: QueryArg): void {
  declare('persisted_view', options, query, 'view');
}

/** An append flow: `INSERT INTO target BY NAME query`, incrementally (or `once`). */
export function appendFlow(options: AppendFlowOptions, query: QueryArg): void {
  if (
    typeof options !== 'object' ||
    options === null ||
    typeof options.target !== 'string' ||
    options.target === ''
  ) {
    throw invalid('appendFlow(options, query): options.target must be a non-empty string');
  }
  if (typeof query !== 'function' && (typeof query !== 'object' || query === null || query.kind !== 'sql')) {
    throw invalid(
      `appendFlow({ target: '${options.target}' }, query): query must be sql\`…\` or (ctx) => sql\`…\``,
    );
  }
  register({
    kind: 'append_flow',
    ...(options.name !== undefined ? { name: options.name } : {}),
    target: options.target,
    once: options.once ?? false,
    query,
    location: callSite(),
  });
}

/**
 * Options of {@link createAutoCdcFlow}, as Python's `create_auto_cdc_flow` names them (camelCase).
 * Column names are unqualified identifiers; `sequenceBy`, `applyAsDeletes` and `applyAsTruncates`
 * are Spark SQL expressions over the source's columns.
 */
export interface AutoCdcFlowOptions {
  /** The streaming table the changes are applied to (declared with `createStreamingTable`). */
  readonly target: string;
  /** The dataset of change events, read as a stream. */
  readonly source: string;
  readonly keys: readonly string[];
  readonly sequenceBy: string;
  /** True: a NULL in an update keeps the target's value, in every column. */
  readonly ignoreNullUpdates?: boolean;
  /** Only these columns keep the target's value when an update holds NULL. */
  readonly ignoreNullUpdatesColumnList?: readonly string[];
  /** Every column but these keeps the target's value when an update holds NULL. */
  readonly ignoreNullUpdatesExceptColumnList?: readonly string[];
  readonly applyAsDeletes?: string;
  readonly applyAsTruncates?: string;
  readonly columnList?: readonly string[];
  readonly exceptColumnList?: readonly string[];
  readonly storedAsScdType?: 1 | 2 | '1' | '2';
  readonly trackHistoryColumnList?: readonly string[];
  readonly trackHistoryExceptColumnList?: readonly string[];
  /** Flow name (its checkpoint is keyed by it); default: the target's name. */
  readonly name?: string;
}

function selection(
  what: string,
  include: readonly string[] | undefined,
  except: readonly string[] | undefined,
): ColumnSelection | undefined {
  if (include !== undefined && except !== undefined)
    throw invalid(`createAutoCdcFlow: give ${what}ColumnList or ${what}ExceptColumnList, not both`);
  if (include !== undefined) return Object.freeze({ kind: 'include', columns: Object.freeze([...include]) });
  if (except !== undefined) return Object.freeze({ kind: 'except', columns: Object.freeze([...except]) });
  return undefined;
}

/**
 * An AUTO CDC flow (`create_auto_cdc_flow`): applies the change events read from `source` to
 * `target` by key, in `sequenceBy` order whatever order they arrive in, as SCD type 1 (the current
 * row per key) or 2 (its history, `__START_AT` / `__END_AT`).
 */
export function createAutoCdcFlow(options: AutoCdcFlowOptions): void {
  const o = options;
  if (typeof o !== 'object' || o === null)
    throw invalid('createAutoCdcFlow(options): options must be an object');
  for (const k of ['target', 'source', 'sequenceBy'] as const) {
    if (typeof o[k] !== 'string' || o[k] === '')
      throw invalid(`createAutoCdcFlow(options): options.${k} must be a non-empty string`);
  }
  if (!Array.isArray(o.keys) || o.keys.length === 0 || o.keys.some((k) => typeof k !== 'string' || k === ''))
    throw invalid(
      `createAutoCdcFlow({ target: '${o.target}' }): keys must be a non-empty list of column names`,
    );
  const scd = String(o.storedAsScdType ?? '1');
  if (scd !== '1' && scd !== '2')
    throw invalid(`createAutoCdcFlow({ target: '${o.target}' }): storedAsScdType must be 1 or 2`);
  const scdType = scd === '1' ? 1 : 2;
  const ignore =
    selection('ignoreNullUpdates', o.ignoreNullUpdatesColumnList, o.ignoreNullUpdatesExceptColumnList) ??
    (o.ignoreNullUpdates
      ? Object.freeze({ kind: 'except' as const, columns: Object.freeze([]) })
      : undefined);
  const columns = selection('', o.columnList, o.exceptColumnList);
  const trackHistory = selection('trackHistory', o.trackHistoryColumnList, o.trackHistoryExceptColumnList);
  if (trackHistory && scdType !== 2)
    throw invalid(`createAutoCdcFlow({ target: '${o.target}' }): trackHistory… needs storedAsScdType 2`);
  if (o.applyAsTruncates !== undefined && scdType !== 1)
    throw invalid(`createAutoCdcFlow({ target: '${o.target}' }): applyAsTruncates needs storedAsScdType 1`);
  const cdc: AutoCdc = Object.freeze({
    kind: 'auto_cdc',
    source: `STREAM(${o.source})`,
    keys: Object.freeze([...o.keys]),
    sequenceBy: o.sequenceBy,
    ...(o.applyAsDeletes !== undefined ? { deleteWhen: o.applyAsDeletes } : {}),
    ...(o.applyAsTruncates !== undefined ? { truncateWhen: o.applyAsTruncates } : {}),
    ...(ignore ? { ignoreNullUpdates: ignore } : {}),
    ...(columns ? { columns } : {}),
    scdType,
    ...(trackHistory ? { trackHistory } : {}),
  });
  const strings = Object.assign(['SELECT *, ', ' FROM ', ''], { raw: ['SELECT *, ', ' FROM ', ''] });
  register({
    kind: 'auto_cdc_flow',
    ...(o.name !== undefined ? { name: o.name } : {}),
    target: o.target,
    cdc,
    query: sql(strings, raw(autoCdcComputedColumns(cdc)), stream(o.source)),
    location: callSite(),
  });
}

/**
 * Options of {@link createAutoCdcFromSnapshotFlow}, as Python's `create_auto_cdc_from_snapshot_flow`
 * names them (camelCase).
 */
export interface AutoCdcFromSnapshotFlowOptions {
  /** The streaming table the snapshot differences are applied to (declared with `createStreamingTable`). */
  readonly target: string;
  /**
   * The dataset (table or view) whose whole current content is a snapshot, or a function
   * returning the next snapshot and its version (see {@link SnapshotSourceFunction}).
   */
  readonly source: string | SnapshotSourceFunction;
  readonly keys: readonly string[];
  readonly storedAsScdType?: 1 | 2 | '1' | '2';
  readonly trackHistoryColumnList?: readonly string[];
  readonly trackHistoryExceptColumnList?: readonly string[];
  /** Flow name (its checkpoint is keyed by it); default: the target's name. */
  readonly name?: string;
}

/**
 * An AUTO CDC FROM SNAPSHOT flow (`create_auto_cdc_from_snapshot_flow`): each update whose source
 * changed reads the source's whole content as the next snapshot and applies its difference from
 * the previous one to `target` — keys new to it inserted, keys whose values changed updated, keys
 * gone deleted — as SCD type 1 (the current rows) or 2 (their history; `__START_AT` / `__END_AT`
 * number the snapshots 1, 2, …). With a function as `source`, each update calls it with the last
 * processed version and applies every snapshot it returns, in turn, until it returns nothing;
 * its versions number the snapshots.
 */
export function createAutoCdcFromSnapshotFlow(options: AutoCdcFromSnapshotFlowOptions): void {
  const o = options;
  const fn = 'createAutoCdcFromSnapshotFlow';
  if (typeof o !== 'object' || o === null) throw invalid(`${fn}(options): options must be an object`);
  if (typeof o.target !== 'string' || o.target === '')
    throw invalid(`${fn}(options): options.target must be a non-empty string`);
  if ((typeof o.source !== 'string' || o.source === '') && typeof o.source !== 'function')
    throw invalid(
      `${fn}({ target: '${o.target}' }): source must be the name of a dataset or a function returning the next snapshot and its version`,
    );
  if (!Array.isArray(o.keys) || o.keys.length === 0 || o.keys.some((k) => typeof k !== 'string' || k === ''))
    throw invalid(`${fn}({ target: '${o.target}' }): keys must be a non-empty list of column names`);
  const scd = String(o.storedAsScdType ?? '1');
  if (scd !== '1' && scd !== '2')
    throw invalid(`${fn}({ target: '${o.target}' }): storedAsScdType must be 1 or 2`);
  const scdType = scd === '1' ? 1 : 2;
  const trackHistory = selection('trackHistory', o.trackHistoryColumnList, o.trackHistoryExceptColumnList);
  if (trackHistory && scdType !== 2)
    throw invalid(`${fn}({ target: '${o.target}' }): trackHistory… needs storedAsScdType 2`);
  const source = o.source;
  const snapshotCdc: AutoCdcFromSnapshot = Object.freeze({
    kind: 'auto_cdc_snapshot',
    source: typeof source === 'string' ? source : `<function ${source.name || 'anonymous'}>`,
    ...(typeof source === 'function'
      ? { nextSnapshot: nextSnapshotFunction(source, o.name ?? o.target, o.target) }
      : {}),
    keys: Object.freeze([...o.keys]),
    scdType,
    ...(trackHistory ? { trackHistory } : {}),
  });
  register({
    kind: 'auto_cdc_snapshot_flow',
    ...(o.name !== undefined ? { name: o.name } : {}),
    target: o.target,
    snapshotCdc,
    // A function's snapshots are queries it gives at run time; the flow's own query reads nothing.
    query:
      typeof source === 'string'
        ? sql(Object.assign(['SELECT * FROM ', ''], { raw: ['SELECT * FROM ', ''] }), read(source))
        : sql(
            Object.assign(['SELECT * FROM (SELECT NULL AS snapshot_function) WHERE false'], {
              raw: ['SELECT * FROM (SELECT NULL AS snapshot_function) WHERE false'],
            }),
          ),
    location: callSite(),
  });
}
