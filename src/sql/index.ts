/**
 * The Lakeflow SQL front end: parses pipeline `.sql` files into model definitions and
 * translates Spark SQL query bodies and expressions to DuckDB SQL.
 *
 * Stages: `tokenizer` (positions) → `pipeline-parser` (DDL statements, `${key}` substitution)
 * → `prepass` (token rewrites so DuckDB can parse Spark text) → DuckDB `json_serialize_sql`
 * (`duckdb-codec`, batched) → `translate` (inputs, the `functions` table, types) →
 * `json_deserialize_sql`.
 */
import type { SourceLocation } from '../errors/index.ts';
import type { CompiledQuery } from '../model/index.ts';
import { codeIdentity, type Database } from '../util/index.ts';
import { ANSI_MODE, LEGACY_MODE, sqlModeOf } from './ansi-mode.ts';
import {
  type AnalyzedExpression,
  analyzeExpression,
  compilePlacedQuery,
  placeText,
  type QueryOutput,
  type StandaloneSql,
  substitutePlaced,
  translateStandalone,
} from './compile.ts';
import { SqlCodec } from './duckdb-codec.ts';
import { type ProbeTypes, resolveFieldPaths } from './field-paths.ts';
import {
  type GroupAggregateRewrite,
  groupAggregateRewrite,
  type NotGroupAggregate,
} from './group-aggregate.ts';
import { resolveLegacyMarkers } from './legacy-markers.ts';
import { parseSqlFile } from './parse-file.ts';
import type { TableReference } from './translate.ts';
import type { FileFormatDetector, SqlParseOptions, SqlParseResult } from './types.ts';

export { ANSI_KEY, type SqlMode } from './ansi-mode.ts';
export type { QueryOutput, StandaloneSql, StandaloneStatement } from './compile.ts';
export { CompileCache, type CompileKeyParts } from './compile-cache.ts';
export { javaDatePattern } from './date-patterns.ts';
export type { ProbeTypes } from './field-paths.ts';
export { type FunctionRule, SPARK_FUNCTIONS } from './functions/index.ts';
export { type GroupAggregateRewrite, keyColumn, type NotGroupAggregate } from './group-aggregate.ts';
export { assertNoLegacyMarkers } from './legacy-marker-nodes.ts';
export { type DdlColumn, parseSparkColumns, parseSparkType } from './spark-ddl.ts';
export { substituteValues } from './substitute.ts';
export { type Token, tokenize } from './tokenizer.ts';
export type { TableReference } from './translate.ts';
export type { FileFormatDetector, SqlParseOptions, SqlParseResult } from './types.ts';
export { CLOCK_FUNCTIONS, mayCallVolatile, VOLATILE_FUNCTIONS } from './volatility.ts';
export { parseXmlOptions, unsupportedXml, XML_OPTION_KEYS, type XmlReadOptions } from './xml-options.ts';

/** The file position of character `offset` of a compiled query's source text (when it has a location). */
export function locateInQuery(query: CompiledQuery, offset: number): SourceLocation | undefined {
  return query.location ? placeText(query.source, query.location).locate(offset) : undefined;
}

/** Translations of location-free expressions kept per compiler (expectations repeat across flows). */
const MAX_CACHED_EXPRESSIONS = 10_000;

/** Options of a standalone expression (an expectation): where it is written, and the rows it reads. */
export interface ExpressionOptions {
  readonly location?: SourceLocation;
  /**
   * The columns of the rows the expression is evaluated on, when known: a reference `q.c` whose
   * `q` is not one of them but `c` is reads `c` (the query's alias of its rows, as in Spark).
   */
  readonly rowColumns?: readonly string[];
  /** Translate with ANSI mode off (Spark's non-ANSI results; see ansi-mode.ts). */
  readonly legacy?: boolean;
}

/**
 * The SQL front end of one session: every method parses with DuckDB through the compiler's own
 * batched codec (connections of `db`), and location-free expression translations are cached for
 * the compiler's life. Close it (before its database) to release the connections.
 */
export class SqlCompiler {
  readonly #codec: SqlCodec;
  readonly #expressions = new Map<string, Promise<AnalyzedExpression>>();
  /** Compiled queries with no dotted name that may read a field (nothing to type, whatever the inputs). */
  readonly #withoutFieldPaths = new Set<string>();
  #identity: string | undefined;

  constructor(db: Database) {
    this.#codec = new SqlCodec(db);
  }

