// Contract for the SQL front end (being implemented). Signatures are fixed; bodies may change.
import type { SluiceError, SourceLocation } from '../errors/index.ts';
import type { CompiledQuery, PipelineDefinitions } from '../model/index.ts';

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

/** Parses one Lakeflow SQL file into datasets, flows and settings. Never throws for user errors. */
export declare function parsePipelineSql(text: string, options: SqlParseOptions): Promise<SqlParseResult>;

/**
 * Compiles one Spark SQL query body (may contain STREAM(x), STREAM x, read_files(...), LIVE.x,
 * backticks, Spark functions) into DuckDB SQL with input placeholders. Throws SluiceError
 * (SQL_SYNTAX_ERROR, UNSUPPORTED_SPARK_FUNCTION, …) with `location` pointing into the file.
 */
export declare function compileQuery(
  sparkSql: string,
  options?: { readonly location?: SourceLocation; readonly configuration?: Readonly<Record<string, string>> },
): Promise<CompiledQuery>;

/** Translates one Spark SQL boolean/scalar expression (e.g. an expectation) to DuckDB SQL. */
export declare function translateExpression(
  sparkExpr: string,
  options?: { readonly location?: SourceLocation },
): Promise<string>;
