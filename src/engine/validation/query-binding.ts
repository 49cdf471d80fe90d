/**
 * The query binding check of validate: each flow's query bound, as the run binds it, over empty
 * relations standing for its inputs — so a statement that validates does not fail at run for a
 * reason its inputs' schemas already tell (a column that does not exist, a function over the
 * wrong types, a field read from something that is not a struct).
 *
 * Flows are bound in plan order: a pipeline dataset's columns are what its own flows' queries
 * produce (as its table will hold them), so a downstream query is bound over them. Nothing is
 * run and no data is read beyond what the run's schema inference reads; a flow with an input
 * whose schema is not known (input-relations.ts) is skipped, and so is everything that reads
 * it — the check never reports what it cannot show. Only errors of binding are reported (a
 * DuckDB binder or conversion error on empty relations, which no data can change): a failure
 * that depends on values (a cast of a string column) is the run's to report.
 */
import { type SluiceError, toSluiceError } from '../../errors/index.ts';
import type { ExecutionPlan, FlowPlan } from '../../graph/index.ts';
import {
  CDC_DELETE_COLUMN,
  CDC_SEQUENCE_COLUMN,
  CDC_TRUNCATE_COLUMN,
  type Dataset,
  SCD2_END_COLUMN,
  SCD2_START_COLUMN,
} from '../../model/index.ts';
import type { SqlCompiler } from '../../sql/index.ts';
import { deltaTypeToDuckDB, duckDBTypeToDelta, tableFolder } from '../../storage/index.ts';
import { type Database, type DuckDBConnection, queryRows } from '../../util/index.ts';
import { bindQuery } from '../sources/bind-query.ts';
import { XmlCheckedFiles } from '../sources/file-xml.ts';
import { ParquetSchemas } from '../sources/parquet-schemas.ts';
import { columnNamesRefusal, knownNames, mayBeRenamed, queryTexts } from '../tables/column-names.ts';
import { declaredFields, declaredSchemaMismatch } from '../tables/declared-schema.ts';
import { declaredColumnsMismatch, declaredType } from '../tables/prepare-table.ts';
import { TableCache } from '../tables/table-cache.ts';
import { flowFailure } from '../update/failures.ts';
import { selected as selectedColumns } from '../writing/cdc-replay.ts';
import { type Columns, existingTable, type InputScope, leafRelation } from './input-relations.ts';

/** What the binding check reads: the pipeline's folders, its execution plan, a session's engines. */
export interface QueryBindingScope {
  readonly root: string;
  readonly storage: string;
  readonly plan: ExecutionPlan;
  readonly db: Database;
  readonly sql: SqlCompiler;
}

/**
 * Codes a binding over empty relations can give that the run gives for the same query whatever
 * its data: names, types, and constants that cannot be converted.
 */
const BINDING_CODES: ReadonlySet<string> = new Set([
  'UNRESOLVED_COLUMN',
  'DATATYPE_MISMATCH',
  'CAST_INVALID_INPUT',
  'ARITHMETIC_OVERFLOW',
  'EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE',
  'WATERMARK_EVENT_TIME_CONFLICT',
  // A non-ANSI cast typed when the query is bound (sql/legacy-markers.ts) that sluice refuses
  // for its operand's type; and one left untyped (a bug), which must not pass validate.
  'LEGACY_MODE_UNSUPPORTED',
  'UNSUPPORTED_CAST',
  'LEGACY_MODE_UNRESOLVED_TYPE',
]);

/**
 * The binding errors of a runnable plan's flows, each as the run would report it (its code, the
 * flow's dataset and the `file:line` of what it is about; see `flowFailure`).
 */
export async function queryBindingErrors(scope: QueryBindingScope): Promise<SluiceError[]> {
  const conn = await scope.db.connect();
  try {
    return await bindFlows(scope, conn);
  } finally {
    conn.closeSync();
  }
}