  /**
   * Parses one Lakeflow SQL file into datasets, flows and settings. Never throws for user errors.
   * Errors about one statement carry `dataset` when the statement names one; a dataset whose
   * query fails to compile is still declared (without its flow), so the graph can tell the
   * root cause from its consequences.
   */
  parsePipelineSql(text: string, options: SqlParseOptions): Promise<SqlParseResult> {
    return parseSqlFile(this.#codec, text, options);
  }

  /**
   * Compiles one Spark SQL query body (may contain STREAM(x), STREAM x, read_files(...), LIVE.x,
   * backticks, Spark functions) into DuckDB SQL with input placeholders. Throws SluiceError
   * (SQL_SYNTAX_ERROR, UNSUPPORTED_SPARK_FUNCTION, UNDEFINED_CONFIGURATION_KEY, …) with
   * `location` pointing into the file (`options.location` is where `sparkSql` starts).
   * `${key}` references are substituted only when `configuration` is given.
   */
  compileQuery(
    sparkSql: string,
    options?: {
      readonly location?: SourceLocation;
      readonly configuration?: Readonly<Record<string, string>>;
      readonly detectFormat?: FileFormatDetector;
      /** `dataset` when the query defines a dataset: every output column must be named. */
      readonly output?: QueryOutput;
    },
  ): Promise<CompiledQuery> {
    try {
      return compilePlacedQuery(
        this.#codec,
        substitutePlaced(sparkSql, options?.configuration, options?.location),
        options?.detectFormat,
        sqlModeOf(options?.configuration),
        options?.output,
      );
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Translates one Spark SQL boolean/scalar expression (e.g. an expectation) to DuckDB SQL. */
  async translateExpression(sparkExpr: string, options?: ExpressionOptions): Promise<string> {
    return (await this.#expression(sparkExpr, options)).sql;
  }

  /**
   * The columns a Spark SQL expression reads (first name of each column reference, in order of
   * appearance, deduplicated; lambda parameters, subqueries and CURRENT_TIMESTAMP-like keywords
   * excluded). Throws like `translateExpression` when the expression does not parse.
   */
  async expressionColumns(sparkExpr: string, options?: ExpressionOptions): Promise<string[]> {
    return [...(await this.#expression(sparkExpr, options)).columns];
  }

  /**
   * Translates standalone Spark SQL queries (e.g. for `sluice query`; several `;`-separated
   * statements allowed) to DuckDB SQL, reporting the tables they name (CTEs excluded) without
   * replacing them. Only queries are accepted (SQL_UNSUPPORTED_STATEMENT otherwise).
   */
  translateStandaloneSql(
    sparkSql: string,
    options?: {
      /** Replacement relation name for a table (e.g. a temp view over a Delta table); undefined keeps it. */
      readonly rename?: (table: TableReference) => string | undefined;
    },
  ): Promise<StandaloneSql> {
    return translateStandalone(this.#codec, sparkSql, options?.rename);
  }

  /**
   * Rewrites a grouped aggregate over one input (DuckDB SQL) for refresh by groups, or says why
   * it cannot be (see `group-aggregate.ts`).
   */
  groupAggregateRewrite(
    duckdbSql: string,
    inputColumns: readonly string[],
    keysTable: string,
  ): Promise<GroupAggregateRewrite | NotGroupAggregate> {
    return groupAggregateRewrite(this.#codec, duckdbSql, inputColumns, keysTable);
  }

  /**
   * A compiled query (DuckDB SQL) typed for DuckDB now that `probe` can tell the types of its
   * inputs' columns: Spark's field access through arrays of structs (`arr.f`: the array of the
   * elements' `f`, see `field-paths.ts`), then the non-ANSI conversions whose form depends on
   * their operand's type (markers, see `legacy-markers.ts`). The text itself when it has neither.
   */
  async resolveFieldPaths(duckdbSql: string, probe: ProbeTypes): Promise<string> {
    if (this.#withoutFieldPaths.has(duckdbSql)) return resolveLegacyMarkers(this.#codec, duckdbSql, probe);
    const { sql, sites } = await resolveFieldPaths(this.#codec, duckdbSql, probe);
    if (!sites) {
      if (this.#withoutFieldPaths.size > MAX_CACHED_EXPRESSIONS) this.#withoutFieldPaths.clear();
      this.#withoutFieldPaths.add(duckdbSql);
    }
    return resolveLegacyMarkers(this.#codec, sql, probe);
  }

  /**
   * A compiled query (DuckDB SQL) with only its non-ANSI conversions typed by `probe` (see
   * `legacy-markers.ts`), its field access left as written. The text itself when it has none.
   */
  resolveLegacyMarkers(duckdbSql: string, probe: ProbeTypes): Promise<string> {
    return resolveLegacyMarkers(this.#codec, duckdbSql, probe);
  }

  /**
   * What identifies the code compiling (sluice's version, DuckDB's, the sources' hash; see
   * `codeIdentity`): the salt of a {@link CompileCache}. Computed once per compiler.
   */
  codeIdentity(): string {
    this.#identity ??= codeIdentity();
    return this.#identity;
  }

  /** Releases the compiler's DuckDB connections. */
  close(): Promise<void> {
    return this.#codec.close();
  }

  #expression(sparkExpr: string, options: ExpressionOptions = {}): Promise<AnalyzedExpression> {
    const { location, rowColumns } = options;
    const mode = options.legacy ? LEGACY_MODE : ANSI_MODE;
    // Errors carry a location, so only location-free analyses (of any rows) are shared.
    if (location || rowColumns) return analyzeExpression(this.#codec, sparkExpr, location, rowColumns, mode);
    const key = options.legacy ? `legacy\u0000${sparkExpr}` : sparkExpr;
    let p = this.#expressions.get(key);
    if (!p) {
      if (this.#expressions.size > MAX_CACHED_EXPRESSIONS) this.#expressions.clear();
      p = analyzeExpression(this.#codec, sparkExpr, undefined, undefined, mode);
      this.#expressions.set(key, p);
    }
    return p;
  }
}
export {
  queryReads,
  readSqlDeclarations,
  type SqlDeclarations,
  type SqlFlowDeclaration,
  type SqlRead,
} from './declarations.ts';
