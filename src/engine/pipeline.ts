import type { Dataset, Flow } from '../model/index.ts';

/** A validated pipeline, as the engine needs it. */
export interface LoadedPipeline {
  readonly name: string;
  /** Folder holding the spec; relative source paths resolve against it. */
  readonly root: string;
  /** Absolute storage folder (tables/, checkpoints/, system/). */
  readonly storage: string;
  readonly configuration: Readonly<Record<string, string>>;
  readonly datasets: readonly Dataset[];
  readonly flows: readonly Flow[];
  readonly continuous: boolean;
}
