/**
 * Automatic maintenance inside an update (the schedule is in policy.ts): a full pass when the
 * update's flows are done, and in continuous mode a compaction pass every so often between
 * rounds, with a full pass (log clean-up, vacuum, temp sweep) less often. Passes run while no
 * flow runs — only the event recorder appends meanwhile, and appends rebase over a compaction.
 *
 * It never fails the update: each failure becomes a `flow_warning` of the flow writing the table
 * (the pipeline's first flow for the event log and for files outside tables).
 */
import { type SluiceError, toSluiceError } from '../../errors/index.ts';
import type { FlowPlan } from '../../graph/index.ts';
import { eventLogFolder, tableFolder } from '../../storage/index.ts';
import type { UpdateContext } from '../update/update-context.ts';
import { type MaintenanceStep, maintainStorage } from './maintain.ts';
import { AUTO_BUDGET_MS, type AutoSchedule, autoSchedule } from './policy.ts';

const COMPACTION_ONLY: ReadonlySet<MaintenanceStep> = new Set(['compaction']);

export class AutoMaintenance {
  readonly #ctx: UpdateContext;
  readonly #schedule: AutoSchedule;
  #lastCompaction = Date.now();
  #lastCleanup = Date.now();

  constructor(ctx: UpdateContext) {
    this.#ctx = ctx;
    this.#schedule = autoSchedule(ctx.configuration);
  }

  /** Between two continuous rounds: compaction and clean-up when their intervals have passed. */
  async betweenRounds(): Promise<void> {
    const now = Date.now();
    const cleanup = now - this.#lastCleanup >= this.#schedule.cleanupIntervalMs;
    if (!cleanup && now - this.#lastCompaction < this.#schedule.compactionIntervalMs) return;
    await this.#pass(cleanup ? undefined : COMPACTION_ONLY);
  }

  /** When the update's flows are done (not after a stop request: stopping stays quick). */
  async afterUpdate(): Promise<void> {
    if (this.#ctx.signal?.aborted) return;
    await this.#pass(undefined);
  }

  async #pass(steps: ReadonlySet<MaintenanceStep> | undefined): Promise<void> {
    if (!this.#schedule.enabled) return;
    const ctx = this.#ctx;
    const started = Date.now();
    this.#lastCompaction = started;
    if (!steps) this.#lastCleanup = started;
    try {
      const report = await maintainStorage(ctx.storage, {
        db: ctx.db,
        mode: 'auto',
        minFiles: this.#schedule.minFiles,
        ...(steps ? { steps } : {}),
        deadline: started + AUTO_BUDGET_MS,
        snapshot: (path) => ctx.tables.snapshot(path),
      });
      for (const err of report.errors) await this.#warn(String(err.params.path ?? ''), err);
    } catch (e) {
      // Listing the storage folder itself failed: nothing was changed.
      await this.#warn('', toSluiceError(e));
    }
  }

  /** A warning on the flow writing the table at `path` (else the pipeline's first flow). */
  async #warn(path: string, warning: SluiceError): Promise<void> {
    const ctx = this.#ctx;
    const writes = (f: FlowPlan) => {
      const own = tableFolder(ctx.storage, f.target);
      return (
        path === own ||
        path === tableFolder(ctx.storage, { ...f.target, name: `${f.target.name}_quarantine` })
      );
    };
    const flow =
      (path !== eventLogFolder(ctx.storage) ? ctx.plan.flows.find(writes) : undefined) ?? ctx.plan.flows[0];
    if (flow) await ctx.warn(flow, warning);
  }
}
