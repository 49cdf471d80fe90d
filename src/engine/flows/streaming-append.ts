import { relative } from 'node:path';
import { SluiceError } from '../../errors/index.ts';
import type { FlowPlan } from '../../graph/index.ts';
import { crashPoint, type DuckDBConnection } from '../../util/index.ts';
import { type FlowCheckpoint, openFlowCheckpoint } from '../checkpoints/flow-checkpoint.ts';
import type { BatchOffset } from '../checkpoints/offsets.ts';
import type { UpdateContext } from '../update/update-context.ts';
import { addOutcome, type BatchOutcome, zeroOutcome } from '../writing/batch-outcome.ts';
import type { ColumnsCache } from '../writing/batch-writer.ts';
import { mergeOffsets, newStreamProgress, planStreamingBatch, rememberBatch } from './batch-planning.ts';
import type { FlowExecution, FlowExecutor, FlowRun } from './flow-execution.ts';
import { columnsCacheFor, executeMicroBatch } from './micro-batch.ts';

/** Committed batches between two compactions of a flow's offset log (Spark keeps 100). */
export const COMPACT_EVERY = 100;

/**
 * A streaming table's append flow: micro-batches until its sources have nothing new.
 * Per batch: plan the source range → write it to the offset log → bind → transform → check
 * expectations → write Parquet → one Delta commit with the files and `txn {appId, batchId}`.
 * A batch planned but not committed (crash, FAIL UPDATE) is replayed first, as recorded.
 */
export class StreamingAppendExecutor implements FlowExecutor {
  /** The last batch entirely committed (a kind writing several tables may lag the target's txn). */
  protected async committedBatch(_run: FlowRun, checkpoint: FlowCheckpoint): Promise<number> {
    return checkpoint.committed;
  }

  /** Runs one planned batch exactly as its offset records it. */
  protected runBatch(
    { ctx, flow, conn }: FlowRun,
    checkpoint: FlowCheckpoint,
    offset: BatchOffset,
    columns: ColumnsCache | undefined,
  ): Promise<BatchOutcome> {
    return executeMicroBatch(ctx, flow, conn, checkpoint, offset, columns);
  }

  execute(run: FlowRun): Promise<FlowExecution> {
    const columns = columnsCacheFor(run.flow);
    return runMicroBatches(
      run,
      (checkpoint, offset) => this.runBatch(run, checkpoint, offset, columns),
      (checkpoint) => this.committedBatch(run, checkpoint),
    );
  }
}

/**
 * Plans the batch after `current` while `current` runs, on `conn` (a connection of the flow's
 * own, not the one `current` runs on): the loop then runs that plan next instead of planning
 * again. The plan is logged only when its turn comes, after `current` committed, and before
 * anything it read becomes durable — so a batch may read its input before its offset is written,
 * but nothing derived from that read outlives a crash unless the offset was written first.
 * Undefined when nothing new is planned (or the update is stopping).
 */
export type Lookahead = (current: BatchOffset, conn: DuckDBConnection) => Promise<BatchOffset | undefined>;

/**
 * Several planned batches run as one group (a streaming aggregation's fused catch-up, see
 * fused-aggregate.ts). `fits` bounds a group while it is planned (`next` joins `group` or
 * waits for the next group); `run` executes a group whose offsets are all logged — exactly as
 * the batches one after another would, committing so that after a crash anywhere the batches
 * not committed are replayed from the same offsets — and hands each batch's outcome to
 * `committed`, in batch order, once the batch is committed.
 */
export interface BatchGroups {
  fits(group: readonly BatchOffset[], next: BatchOffset): boolean;
  run(
    checkpoint: FlowCheckpoint,
    offsets: readonly BatchOffset[],
    committed: (offset: BatchOffset, outcome: BatchOutcome) => Promise<void>,
  ): Promise<void>;
}

/**
 * The micro-batch loop every streaming kind shares: replays the planned-but-uncommitted batches
 * first, then plans, logs (before reading) and runs batches until the sources have nothing new;
 * `runBatch` reads and commits one batch under the flow's txn — it may plan the next batch early
 * (see {@link Lookahead}); `committedBatch` is the last batch entirely committed (a kind writing
 * several tables may lag the target's txn). With `groups`, consecutive batches ready at once are
 * planned (and logged) together and run as one group (see {@link BatchGroups}); a group logged
 * by an earlier run is replayed as a group, or one batch after another without `groups`.
 * Compacts the offset log.
 */
