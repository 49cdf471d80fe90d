import type { SluiceError } from '../errors/index.ts';
import type { DatasetKind, ExpectationAction } from '../model/index.ts';

export type UpdateState =
  | 'QUEUED'
  | 'CREATED'
  | 'INITIALIZING'
  | 'SETTING_UP_TABLES'
  | 'RUNNING'
  | 'STOPPING'
  | 'COMPLETED'
  | 'FAILED'
  | 'CANCELED';

export type FlowState =
  | 'QUEUED'
  | 'PLANNING'
  | 'STARTING'
  | 'RUNNING'
  | 'COMPLETED'
  | 'FAILED'
  | 'SKIPPED'
  | 'STOPPED'
  | 'EXCLUDED'
  | 'IDLE';

/** Terminal flow states: once reached, a flow's state never changes within an update. */
export const TERMINAL_FLOW_STATES: ReadonlySet<FlowState> = new Set([
  'COMPLETED',
  'FAILED',
  'SKIPPED',
  'STOPPED',
  'EXCLUDED',
  'IDLE',
]);

/** Per-expectation counts for one flow in one update, in the event log's shape. */
export interface ExpectationMetrics {
  readonly name: string;
  readonly dataset: string;
  readonly action: ExpectationAction;
  readonly passed_records: number;
  readonly failed_records: number;
}

/** `details.flow_progress.data_quality` of the event log. */
export interface DataQualityMetrics {
  readonly dropped_records: number;
  readonly quarantined_records: number;
  readonly expectations: readonly ExpectationMetrics[];
}

export interface FlowMetrics {
  /** Rows produced by the flow's query (before expectations removed any). */
  readonly num_input_rows: number;
  /** Rows written to the target table. */
  readonly num_output_rows: number;
  readonly num_output_bytes: number;
  readonly num_batches: number;
  /** Data files read by file sources. */
  readonly num_files: number;
  /** AUTO CDC flows: rows inserted or updated in the target (Lakeflow's `num_upserted_rows`). */
  readonly num_upserted_rows?: number;
  /** AUTO CDC flows: rows deleted from the target (Lakeflow's `num_deleted_rows`). */
  readonly num_deleted_rows?: number;
}

/** How a materialized view was brought up to date. */
export interface PlanningInformation {
  readonly technique: 'NO_OP' | 'COMPLETE_RECOMPUTE' | 'GROUP_AGGREGATE';
  readonly reason: string;
}

export interface FlowResult {
  readonly flow: string;
  readonly dataset: string;
  readonly datasetKind: DatasetKind;
  readonly state: FlowState;
  readonly metrics: FlowMetrics;
  readonly dataQuality?: DataQualityMetrics;
  readonly planning?: PlanningInformation;
  readonly durationMs: number;
  readonly error?: SluiceError;
  /** For SKIPPED flows: the failed upstream flow that caused the skip. */
  readonly skippedBecause?: string;
  /** What the flow went on despite (see the `flow_warning` event). */
  readonly warnings?: readonly SluiceError[];
}

export interface UpdateResult {
  readonly updateId: string;
  readonly pipeline: string;
  readonly state: UpdateState;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly flows: readonly FlowResult[];
  /** An error that stopped the whole update (not a single flow's failure). */
  readonly error?: SluiceError;
}

/**
 * What the engine reports while it runs, in order. The CLI prints these; the event log
 * persists them. Listeners must not throw (a throwing listener is ignored).
 */
export type EngineEvent =
  | {
      readonly kind: 'update_created';
      readonly updateId: string;
      readonly cause: string;
      readonly refresh: RefreshSelection;
      readonly previousAbnormal?: { readonly updateId: string; readonly startedAt: string };
    }
  | {
      readonly kind: 'update_state';
      readonly updateId: string;
      readonly state: UpdateState;
      readonly error?: SluiceError;
    }
  | {
      readonly kind: 'flow_state';
      readonly updateId: string;
      readonly flow: string;
      readonly dataset: string;
      readonly state: FlowState;
      readonly result?: FlowResult;
      readonly error?: SluiceError;
    }
  | {
      readonly kind: 'batch_committed';
      readonly updateId: string;
      readonly flow: string;
      readonly dataset: string;
      readonly batchId: number;
      readonly rows: number;
      readonly tableVersion: number;
      /** AUTO CDC batches: rows upserted into and deleted from the target. */
      readonly cdc?: { readonly upsertedRows: number; readonly deletedRows: number };
      /** Stateful flows: watermark (µs since the epoch), state rows and bytes, late rows dropped. */
      readonly stateful?: {
        readonly watermark: number | null;
        readonly stateRows: number;
        readonly stateBytes: number | null;
        readonly lateRowsDropped: number;
      };
    }
  | {
      readonly kind: 'planning';
      readonly updateId: string;
      readonly flow: string;
      readonly dataset: string;
      readonly planning: PlanningInformation;
    }
  | {
      /** Something the flow went on despite, that a person should know (a file skipped or changed, …). */
      readonly kind: 'flow_warning';
      readonly updateId: string;
      readonly flow: string;
      readonly dataset: string;
      readonly warning: SluiceError;
    };

export type EngineListener = (event: EngineEvent) => void | Promise<void>;

/** Which datasets an update touches and how. */
export interface RefreshSelection {
  /** Datasets refreshed incrementally; undefined = all (minus fullRefresh). */
  readonly refresh?: readonly string[];
  /** Datasets reset and recomputed; '*' = all. */
  readonly fullRefresh?: readonly string[] | '*';
}
