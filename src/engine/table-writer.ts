import { join } from 'node:path';
import { SluiceError } from '../errors/index.ts';
import type { FlowPlan } from '../graph/index.ts';
import type { Dataset } from '../model/index.ts';
import type { DuckDBConnection } from '../util/duckdb.ts';
import type { UpdateContext } from './context.ts';
import {
  BATCH_TABLE,
  type CompiledExpectation,
  compileExpectations,
  countExpectations,
  type ExpectationEvaluation,
  evaluateExpectations,
  isRepeatable,
  keptRowsSql,
  quarantinedRowsSql,
} from './expectations.ts';
import type { FlowCheckpoint } from './flow-checkpoint.ts';
import * as store from './store.ts';
import type { ExpectationMetrics } from './types.ts';

/** What one batch did. Invariant: outputRows + droppedRows + quarantinedRows = inputRows. */
export interface BatchOutcome {
  readonly inputRows: number;
  readonly outputRows: number;
  readonly outputBytes: number;
  /** Source files the batch read. */
  readonly files: number;
  readonly droppedRows: number;
  readonly quarantinedRows: number;
  readonly expectations: readonly ExpectationMetrics[];
  /** Target table version the batch committed (absent when it committed nothing new). */
  readonly tableVersion?: number;
}

export interface WriteBatchOptions {
  readonly batchId: number;
  /** append: streaming batches; overwrite: a materialized view's complete recompute. */
  readonly mode: 'append' | 'overwrite';
  /** Where the rows came from (quarantine `_source`). */
  readonly source: string;
  readonly sourceFiles: number;
  /** Expectation results of views read by this batch (see viewExpectationBinder). */
  readonly views?: readonly ViewQuality[];
  /** Remembers the query's output columns across batches of the same shape (see {@link ColumnsCache}). */
  readonly columns?: { readonly cache: ColumnsCache; readonly shape: string };
}

/** Output columns of a query, as DuckDB names and types. */
export type QueryColumns = readonly { readonly name: string; readonly type: string }[];

/**
 * A flow's batch query output columns keyed by the shape of its inputs (see `LeafSqlOptions.onShape`):
 * batches whose inputs have the same columns and types produce the same output columns, so the
 * DESCRIBE (a full bind of the query) runs once per shape instead of once per batch. Should a
 * cached list ever be stale, the write fails its column check before anything is written; the
 * writer then describes afresh and retries once.
 */
export type ColumnsCache = Map<string, QueryColumns>;

/** The automatically managed quarantine table of a dataset. */
export function quarantineDataset(d: Dataset): Dataset {
  return {
    kind: 'streaming_table',
    name: `${d.name}_quarantine`,
    ...(d.schema !== undefined ? { schema: d.schema } : {}),
    comment: `Rows of ${d.name} that failed an ON VIOLATION QUARANTINE expectation`,
    properties: { 'sluice.quarantineOf': d.name },
    partitionBy: [],
    clusterBy: [],
    expectations: [],
    private: false,
    language: d.language,
  };
}

export function quarantineTablePath(targetPath: string, d: Dataset): string {
  return join(targetPath, '..', `${d.name}_quarantine`);
}

const expectationCache = new WeakMap<Dataset, Promise<CompiledExpectation[]>>();

function compiledFor(d: Dataset): Promise<CompiledExpectation[]> {
  let c = expectationCache.get(d);
  if (!c) {
    c = compileExpectations(d);
    expectationCache.set(d, c);
  }
  return c;
}

/** Expectation results of the views a batch read (evaluated where the view is read). */
export interface ViewQuality {
  readonly view: string;
  /** The temp table holding the view's evaluated rows for this batch. */
  readonly table: string;
  readonly droppedRows: number;
  readonly quarantinedRows: number;
  readonly metrics: readonly ExpectationMetrics[];
}

/**
 * A `viewSql` hook for `bindQuery`: evaluates a view's expectations on the rows the batch reads
 * through it (one pass, materialized on the flow's connection), writes its quarantined rows to
 * `<view>_quarantine` under the flow's txn (skipped when already committed), and binds the view
 * to the rows it keeps. Metrics are reported under the view's name.
 */