export async function runMicroBatches(
  { ctx, flow, conn, onBatch }: FlowRun,
  runBatch: (checkpoint: FlowCheckpoint, offset: BatchOffset, lookahead: Lookahead) => Promise<BatchOutcome>,
  committedBatch: (checkpoint: FlowCheckpoint) => Promise<number> = async (c) => c.committed,
  groups?: BatchGroups,
): Promise<FlowExecution> {
  const checkpoint = await openFlowCheckpoint(ctx, flow);
  await assertCheckpointMatchesTable(ctx, flow, checkpoint);
  let committed = await committedBatch(checkpoint);
  const progress = newStreamProgress();
  for (const o of await checkpoint.log.readAll(committed)) rememberBatch(progress, o);

  // Planned but not committed: replayed first, as logged (a group planned at once, in full).
  let pending: BatchOffset[] = [];
  const latest = await checkpoint.log.latest();
  if (latest && latest.batchId > committed) {
    let ids = (await checkpoint.log.batchIds()).filter((id) => id > committed);
    if (ids[0] !== committed + 1) {
      throw new SluiceError(
        'FLOW_CHECKPOINT_INCONSISTENT',
        `flow '${flow.flow.name}' checkpoint is ahead of its table (batch ${latest.batchId} planned, ${committed} committed); run with --full-refresh ${flow.target.name}`,
        { dataset: flow.target.name, params: { planned: latest.batchId, committed } },
      );
    }
    // A group's offsets are logged together (OffsetLog.writeAll): a power loss while they were
    // logged may have kept some of them with a gap between. Then none of the group was read (it
    // reads only once all are durable), so the batches after the gap are planned again.
    const gap = ids.findIndex((id, i) => id !== committed + 1 + i);
    if (gap > 0) {
      await checkpoint.log.remove(ids.slice(gap));
      ids = ids.slice(0, gap);
    }
    pending = await Promise.all(ids.map((id) => checkpoint.log.read(id)));
  }

  let batches = 0;
  let totals = zeroOutcome();
  // Only this loop compacts the log while it runs.
  let compacted = await checkpoint.log.compactedUpTo();
  // The next batch, when the running one planned it early (see Lookahead).
  let planned: { readonly after: number; readonly next: Promise<BatchOffset | undefined> } | undefined;
  const lookahead: Lookahead = (current, other) => {
    if (planned?.after !== current.batchId) {
      rememberBatch(progress, current);
      const next = ctx.signal?.aborted
        ? Promise.resolve(undefined)
        : planStreamingBatch(ctx, flow, other, current.batchId + 1, progress);
      next.catch(() => {});
      planned = { after: current.batchId, next };
    }
    return planned.next;
  };
  /** Plans the batches that join `first` in one group (none without `groups`). */
  const planGroup = async (first: BatchOffset): Promise<BatchOffset[]> => {
    const group = [first];
    if (!groups) return group;
    for (;;) {
      const last = group.at(-1)!;
      rememberBatch(progress, last);
      const next = ctx.signal?.aborted
        ? undefined
        : await planStreamingBatch(ctx, flow, conn, last.batchId + 1, progress);
      if (next && groups.fits(group, next)) {
        group.push(next);
        continue;
      }
      // Not joining: it starts the next group (or nothing new is left).
      planned = { after: last.batchId, next: Promise.resolve(next) };
      return group;
    }
  };
  const finish = async (offset: BatchOffset, outcome: BatchOutcome) => {
    committed = offset.batchId;
    rememberBatch(progress, offset);
    batches++;
    totals = addOutcome(totals, outcome);
    await onBatch(offset.batchId, outcome);
  };
  try {
    for (;;) {
      if (ctx.signal?.aborted) return { state: 'STOPPED', totals, batches };
      const replay = pending.length > 0;
      const early = planned?.after === committed ? planned.next : undefined;
      planned = undefined;
      let group = pending;
      pending = [];
      if (!replay) {
        const first = await (early ?? planStreamingBatch(ctx, flow, conn, committed + 1, progress));
        if (!first) break;
        group = await planGroup(first);
        // Every offset of the group is durable before any of them is read.
        await checkpoint.log.writeAll(group);
      }
      crashPoint('offset-written', flow.flow.name);
      if (group.length === 1) {
        const offset = group[0]!;
        await finish(offset, await runBatch(checkpoint, offset, lookahead));
      } else if (groups) {
        await groups.run(checkpoint, group, finish);
      } else {
        // A group logged by a run that fused (replayed now without): one by one, as logged —
        // the batch after each is already planned, so none is planned early.
        for (const offset of group)
          await finish(offset, await runBatch(checkpoint, offset, async () => undefined));
      }
      if (committed - compacted >= COMPACT_EVERY) {
        await checkpoint.log.compactTo(mergeOffsets(await checkpoint.log.readAll(committed)));
        compacted = committed;
      }
    }
    return { state: batches > 0 ? 'COMPLETED' : 'IDLE', totals, batches };
  } finally {
    // A plan made early and not used: let it finish before its connection goes away.
    await planned?.next.catch(() => {});
  }
}

/**
 * Every batch the table has committed under this flow must have its offset: the offsets say
 * which input was read, and without them a streaming flow would read everything again and
 * append duplicates. A checkpoint folder deleted or damaged is therefore refused, naming the
 * way back (a full refresh rebuilds the table and its checkpoint from the sources).
 * @throws SluiceError FLOW_CHECKPOINT_INCONSISTENT
 */
async function assertCheckpointMatchesTable(
  ctx: UpdateContext,
  flow: FlowPlan,
  checkpoint: FlowCheckpoint,
): Promise<void> {
  if (checkpoint.committed < 0) return;
  const have = new Set(await checkpoint.log.batchIds());
  const compacted = await checkpoint.log.compactedUpTo();
  const missing: number[] = [];
  for (let id = compacted + 1; id <= checkpoint.committed; id++) if (!have.has(id)) missing.push(id);
  if (missing.length === 0) return;
  const folder = relative(ctx.storage, checkpoint.log.dir);
  const span =
    missing.length === 1
      ? `batch ${missing[0]}`
      : `${missing.length} batches (${missing[0]}…${missing.at(-1)})`;
  throw new SluiceError(
    'FLOW_CHECKPOINT_INCONSISTENT',
    `flow '${flow.flow.name}' committed batches 0–${checkpoint.committed} to '${flow.target.name}', but its checkpoint (${folder}) has lost the offsets of ${span}: sluice cannot tell which input it has already read, and reading it again would duplicate rows — run with --full-refresh ${flow.target.name} to rebuild the table from its sources`,
    { dataset: flow.target.name, params: { committed: checkpoint.committed, missing: missing.length } },
  );
}
