import type { SluiceError } from '../errors/index.ts';
import type { PipelineDefinitions } from '../model/index.ts';
import type { CompileCache } from './compile-cache.ts';

export interface SqlParseOptions {
  /** Path shown in errors and locations (relative to the pipeline root). */
  readonly file: string;
  /** Spec `configuration`, used for `${key}` substitution (SET statements in the file extend it). */
  readonly configuration: Readonly<Record<string, string>>;
  /** Default schema (spec `schema`/`database`); `USE SCHEMA` changes it for later statements. */
  readonly schema?: string;
  /** Infers the format of `read_files(path)` written without one (see {@link FileFormatDetector}). */
  readonly detectFormat?: FileFormatDetector;
  /** Compiled query bodies kept across loads (see {@link CompileCache}); none when absent. */
  readonly compileCache?: CompileCache;
}

/**
 * The file format of the data at a `read_files` path written without `format =>`, as Databricks
 * detects it, from the files there: `{ format }` (json, csv, parquet, text, …) or `{ reason }`
 * saying why it cannot tell (no files, several formats). Supplied by the caller that knows where
 * paths resolve (the SQL front end reads no files).
 */
export type FileFormatDetector = (path: string) => { readonly format: string } | { readonly reason: string };

export interface SqlParseResult {
  readonly definitions: PipelineDefinitions;
  /** Every error found (parsing continues with the next statement after an error). */
  readonly errors: readonly SluiceError[];
}
