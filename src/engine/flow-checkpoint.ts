import { join } from 'node:path';
import type { FlowPlan } from '../graph/index.ts';
import { OffsetLog } from './offsets.ts';
import { tablePath } from './plan.ts';
import * as store from './store.ts';

/** The Delta txn appId under which a full refresh records the target's reset generation. */
export const RESET_APP_ID = 'sluice.reset';

/**
 * Identity of a flow's progress: its offset log and the Delta `txn` appId its batches commit
 * under. Both are scoped by the target table's reset generation, which a full refresh bumps in
 * the same Delta commit that truncates the table — so a reset is atomic: either the table is
 * truncated and every flow starts over from batch 0 under a new appId, or nothing changed.
 */
export interface FlowCheckpoint {
  readonly tablePath: string;
  readonly generation: number;
  readonly appId: string;
  readonly log: OffsetLog;
  /** The last batch id committed to the target (-1 when none). */
  readonly committed: number;
}

export async function openFlowCheckpoint(storage: string, pf: FlowPlan): Promise<FlowCheckpoint> {
  const path = tablePath(storage, pf.target);
  const generation = (await store.txnVersion(path, RESET_APP_ID)) ?? 0;
  const appId = `sluice/${pf.flow.name}/${generation}`;
  const log = new OffsetLog(join(storage, 'checkpoints', pf.flow.name, String(generation)));
  const committed = (await store.txnVersion(path, appId)) ?? -1;
  return { tablePath: path, generation, appId, log, committed };
}
