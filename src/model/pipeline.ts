import type { SourceLocation } from '../errors/index.ts';
import type { Dataset } from './dataset.ts';
import type { Flow } from './flow.ts';

/** Everything the front ends (SQL files and TS files) declared, before graph resolution. */
export interface PipelineDefinitions {
  readonly datasets: readonly Dataset[];
  readonly flows: readonly Flow[];
  /** `SET key = value` statements, in order; they extend the spec's configuration. */
  readonly settings: readonly {
    readonly key: string;
    readonly value: string;
    readonly location?: SourceLocation;
  }[];
}

export function emptyDefinitions(): PipelineDefinitions {
  return { datasets: [], flows: [], settings: [] };
}
