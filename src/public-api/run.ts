import {
  type EngineListener,
  type RefreshOptions,
  type RefusedDataset,
  type ResolvedPipeline,
  refreshSelection,
  runUpdate,
  type UpdateResult,
} from '../engine/index.ts';
import { SluiceError } from '../errors/index.ts';
import { didYouMean, type ValidationResult, validatePipelineFolder } from '../graph/index.ts';
import { applyLintSettings } from '../lint/index.ts';
import { type PipelineListenersOptions, pipelineListeners } from '../observers/index.ts';
import type { BundleSelection } from '../spec/index.ts';
import { inSession, type Session } from './session.ts';

export type RunPipelineOutcome =
  | {
      readonly kind: 'invalid';
      readonly errors: readonly SluiceError[];
      readonly warnings: readonly SluiceError[];
    }
  | { readonly kind: 'ran'; readonly result: UpdateResult; readonly warnings: readonly SluiceError[] };

export interface RunPipelineOptions extends RefreshOptions {
  /** Where the pipeline is searched from when `dir` is not given (default: the process's cwd). */
  readonly cwd?: string;
  /** For a Databricks Asset Bundle: its target, variables and pipeline key. */
  readonly bundle?: BundleSelection;
  /** Keep polling sources until `signal` aborts (default: the spec's `continuous`). */
  readonly continuous?: boolean;
  /** Pause between rounds in continuous mode (default: `pipelines.trigger.interval` or 5 s). */
  readonly triggerIntervalMs?: number;
  /** Aborting it stops the update once the running batches committed (state CANCELED). */
  readonly signal?: AbortSignal;
  /** Observers of the update's events, called in order (a throwing listener is ignored). */
  readonly listeners?: readonly EngineListener[];
  /** Flows run at once (default 2). */
  readonly concurrency?: number;
  /** Why the update runs (the event log's `create_update.cause`; default USER_ACTION). */
  readonly cause?: string;
  /** Options of the event recorder and notifier every run gets. */
  readonly observers?: PipelineListenersOptions;
  /**
   * Called once the pipeline validated, before the update starts. `refused`: the errors of
   * datasets that do not run in this update (constructs sluice does not support in their
   * query; see `DATASET_LOCAL_CODES`) — the rest of the pipeline runs.
   */
  readonly onValidated?: (v: {
    pipeline: string;
    warnings: readonly SluiceError[];
    refused: readonly SluiceError[];
  }) => void;
  readonly session?: Session;
}

/**
 * Validates the pipeline in `dir` (or found from `cwd`) and, when runnable, runs one update with
 * the event log and the spec's notifications as observers. Invalid pipelines run nothing and
 * report every error; a pipeline whose only errors refuse single datasets for constructs sluice
 * does not support runs without them (and what reads them), which end FAILED / SKIPPED and fail
 * the update.
 * @throws SluiceError for refresh options that conflict or name an unknown dataset, a missing
 *   spec, or a held lock.
 */
export function runPipeline(
  dir: string | undefined,
  options: RunPipelineOptions = {},
): Promise<RunPipelineOutcome> {
  refreshSelection(options);
  return inSession(options.session, async (session) => {
    const v = await applyLintSettings(
      await validatePipelineFolder(dir, {
        cwd: options.cwd ?? process.cwd(),
        ...options.bundle,
        sql: session.sql,
        db: session.db,
      }),
      'run',
    );
    if (!v.runnable || !v.graph || !v.spec)
      return { kind: 'invalid', errors: v.errors, warnings: v.warnings };
    // Refresh options name datasets as the user types them (case-insensitively, as Spark); an
    // unknown one is a usage mistake, refused before any update starts.
    const declared = (name: string): string => {
      const d = [...v.graph!.datasets.values()].find((x) => x.name.toLowerCase() === name.toLowerCase());
      if (d) return d.name;
      const hint = didYouMean(name, v.graph!.datasets.keys());
      throw new SluiceError(
        'DATASET_NOT_DEFINED',
        `dataset '${name}' named in a refresh option is not defined in the pipeline${hint ? `; did you mean '${hint}'?` : ''}`,
        { dataset: name },
      );
    };
    const refresh = options.refresh?.map(declared);
    const fullRefresh = options.fullRefresh?.map(declared);
    options.onValidated?.({ pipeline: v.spec.name, warnings: v.warnings, refused: v.errors });
    const pipeline = resolvedPipeline(v);
    const result = await runUpdate(pipeline, {
      ...options,
      ...(refresh ? { refresh } : {}),
      ...(fullRefresh ? { fullRefresh } : {}),
      db: session.db,
      sql: session.sql,
      continuous: options.continuous ?? pipeline.continuous,
      listeners: [
        ...(options.listeners ?? []),
        ...pipelineListeners(session.db, v.spec, pipeline, options.observers),
      ],
    });
    return { kind: 'ran', result, warnings: v.warnings };
  });
}

/** The engine's input from a valid validation result. */
function resolvedPipeline(v: ValidationResult): ResolvedPipeline {
  const graph = v.graph!;
  const spec = v.spec!;
  return {
    name: spec.name,
    root: spec.root,
    storage: spec.storage,
    configuration: v.configuration ?? spec.configuration,
    continuous: spec.continuous ?? false,
    datasets: [...graph.datasets.values()],
    flows: [...graph.flows.values()].map((f) => f.flow),
    plan: graph.execution!,
    refused: refusedDatasets(v),
  };
}

/** The stored datasets a runnable graph leaves out, each with its refusal or UPSTREAM_FAILED note. */
function refusedDatasets(v: ValidationResult): RefusedDataset[] {
  const out: RefusedDataset[] = [];
  for (const name of v.graph!.failed) {
    const dataset = v.graph!.datasets.get(name);
    if (!dataset) continue;
    const own = v.errors.find((e) => e.dataset === name);
    const note = v.downstream.find((e) => e.dataset === name);
    if (own) out.push({ dataset, error: own });
    else if (note) out.push({ dataset, error: note, upstream: (note.params.upstream as string[]) ?? [] });
  }
  return out;
}
