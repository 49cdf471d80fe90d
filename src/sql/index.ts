/**
 * The Lakeflow SQL front end: parses pipeline `.sql` files into model definitions and
 * translates Spark SQL query bodies and expressions to DuckDB SQL.
 *
 * Stages: `tokenizer` (positions) → `pipeline-parser` (DDL statements, `${key}` substitution)
 * → `prepass` (token rewrites so DuckDB can parse Spark text) → DuckDB `json_serialize_sql`
 * (`duckdb-codec`, batched) → `translate` (inputs, the `functions` table, types) →
 * `json_deserialize_sql`.
 */
import type { SluiceError, SourceLocation } from '../errors/index.ts';
import type { CompiledQuery, PipelineDefinitions } from '../model/index.ts';
import {
  compilePlacedQuery,
  type StandaloneSql,
  sparkExpressionColumns,
  substitutePlaced,
  translateSparkExpression,
  translateStandalone,
} from './compile.ts';
import { parseSqlFile } from './parse-file.ts';

export type { StandaloneSql, StandaloneStatement } from './compile.ts';
export { javaDatePattern } from './date-patterns.ts';
export { type FunctionRule, SPARK_FUNCTIONS } from './functions.ts';
export { type DdlColumn, parseSparkColumns, parseSparkType } from './spark-ddl.ts';

import type { TableReference } from './translate.ts';

export type { TableReference } from './translate.ts';

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

/**
 * Parses one Lakeflow SQL file into datasets, flows and settings. Never throws for user errors.
 * Errors about one statement carry `dataset` when the statement names one; a dataset whose
 * query fails to compile is still declared (without its flow), so the graph can tell the
 * root cause from its consequences.
 */
export function parsePipelineSql(text: string, options: SqlParseOptions): Promise<SqlParseResult> {
  return parseSqlFile(text, options);
}

/**
 * Compiles one Spark SQL query body (may contain STREAM(x), STREAM x, read_files(...), LIVE.x,
 * backticks, Spark functions) into DuckDB SQL with input placeholders. Throws SluiceError
 * (SQL_SYNTAX_ERROR, UNSUPPORTED_SPARK_FUNCTION, UNDEFINED_CONFIGURATION_KEY, …) with
 * `location` pointing into the file (`options.location` is where `sparkSql` starts).
 * `${key}` references are substituted only when `configuration` is given.
 */
export function compileQuery(
  sparkSql: string,
  options?: { readonly location?: SourceLocation; readonly configuration?: Readonly<Record<string, string>> },
): Promise<CompiledQuery> {
  try {
    return compilePlacedQuery(substitutePlaced(sparkSql, options?.configuration, options?.location));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Translates one Spark SQL boolean/scalar expression (e.g. an expectation) to DuckDB SQL. */
export function translateExpression(
  sparkExpr: string,
  options?: { readonly location?: SourceLocation },
): Promise<string> {
  return translateSparkExpression(sparkExpr, options?.location);
}

/**
 * The columns a Spark SQL expression reads (first name of each column reference, in order of
 * appearance, deduplicated; lambda parameters, subqueries and CURRENT_TIMESTAMP-like keywords
 * excluded). Throws like `translateExpression` when the expression does not parse.
 */
export function expressionColumns(
  sparkExpr: string,
  options?: { readonly location?: SourceLocation },
): Promise<string[]> {
  return sparkExpressionColumns(sparkExpr, options?.location);
}

/**
 * Translates standalone Spark SQL queries (e.g. for `sluice query`; several `;`-separated
 * statements allowed) to DuckDB SQL, reporting the tables they name (CTEs excluded) without
 * replacing them. Only queries are accepted (SQL_UNSUPPORTED_STATEMENT otherwise).
 */
export function translateStandaloneSql(
  sparkSql: string,
  options?: {
    /** Replacement relation name for a table (e.g. a temp view over a Delta table); undefined keeps it. */
    readonly rename?: (table: TableReference) => string | undefined;
  },
): Promise<StandaloneSql> {
  return translateStandalone(sparkSql, options?.rename);
}
export { CLOCK_FUNCTIONS, mayCallVolatile, VOLATILE_FUNCTIONS } from './volatility.ts';