export function viewExpectationBinder(
  pf: FlowPlan,
  conn: DuckDBConnection,
  cp: FlowCheckpoint,
  batch: { readonly batchId: number; readonly source: string },
  collected: ViewQuality[],
): (view: Dataset, key: string, sql: string) => Promise<string> {
  return async (view, key, sql) => {
    const exps = await compiledFor(view);
    if (exps.length === 0) return sql;
    const table = `__sluice_view_${key.replaceAll('/', '_')}`;
    const ev = await evaluateExpectations(conn, sql, exps, table);
    if (exps.some((e) => e.expectation.action === 'quarantine')) {
      const qPath = quarantineTablePath(cp.tablePath, view);
      if (((await store.txnVersion(qPath, cp.appId)) ?? -1) < batch.batchId) {
        await writeAndCommit(
          conn,
          qPath,
          quarantineDataset(view),
          quarantinedRowsSql(exps, batch.batchId, batch.source, table),
          {
            mode: 'append',
            appId: cp.appId,
            batchId: batch.batchId,
            flow: pf.flow.name,
          },
        );
      }
    }
    collected.push({
      view: view.name,
      table,
      droppedRows: ev.droppedRows,
      quarantinedRows: ev.quarantinedRows,
      metrics: ev.metrics,
    });
    return keptRowsSql(exps, table);
  };
}

/**
 * Writes one batch (the rows of `sql`, bound on `conn`) to the flow's target in one Delta
 * commit carrying `txn {appId, batchId}`; quarantined rows go to `<target>_quarantine` in a
 * commit with the same txn, made first. Each commit is skipped when its txn is already in the
 * table, so replaying a batch after a crash between the two commits neither loses nor
 * duplicates rows. FAIL UPDATE violations throw before anything is written.
 */
export async function writeBatch(
  _ctx: UpdateContext,
  pf: FlowPlan,
  conn: DuckDBConnection,
  cp: FlowCheckpoint,
  sql: string,
  opts: WriteBatchOptions,
): Promise<BatchOutcome> {
  const exps = await compiledFor(pf.target);
  const views = opts.views ?? [];
  try {
    return await writeBatchRows({ pf, conn, cp, sql, opts, exps, views });
  } finally {
    // Materialized batches live until dropped: free them before the next batch (memory stays
    // bounded by one batch per running flow).
    for (const t of [BATCH_TABLE, ...views.map((v) => v.table)]) {
      await conn.run(`DROP TABLE IF EXISTS ${t}`).catch(() => {});
    }
  }
}

/** One batch on its way to the target: what `writeBatch` was given, expectations compiled. */
interface BatchWrite {
  readonly pf: FlowPlan;
  readonly conn: DuckDBConnection;
  readonly cp: FlowCheckpoint;
  readonly sql: string;
  readonly opts: WriteBatchOptions;
  readonly exps: readonly CompiledExpectation[];
  readonly views: readonly ViewQuality[];
}

/** Whether some expectation can take rows out of the target (anything but warn). */
const removesRows = (exps: readonly CompiledExpectation[]) =>
  exps.some((e) => e.expectation.action !== 'warn');

async function writeBatchRows(b: BatchWrite): Promise<BatchOutcome> {
  // When rows can be removed, the counts come first, then the writes. A repeatable query is
  // read again for each of them, all in one transaction (so current_timestamp() is one value
  // throughout); anything else is materialized once.
  const transaction = removesRows(b.exps) && isRepeatable(b.sql, b.exps);
  if (!transaction) return routeAndWrite(b, false);
  await b.conn.run('BEGIN TRANSACTION');
  try {
    const outcome = await routeAndWrite(b, true);
    await b.conn.run('COMMIT');
    return outcome;
  } catch (e) {
    await b.conn.run('ROLLBACK').catch(() => {});
    throw e;
  }
}

