import { SluiceError } from '../../errors/index.ts';
import type { FlowPlan } from '../../graph/index.ts';
import { crashPoint } from '../../util/index.ts';
import { type FlowCheckpoint, openFlowCheckpoint } from '../checkpoints/flow-checkpoint.ts';
import type { BatchOffset } from '../checkpoints/offsets.ts';
import { bindQuery } from '../sources/bind-query.ts';
import { skippedFileWarning } from '../sources/files.ts';
import { explainLeafReadError, leafSql } from '../sources/leaf-sql.ts';
import { addOutcome, type BatchOutcome, zeroOutcome } from '../writing/batch-outcome.ts';
import { applySnapshot } from '../writing/cdc-snapshot.ts';
import { snapshotSources } from './batch-planning.ts';
import type { FlowExecution, FlowExecutor, FlowRun } from './flow-execution.ts';
import { callSnapshotFunction, recordedVersion, snapshotQueryPlan } from './snapshot-function.ts';

/**
 * An AUTO CDC FROM SNAPSHOT flow: in each update whose source changed since the last snapshot
 * applied, its whole content is the next snapshot, numbered batch id + 1, and its difference from
 * the target is applied (see `writing/cdc-snapshot.ts`). The snapshot's inputs are pinned in the
 * offset log before anything is read, so a replay after a crash reads the same snapshot; a
 * snapshot whose txn the target holds is not applied twice.
 *
 * A source given as a function (`snapshot-function.ts`) is called with the version of the last
 * snapshot committed, and each snapshot it gives is applied in turn until it gives none; the
 * offset records the snapshot's query and version with its pinned inputs, so a crash replays
 * it as recorded and the next call gets the same version whether or not the process died.
 */
export class AutoCdcSnapshotExecutor implements FlowExecutor {
  async execute(run: FlowRun): Promise<FlowExecution> {
    const { ctx, flow, conn } = run;
    const checkpoint = await openFlowCheckpoint(ctx, flow);
    let totals = zeroOutcome();
    let batches = 0;
    const latest = await checkpoint.log.latest();
    // A snapshot planned but not applied (a crash) is applied first, as recorded.
    if (latest === undefined ? checkpoint.committed >= 0 : latest.batchId > checkpoint.committed) {
      if (latest === undefined || latest.batchId !== checkpoint.committed + 1) {
        throw new SluiceError(
          'FLOW_CHECKPOINT_INCONSISTENT',
          `flow '${flow.flow.name}' checkpoint is ahead of its table (snapshot ${latest?.batchId ?? 'none'} planned, ${checkpoint.committed} applied); run with --full-refresh ${flow.target.name}`,
          {
            dataset: flow.target.name,
            params: { planned: latest?.batchId ?? -1, committed: checkpoint.committed },
          },
        );
      }
      totals = addOutcome(totals, await this.apply(run, checkpoint, latest));
      batches++;
    }
    const fromFunction = flow.flow.snapshotCdc!.nextSnapshot !== undefined;
    if (latest !== undefined && (latest.snapshot !== undefined) !== fromFunction) {
      throw new SluiceError(
        'FLOW_CHECKPOINT_INCONSISTENT',
        `flow '${flow.flow.name}' took its snapshots from ${fromFunction ? 'a dataset' : 'a function'} and now from ${fromFunction ? 'a function' : 'a dataset'}; their versions do not continue each other — run with --full-refresh ${flow.target.name}`,
        { dataset: flow.target.name, params: { planned: latest.batchId, committed: checkpoint.committed } },
      );
    }
    if (fromFunction) {
      const polled = await this.poll(run, checkpoint, latest);
      totals = addOutcome(totals, polled.totals);
      batches += polled.batches;
      return { state: batches > 0 ? 'COMPLETED' : 'IDLE', totals, batches };
    }
    const sources = await snapshotSources(ctx, flow, conn);
    const absent = Object.values(sources).some((s) => s.kind === 'table-snapshot' && s.version === null);
    const previous = latest;
    if (!absent && JSON.stringify(previous?.sources) !== JSON.stringify(sources)) {
      const offset: BatchOffset = {
        batchId: (previous?.batchId ?? -1) + 1,
        plannedAt: new Date().toISOString(),
        sources,
      };
      await checkpoint.log.write(offset);
      crashPoint('offset-written', flow.flow.name);
      totals = addOutcome(totals, await this.apply(run, checkpoint, offset));
      batches++;
      await checkpoint.log.pruneBefore(offset.batchId);
    }
    return { state: batches > 0 ? 'COMPLETED' : 'IDLE', totals, batches };
  }

  /**
   * A function source: calls it with the last committed snapshot's version and applies each
   * snapshot it gives, recorded in the offset log first, until it gives none (or the update
   * stops). `last` is the offset of the last snapshot committed.
   */
  private async poll(
    run: FlowRun,
    checkpoint: FlowCheckpoint,
    last: BatchOffset | undefined,
  ): Promise<{ totals: BatchOutcome; batches: number }> {
    const { ctx, flow, conn } = run;
    let totals = zeroOutcome();
    let batches = 0;
    while (!ctx.signal?.aborted) {
      const next = await callSnapshotFunction(ctx, flow, last?.snapshot);
      if (next === undefined) break;
      const plan = await snapshotQueryPlan(ctx, flow, next.sql);
      const offset: BatchOffset = {
        batchId: (last?.batchId ?? -1) + 1,
        plannedAt: new Date().toISOString(),
        sources: await snapshotSources(ctx, plan, conn),
        snapshot: next.offset,
      };
      await checkpoint.log.write(offset);
      crashPoint('offset-written', flow.flow.name);
      totals = addOutcome(totals, await this.apply(run, checkpoint, offset, plan));
      batches++;
      await checkpoint.log.pruneBefore(offset.batchId);
      last = offset;
    }
    return { totals, batches };
  }

  /**
   * Applies the snapshot `offset` records. A function's snapshot is read through its recorded
   * query (`plan`, compiled from it when not given) and numbered by its recorded version.
   */
  private async apply(
    run: FlowRun,
    checkpoint: FlowCheckpoint,
    offset: BatchOffset,
    plan?: FlowPlan,
  ): Promise<BatchOutcome> {
    const { ctx, conn } = run;
    const flow =
      plan ?? (offset.snapshot ? await snapshotQueryPlan(ctx, run.flow, offset.snapshot.sql) : run.flow);
    try {
      const sql = await bindQuery(
        flow.bound,
        (leaf) =>
          leafSql(ctx, leaf, offset.sources[leaf.key], {
            skipChangeCommits: false,
            onShape: () => {},
            onSkipped: (path, error) => ctx.warn(flow, skippedFileWarning(path, error, ctx.root)),
          }),
        undefined,
        { sql: ctx.sql, conn },
      );
      const out = await applySnapshot(
        ctx.tables,
        conn,
        { path: checkpoint.tablePath, dataset: flow.target },
        sql,
        {
          flow: flow.flow.name,
          appId: checkpoint.appId,
          batchId: offset.batchId,
          version: offset.snapshot ? recordedVersion(offset.snapshot) : offset.batchId + 1,
          cdc: flow.flow.snapshotCdc!,
        },
      );
      const outcome: BatchOutcome = {
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
      await run.onBatch(offset.batchId, outcome);
      return outcome;
    } catch (e) {
      throw await explainLeafReadError(ctx, flow.leaves, offset.sources, e);
    }
  }
}
