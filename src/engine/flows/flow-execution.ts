/**
 * The one interface every flow kind's executor implements (as Spark's `FlowExecution` classes):
 * the update's flow runner handles states, retries and results for every kind alike, and asks
 * the executor of the flow's kind to bring the target up to date. See `executors.ts`.
 */
import type { FlowPlan } from '../../graph/index.ts';
import type { DuckDBConnection } from '../../util/index.ts';
import type { FlowState, PlanningInformation } from '../engine-events.ts';
import type { UpdateContext } from '../update/update-context.ts';
import type { BatchOutcome } from '../writing/batch-outcome.ts';

/** One execution of one flow within an update. */
export interface FlowRun {
  readonly ctx: UpdateContext;
  readonly flow: FlowPlan;
  /** The flow's own connection (temp tables and transactions are per connection). */
  readonly conn: DuckDBConnection;
  /** A full refresh reset the target in this update: recompute, do not build on what is stored. */
  readonly forceRecompute: boolean;
  /** Reports each committed micro-batch as it lands (progress and the event log). */
  readonly onBatch: (batchId: number, outcome: BatchOutcome) => Promise<void>;
}

/** What an executor reports when the flow's target is up to date (or it stopped on request). */
export interface FlowExecution {
  readonly state: Extract<FlowState, 'COMPLETED' | 'IDLE' | 'STOPPED'>;
  /** Sum of the batches this execution committed. */
  readonly totals: BatchOutcome;
  readonly batches: number;
  /** How the target was brought up to date, when the kind plans (materialized views). */
  readonly planning?: PlanningInformation;
}

/** Brings one flow's target up to date. Throws (a SluiceError) when the flow fails. */
export interface FlowExecutor {
  execute(run: FlowRun): Promise<FlowExecution>;
}
