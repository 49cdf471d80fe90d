import type { SluiceError } from '../errors/index.ts';
import type { PipelineDefinitions } from '../model/index.ts';

export interface SqlParseOptions {
  /** Path shown in errors and locations (relative to the pipeline root). */
  readonly file: string;
  /** Spec `configuration`, used for `${key}` substitution (SET statements in the file extend it). */
  readonly configuration: Readonly<Record<string, string>>;
  /** Default schema (spec `schema`/`database`); `USE SCHEMA` changes it for later statements. */
  readonly schema?: string;
}

export interface SqlParseResult {
  readonly definitions: PipelineDefinitions;
  /** Every error found (parsing continues with the next statement after an error). */
  readonly errors: readonly SluiceError[];
}
