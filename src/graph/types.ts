import type { SluiceError, SourceLocation } from '../errors/index.ts';
import type { CompiledQuery, Dataset, FileInputFormat, Flow, QueryInput } from '../model/index.ts';

export type { SourceLocation };

/**
 * A flow as declared: its inputs are names not yet bound to datasets. Resolution turns it into a
 * {@link ResolvedFlow} or a {@link FailedFlow}; code that needs inputs bound takes ResolvedFlow.
 */
export interface UnresolvedFlow {
  readonly kind: 'unresolved_flow';
  readonly flow: Flow;
}

/** A dataset input bound to the dataset it names. */
export interface ResolvedDatasetInput {
  readonly kind: 'dataset';
  /** The name as written in the query. */
  readonly name: string;
  /** The name of the dataset it resolved to (graph key). */
  readonly dataset: string;
  /** Written as a streaming read (`STREAM(x)` / `stream('x')`). */
  readonly streaming: boolean;
  /** Streaming as seen by the flow: a streaming read, or any read of a view whose query streams. */
  readonly effectiveStreaming: boolean;
  /** The read is of the dataset's change data feed (`readChangeFeed`, `table_changes`). */
  readonly changeFeed?: boolean;
  readonly location?: SourceLocation;
}

export interface FilesInput {
  readonly kind: 'files';
  readonly path: string;
  readonly format: FileInputFormat;
  readonly options: Readonly<Record<string, string>>;
  readonly streaming: boolean;
  readonly effectiveStreaming: boolean;
  readonly location?: SourceLocation;
}

export type ResolvedInput = ResolvedDatasetInput | FilesInput;

/** A flow whose every input is bound. `streaming`: it reads at least one effectively streaming input. */
export interface ResolvedFlow {
  readonly kind: 'resolved_flow';
  readonly name: string;
  readonly target: string;
  readonly flow: Flow;
  readonly inputs: readonly ResolvedInput[];
  readonly streaming: boolean;
  /** `appendFlow({ once: true })`: runs once; may read batch inputs into a streaming table. */
  readonly once: boolean;
}

/** A flow some input of which could not be bound (undefined, or the input itself failed). */
export interface FailedFlow {
  readonly kind: 'failed_flow';
  readonly flow: Flow;
  readonly errors: readonly SluiceError[];
}

export type FlowResolution = UnresolvedFlow | ResolvedFlow | FailedFlow;

/** One dependency edge: `flow` (writing `target`) reads dataset `input`. */
export interface GraphEdge {
  readonly flow: string;
  readonly target: string;
  readonly input: string;
  readonly streaming: boolean;
}

/**
 * The resolved dataflow graph. Invariants: every edge's `input` and `target` are keys of
 * `datasets`; `plan.datasets` lists each dataset at most once, after every dataset it reads;
 * `plan.flows` lists each resolved flow after the flows of every dataset it reads; both orders
 * are deterministic (ties broken by definition order). Datasets on a cycle are left out of the plan.
 */
export interface PipelineGraph {
  readonly datasets: ReadonlyMap<string, Dataset>;
  readonly flows: ReadonlyMap<string, ResolvedFlow>;
  readonly edges: readonly GraphEdge[];
  readonly plan: {
    readonly datasets: readonly string[];
    readonly flows: readonly string[];
  };
  /** Datasets that failed validation (root causes and their downstream). */
  readonly failed: ReadonlySet<string>;
  /** What the engine runs (without `failed`); present exactly when the graph is runnable. */
  readonly execution?: ExecutionPlan;
}

/**
 * One relation a flow ultimately reads, after views are inlined. `key` is stable across runs
 * (input positions joined by '/'), so offsets recorded for it can be found again on replay.
 */
export interface LeafInput {
  readonly key: string;
  readonly input: QueryInput;
  /** The stored dataset read, for dataset inputs. */
  readonly dataset?: Dataset;
  /** The read is a stream: written `STREAM(…)`, or inside a view that is read as a stream. */
  readonly streaming: boolean;
}

/** A node of a flow's binding tree: a query whose inputs are leaves or further (inlined) views. */
export interface BoundQuery {
  readonly key: string;
  readonly query: CompiledQuery;
  readonly children: readonly (
    | { readonly kind: 'leaf'; readonly index: number; readonly leaf: LeafInput }
    | { readonly kind: 'view'; readonly index: number; readonly view: Dataset; readonly bound: BoundQuery }
  )[];
}

/**
 * How a flow is executed. Each kind has one executor in `src/engine/flows`; adding a kind means
 * adding it here, deciding it in `flowKind`, and giving it an executor.
 */
export type FlowKind =
  | 'streaming_append'
  | 'streaming_aggregate'
  | 'streaming_dedup'
  | 'stream_join'
  | 'materialized_view'
  | 'append_once'
  | 'auto_cdc'
  | 'auto_cdc_snapshot';

/** A flow ready to run: its kind, target, inlined query tree and the stored datasets it reads. */
export interface FlowPlan {
  readonly kind: FlowKind;
  readonly flow: Flow;
  readonly target: Dataset;
  readonly bound: BoundQuery;
  readonly leaves: readonly LeafInput[];
  /** Names of the stored datasets this flow reads (its upstream in the schedule). */
  readonly upstream: readonly string[];
}

/** The flows of a valid graph that write stored datasets, in plan order. */
export interface ExecutionPlan {
  readonly datasets: ReadonlyMap<string, Dataset>;
  readonly flows: readonly FlowPlan[];
}
