import type { BoundQuery, FlowPlan } from '../../graph/index.ts';
import type { Expectation } from '../../model/index.ts';
import type { FlowResult, FlowState } from '../engine-events.ts';
import type { BatchOutcome } from '../writing/batch-outcome.ts';

/** A result with no work done (EXCLUDED, SKIPPED, a flow that failed before any batch). */
export function emptyResult(f: FlowPlan, state: FlowState, durationMs: number): FlowResult {
  return {
    flow: f.flow.name,
    dataset: f.target.name,
    datasetKind: f.target.kind,
    state,
    metrics: { num_input_rows: 0, num_output_rows: 0, num_output_bytes: 0, num_batches: 0, num_files: 0 },
    durationMs,
  };
}

/** Every expectation a flow evaluates: its target's and those of the views it reads. */
function expectationsInScope(
  f: FlowPlan,
): { dataset: string; name: string; action: Expectation['action'] }[] {
  const out = f.target.expectations.map((e) => ({ dataset: f.target.name, name: e.name, action: e.action }));
  const walk = (b: BoundQuery) => {
    for (const c of b.children) {
      if (c.kind !== 'view') continue;
      out.push(...c.view.expectations.map((e) => ({ dataset: c.view.name, name: e.name, action: e.action })));
      walk(c.bound);
    }
  };
  walk(f.bound);
  return out;
}

/** A flow's result from its summed batch outcomes (every expectation in scope listed, counted or not). */
export function resultFrom(
  f: FlowPlan,
  state: FlowState,
  o: BatchOutcome,
  batches: number,
  durationMs: number,
): FlowResult {
  const scope = expectationsInScope(f);
  return {
    ...emptyResult(f, state, durationMs),
    metrics: {
      num_input_rows: o.inputRows,
      num_output_rows: o.outputRows,
      num_output_bytes: o.outputBytes,
      num_batches: batches,
      num_files: o.files,
      ...(o.cdc ? { num_upserted_rows: o.cdc.upsertedRows, num_deleted_rows: o.cdc.deletedRows } : {}),
    },
    ...(scope.length > 0
      ? {
          dataQuality: {
            dropped_records: o.droppedRows,
            quarantined_records: o.quarantinedRows,
            expectations: scope.map(
              (e) =>
                o.expectations.find((m) => m.name === e.name && m.dataset === e.dataset) ?? {
                  ...e,
                  passed_records: 0,
                  failed_records: 0,
                },
            ),
          },
        }
      : {}),
  };
}

/** A flow's result over the rounds of a continuous update: counts add up, a later IDLE keeps COMPLETED. */
export function mergeResults(a: FlowResult, b: FlowResult): FlowResult {
  const state: FlowState = b.state === 'IDLE' && a.state === 'COMPLETED' ? 'COMPLETED' : b.state;
  return {
    ...b,
    state,
    metrics: {
      num_input_rows: a.metrics.num_input_rows + b.metrics.num_input_rows,
      num_output_rows: a.metrics.num_output_rows + b.metrics.num_output_rows,
      num_output_bytes: a.metrics.num_output_bytes + b.metrics.num_output_bytes,
      num_batches: a.metrics.num_batches + b.metrics.num_batches,
      num_files: a.metrics.num_files + b.metrics.num_files,
      ...(a.metrics.num_upserted_rows !== undefined || b.metrics.num_upserted_rows !== undefined
        ? {
            num_upserted_rows: (a.metrics.num_upserted_rows ?? 0) + (b.metrics.num_upserted_rows ?? 0),
            num_deleted_rows: (a.metrics.num_deleted_rows ?? 0) + (b.metrics.num_deleted_rows ?? 0),
          }
        : {}),
    },
    durationMs: a.durationMs + b.durationMs,
  };
}
