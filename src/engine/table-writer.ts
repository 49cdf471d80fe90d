import { join } from 'node:path';
import { SluiceError } from '../errors/index.ts';
import type { Dataset } from '../model/index.ts';
import type { DuckDBConnection } from '../util/duckdb.ts';
import type { UpdateContext } from './context.ts';
import {
  type CompiledExpectation,
  compileExpectations,
  evaluateExpectations,
  keptRowsSql,
  quarantinedRowsSql,
} from './expectations.ts';
import type { FlowCheckpoint } from './flow-checkpoint.ts';
import type { PlannedFlow } from './plan.ts';
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
}

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

/**
 * Writes one batch (the rows of `sql`, bound on `conn`) to the flow's target in one Delta
 * commit carrying `txn {appId, batchId}`; quarantined rows go to `<target>_quarantine` in a
 * commit with the same txn, made first. Each commit is skipped when its txn is already in the
 * table, so replaying a batch after a crash between the two commits neither loses nor
 * duplicates rows. FAIL UPDATE violations throw before anything is written.
 */
export async function writeBatch(
  ctx: UpdateContext,
  pf: PlannedFlow,
  conn: DuckDBConnection,
  cp: FlowCheckpoint,
  sql: string,
  opts: WriteBatchOptions,
): Promise<BatchOutcome> {
  let compiled = expectationCache.get(pf.target);
  if (!compiled) expectationCache.set(pf.target, (compiled = compileExpectations(pf.target)));
  const exps = await compiled;

  let dataSql = sql;
  let evaluation: Awaited<ReturnType<typeof evaluateExpectations>> | undefined;
  if (exps.length > 0) {
    evaluation = await evaluateExpectations(conn, sql, exps);
    dataSql = keptRowsSql(exps);
    if (exps.some((e) => e.expectation.action === 'quarantine')) {
      const qd = quarantineDataset(pf.target);
      const qPath = quarantineTablePath(cp.tablePath, pf.target);
      const done = ((await store.txnVersion(qPath, cp.appId)) ?? -1) >= opts.batchId;
      if (!done) {
        await writeAndCommit(conn, qPath, qd, quarantinedRowsSql(exps, opts.batchId, opts.source), {
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
      mode: opts.mode,
      appId: cp.appId,
      batchId: opts.batchId,
      flow: pf.flow.name,
      ...(evaluation
        ? {
            dataQuality: {
              input_records: evaluation.inputRows,
              dropped_records: evaluation.droppedRows,
              quarantined_records: evaluation.quarantinedRows,
              expectations: evaluation.metrics.map((m) => ({
                name: m.name,
                dataset: m.dataset,
                passed_records: m.passed_records,
                failed_records: m.failed_records,
              })),
            },
          }
        : {}),
    });
  }
  const outputRows = evaluation ? evaluation.keptRows : written.rows;
  return {
    inputRows: evaluation ? evaluation.inputRows : written.rows,
    outputRows,
    outputBytes: written.bytes,
    files: opts.sourceFiles,
    droppedRows: evaluation?.droppedRows ?? 0,
    quarantinedRows: evaluation?.quarantinedRows ?? 0,
    expectations: evaluation?.metrics ?? [],
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
    readonly dataQuality?: Readonly<Record<string, unknown>>;
  },
): Promise<{ rows: number; bytes: number; version: number }> {
  const columns = await store.describe(conn, sql);
  const prepared = await store.prepareTable(path, dataset, columns, { replaceSchema: opts.mode === 'overwrite' });
  const adds = await store.writeFiles(conn, path, sql, prepared.layout);
  const removes = opts.mode === 'overwrite' ? store.removeAll(prepared.snapshot) : [];
  const rows = adds.reduce((n, a) => n + store.numRecords(a), 0);
  const bytes = adds.reduce((n, a) => n + a.size, 0);
  const version = await store.commit(path, [...prepared.metadataActions, ...removes, ...adds.map((add) => ({ add }))], {
    readVersion: prepared.snapshot.version,
    operation: opts.mode === 'append' ? 'STREAMING UPDATE' : 'WRITE',
    operationParameters:
      opts.mode === 'append'
        ? { outputMode: 'Append', queryId: opts.appId, epochId: String(opts.batchId) }
        : { mode: 'Overwrite' },
    operationMetrics: { numFiles: String(adds.length), numOutputRows: String(rows), numOutputBytes: String(bytes) },
    isBlindAppend: opts.mode === 'append' && prepared.metadataActions.length === 0,
    txn: { appId: opts.appId, version: opts.batchId },
    // The batch's data-quality counts travel in the same atomic commit as its rows, so totals
    // summed over a table's history are exact across crashes and replays.
    commitInfo: { sluice: { flow: opts.flow, batchId: opts.batchId, ...(opts.dataQuality ? { dataQuality: opts.dataQuality } : {}) } },
  });
  if (version === undefined) {
    throw new SluiceError('INTERNAL', `commit to ${path} returned no version`);
  }
  return { rows, bytes, version };
}