/** Routes and writes a batch; `streaming`: inside writeBatchRows' transaction, nothing materialized. */
async function routeAndWrite(b: BatchWrite, streaming: boolean): Promise<BatchOutcome> {
  const { pf, conn, cp, sql, opts, exps, views } = b;
  const routed = removesRows(exps);
  // Warn-only expectations remove no row: write straight from the query and count the failures
  // over the files just written (columnar, cheap) instead of materializing the batch first.
  const warnOnly = exps.length > 0 && !routed;
  let dataSql = sql;
  let evaluation: ExpectationEvaluation | undefined;
  if (routed) {
    const ev = await evaluateExpectations(conn, sql, exps, BATCH_TABLE, { materialize: !streaming });
    evaluation = ev;
    dataSql = keptRowsSql(exps, ev.rows);
    if (exps.some((e) => e.expectation.action === 'quarantine')) {
      const qd = quarantineDataset(pf.target);
      const qPath = quarantineTablePath(cp.tablePath, pf.target);
      const done = ((await store.txnVersion(qPath, cp.appId)) ?? -1) >= opts.batchId;
      if (!done) {
        await writeAndCommit(conn, qPath, qd, quarantinedRowsSql(exps, opts.batchId, opts.source, ev.rows), {
          mode: opts.mode,
          appId: cp.appId,
          batchId: opts.batchId,
          flow: pf.flow.name,
        });
      }
    }
  }

  const committed = ((await store.txnVersion(cp.tablePath, cp.appId)) ?? -1) >= opts.batchId;
  let written = { rows: 0, bytes: 0, version: undefined as number | undefined };
  if (!committed) {
    written = await writeAndCommit(conn, cp.tablePath, pf.target, dataSql, {
      ...(opts.columns ? { columns: opts.columns } : {}),
      mode: opts.mode,
      appId: cp.appId,
      batchId: opts.batchId,
      flow: pf.flow.name,
      dataQuality: async (written) => {
        if (warnOnly) evaluation = await countExpectations(conn, written, exps);
        if (!evaluation && views.length === 0) return undefined;
        return {
          ...(evaluation ? { input_records: evaluation.inputRows } : {}),
          dropped_records: (evaluation?.droppedRows ?? 0) + views.reduce((n, v) => n + v.droppedRows, 0),
          quarantined_records:
            (evaluation?.quarantinedRows ?? 0) + views.reduce((n, v) => n + v.quarantinedRows, 0),
          expectations: [...(evaluation?.metrics ?? []), ...views.flatMap((v) => v.metrics)].map((m) => ({
            name: m.name,
            dataset: m.dataset,
            passed_records: m.passed_records,
            failed_records: m.failed_records,
          })),
        };
      },
    });
  }
  const outputRows = evaluation ? evaluation.keptRows : written.rows;
  return {
    inputRows: evaluation ? evaluation.inputRows : written.rows,
    outputRows,
    outputBytes: written.bytes,
    files: opts.sourceFiles,
    droppedRows: (evaluation?.droppedRows ?? 0) + views.reduce((n, v) => n + v.droppedRows, 0),
    quarantinedRows: (evaluation?.quarantinedRows ?? 0) + views.reduce((n, v) => n + v.quarantinedRows, 0),
    expectations: [...(evaluation?.metrics ?? []), ...views.flatMap((v) => v.metrics)],
    ...(written.version !== undefined ? { tableVersion: written.version } : {}),
  };
}

async function writeAndCommit(
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
  },
): Promise<{ rows: number; bytes: number; version: number }> {
  const replaceSchema = opts.mode === 'overwrite';
  const cached = opts.columns?.cache.get(opts.columns.shape);
  let columns: QueryColumns = cached ?? (await store.describe(conn, sql));
  let prepared = await store.prepareTable(path, dataset, columns, { replaceSchema });
  let adds: Awaited<ReturnType<typeof store.writeFiles>>;
  try {
    adds = await store.writeFiles(conn, path, sql, prepared.layout, columns);
  } catch (e) {
    if (cached === undefined) throw e;
    // The cached columns may be stale (a query whose columns depend on the data): describe afresh.
    const fresh = await store.describe(conn, sql);
    if (JSON.stringify(fresh) === JSON.stringify(cached)) throw e;
    columns = fresh;
    prepared = await store.prepareTable(path, dataset, columns, { replaceSchema });
    adds = await store.writeFiles(conn, path, sql, prepared.layout, columns);
  }
  if (opts.columns && cached !== columns) opts.columns.cache.set(opts.columns.shape, columns);
  const dataQuality = await opts.dataQuality?.(store.scanWrittenSql(path, prepared.layout, adds));
  const removes = opts.mode === 'overwrite' ? store.removeAll(prepared.snapshot) : [];
  const rows = adds.reduce((n, a) => n + store.numRecords(a), 0);
  const bytes = adds.reduce((n, a) => n + a.size, 0);
  const version = await store.commit(
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
  if (version === undefined) {
    throw new SluiceError('INTERNAL', `commit to ${path} returned no version`);
  }
  return { rows, bytes, version };
}
