import { SluiceError } from '../../errors/index.ts';
import { crashPoint } from '../../util/index.ts';
import { openFlowCheckpoint } from '../checkpoints/flow-checkpoint.ts';
import { addOutcome, zeroOutcome } from '../writing/batch-outcome.ts';
import { newStreamProgress, planStreamingBatch, rememberBatch } from './batch-planning.ts';
import type { FlowExecution, FlowExecutor, FlowRun } from './flow-execution.ts';
import { columnsCacheFor, executeMicroBatch } from './micro-batch.ts';

/**
 * A streaming table's append flow: micro-batches until its sources have nothing new.
 * Per batch: plan the source range → write it to the offset log → bind → transform → check
 * expectations → write Parquet → one Delta commit with the files and `txn {appId, batchId}`.
 * A batch planned but not committed (crash, FAIL UPDATE) is replayed first, as recorded.
 */
export class StreamingAppendExecutor implements FlowExecutor {
  async execute({ ctx, flow, conn, onBatch }: FlowRun): Promise<FlowExecution> {
    const checkpoint = await openFlowCheckpoint(ctx, flow);
    let committed = checkpoint.committed;
    const progress = newStreamProgress();
    for (const o of await checkpoint.log.readAll(committed)) rememberBatch(progress, o);

    let pending = await checkpoint.log.latest();
    if (pending && pending.batchId <= committed) pending = undefined;
    if (pending && pending.batchId !== committed + 1) {
      throw new SluiceError(
        'FLOW_EXECUTION_FAILED',
        `flow '${flow.flow.name}' checkpoint is ahead of its table (batch ${pending.batchId} planned, ${committed} committed); run with --full-refresh ${flow.target.name}`,
        { dataset: flow.target.name, params: { planned: pending.batchId, committed } },
      );
    }

    let batches = 0;
    let totals = zeroOutcome();
    const columns = columnsCacheFor(flow);
    for (;;) {
      if (ctx.signal?.aborted) return { state: 'STOPPED', totals, batches };
      const replay = pending !== undefined;
      const offset = pending ?? (await planStreamingBatch(ctx, flow, conn, committed + 1, progress));
      pending = undefined;
      if (!offset) break;
      if (!replay) await checkpoint.log.write(offset);
      crashPoint('offset-written', flow.flow.name);
      const outcome = await executeMicroBatch(ctx, flow, conn, checkpoint, offset, columns);
      committed = offset.batchId;
      rememberBatch(progress, offset);
      batches++;
      totals = addOutcome(totals, outcome);
      await onBatch(offset.batchId, outcome);
    }
    return { state: batches > 0 ? 'COMPLETED' : 'IDLE', totals, batches };
  }
}
