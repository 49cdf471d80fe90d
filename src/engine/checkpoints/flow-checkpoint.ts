import { readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FlowPlan } from '../../graph/index.ts';
import { checkpointFolder, tableFolder } from '../../storage/index.ts';
import type { TableCache } from '../tables/table-cache.ts';
import { OffsetLog } from './offsets.ts';

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

/** Opens a flow's checkpoint for its target's current reset generation. */
export async function openFlowCheckpoint(
  ctx: { readonly storage: string; readonly tables: TableCache },
  f: FlowPlan,
): Promise<FlowCheckpoint> {
  const path = tableFolder(ctx.storage, f.target);
  const generation = (await ctx.tables.txnVersion(path, RESET_APP_ID)) ?? 0;
  const appId = `sluice/${f.flow.name}/${generation}`;
  const folder = checkpointFolder(ctx.storage, f.flow.name, generation);
  await removeOlderGenerations(folder, generation);
  const log = new OffsetLog(folder);
  const committed = (await ctx.tables.txnVersion(path, appId)) ?? -1;
  return { tablePath: path, generation, appId, log, committed };
}

/**
 * The checkpoints of generations before `generation`: the full refresh that bumped the
 * generation committed, so nothing will read them again.
 */
async function removeOlderGenerations(folder: string, generation: number): Promise<void> {
  const parent = dirname(folder);
  const names = await readdir(parent).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((n) => /^\d+$/.test(n) && Number(n) < generation)
      .map((n) => rm(join(parent, n), { recursive: true, force: true })),
  );
}
