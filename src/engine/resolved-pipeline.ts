import type { SluiceError } from '../errors/index.ts';
import type { ExecutionPlan } from '../graph/index.ts';
import type { Dataset, Flow } from '../model/index.ts';

/** A validated pipeline, as the engine runs it: resolved once by the graph, never looked up again. */
export interface ResolvedPipeline {
  readonly name: string;
  /** Folder holding the spec; relative source paths resolve against it. */
  readonly root: string;
  /** Absolute storage folder (tables/, checkpoints/, system/). */
  readonly storage: string;
  readonly configuration: Readonly<Record<string, string>>;
  readonly continuous: boolean;
  /** Every dataset and flow as defined (views included), for the event log's definitions. */
  readonly datasets: readonly Dataset[];
  readonly flows: readonly Flow[];
  /** The flows that run, with their targets and inlined query trees, in dependency order. */
  readonly plan: ExecutionPlan;
  /**
   * Datasets validation refused for a construct sluice does not support in their query, and
   * those that read them (`upstream` set): not in `plan`, reported as FAILED / SKIPPED flows.
   */
  readonly refused?: readonly RefusedDataset[];
}

/** A dataset that does not run in this update, and why. */
export interface RefusedDataset {
  readonly dataset: Dataset;
  /** Its own refusal, or (with `upstream`) the UPSTREAM_FAILED note naming what it reads. */
  readonly error: SluiceError;
  /** The refused datasets it reads, when it is refused only because of them. */
  readonly upstream?: readonly string[];
}
