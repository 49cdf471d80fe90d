import type { SluiceError } from '../../errors/index.ts';
import { type Dataset, isStored } from '../../model/index.ts';
import type { FlowResult, FlowState } from '../engine-events.ts';
import type { RefusedDataset } from '../resolved-pipeline.ts';
import type { UpdateContext } from './update-context.ts';

/**
 * Reports the stored datasets validation refused (a construct sluice does not support in their
 * query) and those that read them, as the update's FAILED and SKIPPED flows: one result per
 * dataset, named after its flow when it has one. Nothing of them runs; the rest of the pipeline
 * does. Views are not reported (their readers are).
 */
export async function reportRefused(
  ctx: UpdateContext,
  refused: readonly RefusedDataset[],
  flowsOf: (dataset: string) => readonly string[],
): Promise<FlowResult[]> {
  const out: FlowResult[] = [];
  for (const r of refused) {
    if (!isStored(r.dataset)) continue;
    const state: FlowState = r.upstream ? 'SKIPPED' : 'FAILED';
    for (const flow of flowsOf(r.dataset.name).length > 0 ? flowsOf(r.dataset.name) : [r.dataset.name]) {
      const result = refusedResult(r.dataset, flow, state, r.error, r.upstream);
      await ctx.emit({
        kind: 'flow_state',
        updateId: ctx.updateId,
        flow,
        dataset: r.dataset.name,
        state,
        result,
        error: r.error,
      });
      out.push(result);
    }
  }
  return out;
}

function refusedResult(
  dataset: Dataset,
  flow: string,
  state: FlowState,
  error: SluiceError,
  upstream: readonly string[] | undefined,
): FlowResult {
  return {
    flow,
    dataset: dataset.name,
    datasetKind: dataset.kind,
    state,
    metrics: { num_input_rows: 0, num_output_rows: 0, num_output_bytes: 0, num_batches: 0, num_files: 0 },
    durationMs: 0,
    error,
    ...(upstream?.[0] !== undefined ? { skippedBecause: upstream[0] } : {}),
  };
}