async function bindFlows(scope: QueryBindingScope, conn: DuckDBConnection): Promise<SluiceError[]> {
  const tables = new TableCache(scope.db);
  /** Per written dataset: its columns so far (flows of one dataset come together), or unknown. */
  const written = new Map<string, Columns | 'unknown'>();
  const inputs: InputScope = {
    root: scope.root,
    storage: scope.storage,
    conn,
    tables,
    parquetSchemas: new ParquetSchemas(),
    xmlChecked: new XmlCheckedFiles(),
    datasetColumns: (name) => {
      const c = written.get(name);
      return c === 'unknown' ? undefined : c;
    },
  };
  const errors: SluiceError[] = [];
  for (const flow of scope.plan.flows) {
    const columns = await bindFlow(scope, inputs, flow, conn, errors);
    const target = flow.target.name;
    const before = written.get(target);
    if (before === 'unknown') continue;
    if (!columns) {
      written.set(target, 'unknown');
      continue;
    }
    written.set(target, await storedColumns(tables, conn, scope.storage, flow, before, columns));
  }
  return errors;
}

/**
 * Binds one flow over its inputs' relations: its output columns, or undefined when an input is
 * not known or the binding failed (a binding error is added to `errors`).
 */
async function bindFlow(
  scope: QueryBindingScope,
  inputs: InputScope,
  flow: FlowPlan,
  conn: DuckDBConnection,
  errors: SluiceError[],
): Promise<Columns | undefined> {
  const relations = new Map<string, string>();
  for (const leaf of flow.leaves) {
    const sql = await leafRelation(inputs, flow, leaf);
    if (sql === undefined) return undefined;
    relations.set(leaf.key, sql);
  }
  // A stream–stream join's run reads its queries' field access as written (see stream-join.ts);
  // every other flow's is typed over its inputs, Spark's `arr.f` through arrays of structs
  // included. The non-ANSI conversions of all are typed (sql/legacy-markers.ts).
  const typing = { sql: scope.sql, conn, ...(flow.kind === 'stream_join' ? { markersOnly: true } : {}) };
  try {
    const sql = await bindQuery(
      flow.bound,
      async (leaf) => relations.get(leaf.key)!,
      undefined,
      typing,
      conn,
    );
    const columns = await describe(conn, sql);
    // A materialized view's declared columns are its query's, or the run refuses it (prepare-table.ts).
    const mismatch = declaredColumnsMismatch(
      flow.target,
      columns.map((c) => c.name),
    );
    // A streaming table's declared columns take what each flow writes, or the run refuses it
    // before writing (prepare-table.ts, declared-schema.ts).
    const written = writtenColumns(flow, columns);
    const misfit = written && declaredSchemaMismatch(flow.target, flow.flow.name, written);
    const refused = mismatch ?? misfit;
    if (refused) {
      errors.push(flowFailure(refused, flow, { root: scope.root, storage: scope.storage }));
      return undefined;
    }
    // Names Delta would refuse to save (as the run refuses them before writing, prepare-table.ts).
    const known = mayBeRenamed(columns)
      ? await knownNames(conn, queryTexts(flow.bound), [...relations.values()])
      : undefined;
    const badNames = columnNamesRefusal(flow.target, columns, known);
    if (badNames) {
      errors.push(flowFailure(badNames, flow, { root: scope.root, storage: scope.storage }));
      return undefined;
    }
    return columns;
  } catch (e) {
    const err = toSluiceError(e, 'FLOW_EXECUTION_FAILED');
    if (BINDING_CODES.has(err.code))
      errors.push(flowFailure(err, flow, { root: scope.root, storage: scope.storage }));
    return undefined;
  }
}

/**
 * The columns `flow` writes to its target when its query returns `columns`, as the run gives
 * them to `prepareTable`: an AUTO CDC flow's source columns (its COLUMNS selection, without the
 * computed event columns) and SCD 2's validity interval; undefined for a snapshot function's
 * flow, whose query is known only at run.
 */
