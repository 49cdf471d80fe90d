import { setTimeout as sleep } from 'node:timers/promises';
import type { SluiceError } from '../../errors/index.ts';
import type { FlowPlan } from '../../graph/index.ts';
import type { DuckDBConnection } from '../../util/index.ts';
import type { FlowResult, FlowState } from '../engine-events.ts';
import { executorFor } from '../flows/executors.ts';
import { addOutcome, zeroOutcome } from '../writing/batch-outcome.ts';
import { flowFailure, isTransient } from './failures.ts';
import { resultFrom } from './flow-results.ts';
import type { UpdateContext } from './update-context.ts';

const MAX_ATTEMPTS = 3;

/** Reports a flow's state change (with its result on terminal states). */
export function emitFlowState(
  ctx: UpdateContext,
  f: FlowPlan,
  state: FlowState,
  extra: { readonly result?: FlowResult; readonly error?: SluiceError } = {},
): Promise<void> {
  return ctx.emit({
    kind: 'flow_state',
    updateId: ctx.updateId,
    flow: f.flow.name,
    dataset: f.target.name,
    state,
    ...extra,
  });
}

/**
 * Runs one flow through its life in this update — PLANNING → STARTING → RUNNING → a terminal
 * state — with its kind's executor, on a connection of its own. A transient failure (see
 * `isTransient`) is retried with backoff up to 3 attempts; batches committed before a failure
 * stay committed and counted. Never throws: a failure is the FAILED result.
 */
export async function runFlow(ctx: UpdateContext, f: FlowPlan, forceRecompute: boolean): Promise<FlowResult> {
  const started = Date.now();
  await emitFlowState(ctx, f, 'PLANNING');
  let totals = zeroOutcome();
  let batches = 0;
  for (let attempt = 1; ; attempt++) {
    let conn: DuckDBConnection | undefined;
    try {
      conn = await ctx.db.connect();
      await emitFlowState(ctx, f, 'STARTING');
      await emitFlowState(ctx, f, 'RUNNING');
      const execution = await executorFor(f.kind).execute({
        ctx,
        flow: f,
        conn,
        forceRecompute,
        onBatch: async (batchId, outcome) => {
          totals = addOutcome(totals, outcome);
          batches++;
          if (outcome.tableVersion === undefined) return;
          await ctx.emit({
            kind: 'batch_committed',
            updateId: ctx.updateId,
            flow: f.flow.name,
            dataset: f.target.name,
            batchId,
            rows: outcome.outputRows,
            tableVersion: outcome.tableVersion,
            ...(outcome.cdc ? { cdc: outcome.cdc } : {}),
            ...(outcome.stateful ? { stateful: outcome.stateful } : {}),
          });
        },
      });
      if (execution.planning) {
        await ctx.emit({
          kind: 'planning',
          updateId: ctx.updateId,
          flow: f.flow.name,
          dataset: f.target.name,
          planning: execution.planning,
        });
      }
      // Executors that commit one refresh without reporting batches (materialized views) count here.
      if (batches === 0 && execution.batches > 0) {
        totals = execution.totals;
        batches = execution.batches;
      }
      const result = {
        ...resultFrom(f, execution.state, totals, batches, Date.now() - started),
        ...(execution.planning ? { planning: execution.planning } : {}),
      };
      await emitFlowState(ctx, f, execution.state, { result });
      return result;
    } catch (e) {
      const error = flowFailure(e, f, ctx);
      if (isTransient(error) && attempt < MAX_ATTEMPTS && !ctx.signal?.aborted) {
        await sleep(100 * 2 ** attempt);
        continue;
      }
      const result: FlowResult = { ...resultFrom(f, 'FAILED', totals, batches, Date.now() - started), error };
      await emitFlowState(ctx, f, 'FAILED', { result, error });
      return result;
    } finally {
      conn?.closeSync();
    }
  }
}
