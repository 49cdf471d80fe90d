import type { FlowPlan } from '../../graph/index.ts';
import type { DuckDBConnection } from '../../util/index.ts';
import type { FlowCheckpoint } from '../checkpoints/flow-checkpoint.ts';
import { assertColumnNames } from '../tables/column-names.ts';
import type { QueryColumns } from '../tables/prepare-table.ts';
import type { UpdateContext } from '../update/update-context.ts';
import type { BatchOutcome } from './batch-outcome.ts';
import { type ColumnsCache, commitRows } from './commit-rows.ts';
import {
  BATCH_TABLE,
  type CompiledExpectation,
  countExpectations,
  type ExpectationEvaluation,
  evaluateExpectations,
  isRepeatable,
  keptRowsSql,
  quarantinedRowsSql,
} from './expectations.ts';
import { quarantineDataset, quarantineTablePath, type ViewQuality } from './quarantine.ts';

export type { ColumnsCache };

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
  /**
   * The SQL of the relations the query reads (its leaves), when `sql` is the flow's bound query:
   * what names they produce (see assertColumnNames).
   */
  readonly inputs?: readonly string[];
  /**
   * Awaited after the target's files are written, just before its commit (e.g. a stateful
   * flow's state, published while the files were written: durable before the commit).
   */
  readonly beforeCommit?: () => Promise<void>;
}

/**
 * Writes one batch (the rows of `sql`, bound on `conn`) to the flow's target in one Delta
 * commit carrying `txn {appId, batchId}`; quarantined rows go to `<target>_quarantine` in a
 * commit with the same txn, made first. Each commit is skipped when its txn is already in the
 * table, so replaying a batch after a crash between the two commits neither loses nor
 * duplicates rows. FAIL UPDATE violations throw before anything is written.
 */
export async function writeBatch(
  ctx: UpdateContext,
  flow: FlowPlan,
  conn: DuckDBConnection,
  checkpoint: FlowCheckpoint,
  sql: string,
  opts: WriteBatchOptions,
): Promise<BatchOutcome> {
  // Names Delta refuses are refused before anything (a quarantine table too) is written; checked
  // once per input shape, as the write describes its columns (see ColumnsCache).
  // The columns it describes are the write's (no duplicate left to name apart): not described twice.
  const described = opts.columns?.cache.has(opts.columns.shape)
    ? undefined
    : await assertColumnNames(conn, flow, sql, opts.inputs);
  const exps = await ctx.expectations.of(flow.target, flow.flow.query.outputColumns, flow.flow.query.legacy);
  const views = opts.views ?? [];
  try {
    return await writeBatchRows({ ctx, flow, conn, checkpoint, sql, opts, exps, views, described });
  } finally {
    // Materialized batches live until dropped: free them before the next batch (memory stays
    // bounded by one batch per running flow). Only expectations that remove rows materialize one.
    const batch = removesRows(exps) ? [BATCH_TABLE] : [];
    for (const t of [...batch, ...views.map((v) => v.table)]) {
      await conn.run(`DROP TABLE IF EXISTS ${t}`).catch(() => {});
    }
  }
}

/** One batch on its way to the target: what `writeBatch` was given, expectations compiled. */
interface BatchWrite {
  readonly ctx: UpdateContext;
  readonly flow: FlowPlan;
  readonly conn: DuckDBConnection;
  readonly checkpoint: FlowCheckpoint;
  readonly sql: string;
  readonly opts: WriteBatchOptions;
  readonly exps: readonly CompiledExpectation[];
  readonly views: readonly ViewQuality[];
  /** The query's output columns, when the name check just described them. */
  readonly described: QueryColumns | undefined;
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
  const { ctx, flow, conn, checkpoint, sql, opts, exps, views, described } = b;
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
      const qd = quarantineDataset(flow.target);
      const qPath = quarantineTablePath(ctx.storage, flow.target);
      const done = ((await ctx.tables.txnVersion(qPath, checkpoint.appId)) ?? -1) >= opts.batchId;
      if (!done) {
        await commitRows(
          ctx.tables,
          conn,
          qPath,
          qd,
          quarantinedRowsSql(exps, opts.batchId, opts.source, ev.rows),
          {
            mode: opts.mode,
            appId: checkpoint.appId,
            batchId: opts.batchId,
            flow: flow.flow.name,
          },
        );
      }
    }
  }

  const committed =
    ((await ctx.tables.txnVersion(checkpoint.tablePath, checkpoint.appId)) ?? -1) >= opts.batchId;
  let written = { rows: 0, bytes: 0, version: undefined as number | undefined };
  if (!committed) {
    written = await commitRows(ctx.tables, conn, checkpoint.tablePath, flow.target, dataSql, {
      ...(opts.columns ? { columns: opts.columns } : {}),
      ...(described ? { described } : {}),
      ...(opts.beforeCommit ? { beforeCommit: opts.beforeCommit } : {}),
      mode: opts.mode,
      appId: checkpoint.appId,
      batchId: opts.batchId,
      flow: flow.flow.name,
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
