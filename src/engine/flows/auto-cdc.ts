import type { FlowPlan } from '../../graph/index.ts';
import { type Dataset, tombstoneRetentionSeconds } from '../../model/index.ts';
import { cdcStateFolder } from '../../storage/index.ts';
import type { FlowCheckpoint } from '../checkpoints/flow-checkpoint.ts';
import type { BatchOffset } from '../checkpoints/offsets.ts';
import { bindQuery } from '../sources/bind-query.ts';
import { skippedFileWarning } from '../sources/files.ts';
import { explainLeafReadError, leafSql } from '../sources/leaf-sql.ts';
import type { BatchOutcome } from '../writing/batch-outcome.ts';
import { applyCdcBatch, type CdcTables } from '../writing/cdc-apply.ts';
import { skipsChangeCommits } from './batch-planning.ts';
import type { FlowRun } from './flow-execution.ts';
import { StreamingAppendExecutor } from './streaming-append.ts';

/**
 * An AUTO CDC flow: micro-batches of change events, planned, recorded and replayed exactly as a
 * streaming append flow's, each applied to the target as row-level changes (see
 * `writing/cdc-apply.ts`). The flow's per-key state (applied sequences and delete tombstones) is
 * a Delta table in the flow's checkpoint folder for the target's reset generation, so a full
 * refresh starts it over with the target.
 */
export class AutoCdcExecutor extends StreamingAppendExecutor {
  /** A batch counts as committed once its state table commit (made after the target's) landed. */
  protected override async committedBatch(run: FlowRun, checkpoint: FlowCheckpoint): Promise<number> {
    const state =
      (await run.ctx.tables.txnVersion(cdcTables(run, checkpoint).state.path, checkpoint.appId)) ?? -1;
    return Math.min(state, checkpoint.committed);
  }

  protected override async runBatch(
    run: FlowRun,
    checkpoint: FlowCheckpoint,
    offset: BatchOffset,
  ): Promise<BatchOutcome> {
    const { ctx, flow, conn } = run;
    const cdc = flow.flow.cdc!;
    try {
      const sql = await bindQuery(
        flow.bound,
        (leaf) =>
          leafSql(ctx, leaf, offset.sources[leaf.key], {
            skipChangeCommits: skipsChangeCommits(flow),
            onShape: () => {},
            onSkipped: (path, error) => ctx.warn(flow, skippedFileWarning(path, error, ctx.root)),
          }),
        undefined,
        { sql: ctx.sql, conn },
      );
      const out = await applyCdcBatch(ctx.tables, conn, cdcTables(run, checkpoint), sql, {
        flow: flow.flow.name,
        appId: checkpoint.appId,
        batchId: offset.batchId,
        cdc,
        plannedAtMs: Date.parse(offset.plannedAt),
        tombstoneRetentionMs: tombstoneRetentionSeconds(flow.target) * 1000,
      });
      return {
        inputRows: out.inputRows,
        outputRows: out.upsertedRows + out.deletedRows,
        outputBytes: out.outputBytes,
        files: 0,
        droppedRows: 0,
        quarantinedRows: 0,
        expectations: [],
        cdc: { upsertedRows: out.upsertedRows, deletedRows: out.deletedRows },
        ...(out.tableVersion !== undefined ? { tableVersion: out.tableVersion } : {}),
      };
    } catch (e) {
      throw await explainLeafReadError(ctx, flow.leaves, offset.sources, e);
    }
  }
}

/** The target and the flow's state table (see the class comment). */
function cdcTables(run: FlowRun, checkpoint: FlowCheckpoint): CdcTables {
  const f: FlowPlan = run.flow;
  const state: Dataset = Object.freeze({
    kind: 'streaming_table',
    name: `${f.flow.name}_cdc_state`,
    properties: Object.freeze({}),
    partitionBy: Object.freeze([]),
    clusterBy: Object.freeze([]),
    expectations: Object.freeze([]),
    private: true,
    language: f.flow.language,
  });
  return {
    target: { path: checkpoint.tablePath, dataset: f.target },
    state: {
      path: cdcStateFolder(run.ctx.storage, f.flow.name, checkpoint.generation),
      dataset: state,
    },
  };
}
