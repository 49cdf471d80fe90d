import type { Dataset } from '../../model/index.ts';
import {
  type AddAction,
  filesScanSql,
  numRecordsOf,
  removeAll,
  writeDataFiles,
} from '../../storage/index.ts';
import { crashPoint, type DuckDBConnection, queryRows } from '../../util/index.ts';
import { type PreparedTable, prepareTable, type QueryColumns } from '../tables/prepare-table.ts';
import type { TableCache } from '../tables/table-cache.ts';

export type { QueryColumns };

/**
 * A flow's batch query output columns keyed by the shape of its inputs (see `LeafSqlOptions.onShape`):
 * batches whose inputs have the same columns and types produce the same output columns, so the
 * DESCRIBE (a full bind of the query) runs once per shape instead of once per batch. Should a
 * cached list ever be stale, the write fails its column check before anything is written; the
 * writer then describes afresh and retries once.
 */
export type ColumnsCache = Map<string, QueryColumns>;

/** Output columns of a query, as DuckDB types. */
async function describe(conn: DuckDBConnection, sql: string): Promise<QueryColumns> {
  const rows = await queryRows<{ column_name: string; column_type: string }>(
    conn,
    `DESCRIBE SELECT * FROM (${sql})`,
  );
  return rows.map((r) => ({ name: r.column_name, type: r.column_type }));
}

/** Writes the rows of `sql` as Parquet files laid out for the table; `columns` saves a DESCRIBE. */
function writeFiles(
  conn: DuckDBConnection,
  path: string,
  sql: string,
  layout: PreparedTable['layout'],
  columns: QueryColumns,
): Promise<AddAction[]> {
  return writeDataFiles(conn, path, sql, { ...layout, columns: columns.map((c) => c.name) });
}

/**
 * Writes the rows of `sql` (bound on `conn`) into the table at `path` and commits them in one
 * Delta commit carrying `txn {appId, batchId}` — appended, or replacing the table's contents
 * (`overwrite`: a materialized view's refresh). Creates the table or evolves its schema first
 * as needed (see `prepareTable`). Returns the rows and bytes written and the committed version.
 */
export async function commitRows(
  tables: TableCache,
  conn: DuckDBConnection,
  path: string,
  dataset: Dataset,
  sql: string,
  opts: {
    readonly mode: 'append' | 'overwrite';
    readonly appId: string;
    readonly batchId: number;
    readonly flow: string;
    /** The batch's data-quality record, given SQL over the rows just written (committed with them). */
    readonly dataQuality?: (written: string) => Promise<Readonly<Record<string, unknown>> | undefined>;
    readonly columns?: { readonly cache: ColumnsCache; readonly shape: string };
    /** `sql`'s output columns, described just now (not a cached list): saves the DESCRIBE. */
    readonly described?: QueryColumns;
    /** Awaited after the files are written, just before the commit. */
    readonly beforeCommit?: () => Promise<void>;
  },
): Promise<{ rows: number; bytes: number; version: number }> {
  const replaceSchema = opts.mode === 'overwrite';
  const cached = opts.columns?.cache.get(opts.columns.shape);
  let columns: QueryColumns = cached ?? opts.described ?? (await describe(conn, sql));
  let prepared = await prepareTable(tables, path, dataset, columns, { replaceSchema, flow: opts.flow });
  let adds: AddAction[];
  try {
    adds = await writeFiles(conn, path, sql, prepared.layout, columns);
  } catch (e) {
    if (cached === undefined) throw e;
    // The cached columns may be stale (a query whose columns depend on the data): describe afresh.
    const fresh = await describe(conn, sql);
    if (JSON.stringify(fresh) === JSON.stringify(cached)) throw e;
    columns = fresh;
    prepared = await prepareTable(tables, path, dataset, columns, { replaceSchema, flow: opts.flow });
    adds = await writeFiles(conn, path, sql, prepared.layout, columns);
  }
  if (opts.columns && cached !== columns) opts.columns.cache.set(opts.columns.shape, columns);
  const dataQuality = await opts.dataQuality?.(
    filesScanSql(path, prepared.layout.schema, prepared.layout.partitionColumns, adds),
  );
  const removes = opts.mode === 'overwrite' ? removeAll(prepared.snapshot).map((remove) => ({ remove })) : [];
  const rows = adds.reduce((n, a) => n + numRecordsOf(a), 0);
  const bytes = adds.reduce((n, a) => n + a.size, 0);
  await opts.beforeCommit?.();
  crashPoint('before-commit', opts.flow);
  const version = await tables.commit(
    path,
    [...prepared.metadataActions, ...removes, ...adds.map((add) => ({ add }))],
    {
      readVersion: prepared.snapshot.version,
      snapshot: prepared.snapshot,
      operation: opts.mode === 'append' ? 'STREAMING UPDATE' : 'WRITE',
      operationParameters:
        opts.mode === 'append'
          ? { outputMode: 'Append', queryId: opts.appId, epochId: String(opts.batchId) }
          : { mode: 'Overwrite' },
      operationMetrics: {
        numFiles: String(adds.length),
        numOutputRows: String(rows),
        numOutputBytes: String(bytes),
      },
      isBlindAppend: opts.mode === 'append' && prepared.metadataActions.length === 0,
      txn: { appId: opts.appId, version: opts.batchId },
      // The batch's data-quality counts travel in the same atomic commit as its rows, so totals
      // summed over a table's history are exact across crashes and replays.
      commitInfo: {
        sluice: {
          flow: opts.flow,
          batchId: opts.batchId,
          ...(dataQuality ? { dataQuality } : {}),
        },
      },
    },
  );
  crashPoint('after-commit', opts.flow);
  return { rows, bytes, version };
}