function writtenColumns(flow: FlowPlan, columns: Columns): Columns | undefined {
  switch (flow.kind) {
    case 'auto_cdc': {
      const cdc = flow.flow.cdc!;
      const computed = new Set<string>([CDC_SEQUENCE_COLUMN, CDC_DELETE_COLUMN, CDC_TRUNCATE_COLUMN]);
      const source = columns.filter((c) => !computed.has(c.name));
      const names = new Set(
        selectedColumns(
          cdc.columns,
          source.map((c) => c.name),
        ),
      );
      const seq = columns.find((c) => c.name === CDC_SEQUENCE_COLUMN)?.type ?? 'BIGINT';
      return [...source.filter((c) => names.has(c.name)), ...scd2Columns(cdc.scdType, seq)];
    }
    case 'auto_cdc_snapshot': {
      const cdc = flow.flow.snapshotCdc!;
      return cdc.nextSnapshot ? undefined : [...columns, ...scd2Columns(cdc.scdType, 'BIGINT')];
    }
    case 'materialized_view':
    case 'streaming_append':
    case 'streaming_dedup':
    case 'stream_join':
    case 'append_once':
    case 'streaming_aggregate':
      return columns;
    default: {
      const never: never = flow.kind;
      return never;
    }
  }
}

function scd2Columns(scdType: 1 | 2, type: string): Columns {
  return scdType === 2
    ? [
        { name: SCD2_START_COLUMN, type },
        { name: SCD2_END_COLUMN, type },
      ]
    : [];
}

/**
 * The columns a dataset's table has for its readers once `flow` wrote `columns` to it: as the
 * table stores them (declared types, Delta's types read back); a materialized view's table is
 * replaced by its query's columns, a streaming table only gains columns (those it has, or had
 * from its earlier flows, stay). Unknown for flows whose table is not their query's columns
 * (AUTO CDC, a streaming aggregation's rebuilt windows) unless the table exists.
 */
async function storedColumns(
  tables: TableCache,
  conn: DuckDBConnection,
  storage: string,
  flow: FlowPlan,
  before: Columns | undefined,
  columns: Columns,
): Promise<Columns | 'unknown'> {
  switch (flow.kind) {
    case 'auto_cdc':
    case 'auto_cdc_snapshot':
    case 'streaming_aggregate':
      return 'unknown';
    case 'materialized_view':
      return columns.map((c) => stored(flow.target, c));
    case 'streaming_append':
    case 'streaming_dedup':
    case 'stream_join':
    case 'append_once': {
      const base = before ?? (await tableColumns(tables, conn, tableFolder(storage, flow.target)));
      if (base === 'unknown') return 'unknown';
      const have = new Set(base.map((c) => c.name.toLowerCase()));
      // A table that declares its columns holds them all, in declared order (declared-schema.ts).
      const declared = declaredFields(flow.target, columns);
      const adds = declared
        ? declared.map((d) => ({ name: d.name, type: deltaTypeToDuckDB(d.type) }))
        : columns.map((c) => stored(flow.target, c));
      return [...base, ...adds.filter((c) => !have.has(c.name.toLowerCase()))];
    }
    default: {
      const never: never = flow.kind;
      return never;
    }
  }
}

/** A query column as its dataset's table stores it and a reader reads it back. */
function stored(dataset: Dataset, c: Columns[number]): Columns[number] {
  return {
    name: c.name,
    type: deltaTypeToDuckDB(declaredType(dataset, c.name) ?? duckDBTypeToDelta(c.type)),
  };
}

/** The columns of the table at `path` ([] when there is none), 'unknown' when it cannot be read. */
async function tableColumns(
  tables: TableCache,
  conn: DuckDBConnection,
  path: string,
): Promise<Columns | 'unknown'> {
  try {
    const sql = await existingTable({ tables }, path);
    return sql === undefined ? [] : await describe(conn, sql);
  } catch {
    return 'unknown';
  }
}

async function describe(conn: DuckDBConnection, sql: string): Promise<Columns> {
  const rows = await queryRows<{ column_name: string; column_type: string }>(conn, `DESCRIBE ${sql}`);
  return rows.map((r) => ({ name: r.column_name, type: r.column_type }));
}
