import { SluiceError } from '../errors/index.ts';
import type { ColumnDefinition, DatasetKind, Expectation } from '../model/index.ts';
import { parseSparkColumns } from '../sql/index.ts';
import { callSite, type QueryArg, register } from './registry.ts';

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
