import type { SourceLocation } from '../errors/index.ts';
import type { Dataset } from './dataset.ts';
import type { Flow } from './flow.ts';
import type { FileInputFormat } from './query.ts';

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
  /** Tables outside the pipeline bound to local data (the spec's `external_tables`). */
  readonly externalTables?: readonly ExternalTable[];
}

/**
 * A table outside the pipeline (`catalog.schema.table`) bound to local data by the spec: every
 * read of that name, batch or `STREAM`, reads the Delta table at `path` (format `delta`) or the
 * files under it as `read_files` would. Invariant: `name` has a qualifier (two or more parts),
 * so it never hides one of the pipeline's own datasets.
 */
export interface ExternalTable {
  readonly name: string;
  /** As written in the spec: absolute, or relative to the pipeline's root. */
  readonly path: string;
  readonly format: FileInputFormat;
  readonly options: Readonly<Record<string, string>>;
  readonly location?: SourceLocation;
}

export function emptyDefinitions(): PipelineDefinitions {
  return { datasets: [], flows: [], settings: [] };
}
