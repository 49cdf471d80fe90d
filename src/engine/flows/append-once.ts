import { crashPoint } from '../../util/index.ts';
import { openFlowCheckpoint } from '../checkpoints/flow-checkpoint.ts';
import type { BatchOffset, SourceOffset } from '../checkpoints/offsets.ts';
import { zeroOutcome } from '../writing/batch-outcome.ts';
import { snapshotSources } from './batch-planning.ts';
import type { FlowExecution, FlowExecutor, FlowRun } from './flow-execution.ts';
import { columnsCacheFor, executeMicroBatch } from './micro-batch.ts';

/**
 * A one-time append flow (`INSERT INTO ONCE …`, `appendFlow({ once: true })`, a backfill): its
 * query runs once per reset of the target, as batch 0 — every input read as it is at that
 * moment (a streaming input from its beginning) — and the flow is IDLE in every later update
 * until a full refresh of the target starts it over. The batch is planned and committed like a
 * micro-batch (offset written first, txn in the commit), so a crash replays exactly it.
 */
export class AppendOnceExecutor implements FlowExecutor {
  async execute({ ctx, flow, conn, onBatch }: FlowRun): Promise<FlowExecution> {
    const idle: FlowExecution = { state: 'IDLE', totals: zeroOutcome(), batches: 0 };
    const checkpoint = await openFlowCheckpoint(ctx, flow);
    if (checkpoint.committed >= 0) return idle;
    let offset = await checkpoint.log.latest();
    if (offset?.batchId !== 0) {
      const sources = await snapshotSources(ctx, flow, conn);
      // An input table that does not exist yet has nothing to give: wait for it rather than
      // spend the one run on nothing.
      if (Object.values(sources).some((s) => s.kind === 'table-snapshot' && s.version === null)) return idle;
      offset = { batchId: 0, plannedAt: new Date().toISOString(), sources: readAsOnce(flow.leaves, sources) };
      await checkpoint.log.write(offset);
      crashPoint('offset-written', flow.flow.name);
    }
    const outcome = await executeMicroBatch(ctx, flow, conn, checkpoint, offset, columnsCacheFor(flow));
    await onBatch(0, outcome);
    return { state: 'COMPLETED', totals: outcome, batches: 1 };
  }
}

/** Streaming leaves read everything up to now (a stream from its start); batch leaves as they are. */
function readAsOnce(
  leaves: FlowRun['flow']['leaves'],
  sources: Record<string, SourceOffset>,
): BatchOffset['sources'] {
  const out: Record<string, SourceOffset> = {};
  for (const leaf of leaves) {
    const s = sources[leaf.key]!;
    if (leaf.streaming && s.kind === 'table-snapshot' && s.version !== null) {
      out[leaf.key] = { kind: 'table-stream', dataset: s.dataset, fromVersion: -1, toVersion: s.version };
    } else if (leaf.streaming && s.kind === 'files-snapshot') {
      out[leaf.key] = { kind: 'files', files: s.files, schema: s.schema };
    } else {
      out[leaf.key] = s;
    }
  }
  return out;
}
