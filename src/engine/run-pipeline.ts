import { SluiceError } from '../errors/index.ts';
import { didYouMean, validatePipeline } from '../graph/index.ts';
import { pipelineListeners } from './event-recorder.ts';
import type { ResolvedPipeline } from './pipeline.ts';
import type { UpdateResult } from './types.ts';
import { type RunUpdateOptions, refreshSelection, runUpdate } from './update.ts';

export type RunPipelineOutcome =
  | {
      readonly kind: 'invalid';
      readonly errors: readonly SluiceError[];
      readonly warnings: readonly SluiceError[];
    }
  | { readonly kind: 'ran'; readonly result: UpdateResult; readonly warnings: readonly SluiceError[] };

export interface RunPipelineOptions extends RunUpdateOptions {
  readonly cwd?: string;
  /** Called once the pipeline validated, before the update starts. */
  readonly onValidated?: (v: { pipeline: string; warnings: readonly SluiceError[] }) => void;
}

/**
 * Validates the pipeline in `dir` (or found from `cwd`) and, when valid, runs one update.
 * Invalid pipelines run nothing and report every error.
 * @throws SluiceError for refresh options that conflict, a missing spec, or a held lock.
 */
export async function runPipeline(
  dir: string | undefined,
  options: RunPipelineOptions = {},
): Promise<RunPipelineOutcome> {
  refreshSelection(options);
  const v = await validatePipeline(dir, { cwd: options.cwd ?? process.cwd() });
  if (v.errors.length > 0 || !v.graph || !v.spec)
    return { kind: 'invalid', errors: v.errors, warnings: v.warnings };
  // A refresh option naming an unknown dataset is a usage mistake: refuse before any update starts.
  for (const name of [...(options.refresh ?? []), ...(options.fullRefresh ?? [])]) {
    if (!v.graph.datasets.has(name)) {
      const hint = didYouMean(name, v.graph.datasets.keys());
      throw new SluiceError(
        'DATASET_NOT_DEFINED',
        `dataset '${name}' named in a refresh option is not defined in the pipeline${hint ? `; did you mean '${hint}'?` : ''}`,
        { dataset: name },
      );
    }
  }
  options.onValidated?.({ pipeline: v.spec.name, warnings: v.warnings });
  const pipeline = loadedPipeline(v);
  const result = await runUpdate(pipeline, {
    ...options,
    continuous: options.continuous ?? pipeline.continuous,
    listeners: [...(options.listeners ?? []), ...pipelineListeners(v.spec, pipeline)],
  });
  return { kind: 'ran', result, warnings: v.warnings };
}

/** The engine's input from a validation result. */
export function loadedPipeline(v: Awaited<ReturnType<typeof validatePipeline>>): ResolvedPipeline {
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
  };
}
