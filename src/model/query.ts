import type { SourceLocation } from '../errors/index.ts';

/** File formats `read_files` can ingest. */
export type FileFormat = 'json' | 'csv' | 'parquet' | 'text' | 'xml';

/** What a files input reads: files of a format, or the Delta table at a path (``delta.`path` ``). */
export type FileInputFormat = FileFormat | 'delta';

/**
 * Which Spark reader a files input stands for; it sets the options' defaults:
 * - `read_files`: `read_files(…)` — typed inference, CSV headers, a `_rescued_data` column;
 * - `cloud_files`: legacy Auto Loader `cloud_files(path, format, map(…))` — always a stream, JSON
 *   and CSV columns inferred as STRING unless `cloudFiles.inferColumnTypes`;
 * - `path`: a file-path table (``json.`path` ``) — Spark's plain reader (`spark.read.<format>`):
 *   no rescued data column, CSV without header and with STRING columns.
 */
export type FileReader = 'read_files' | 'cloud_files' | 'path';

/**
 * One relation a flow query reads. Inputs are numbered in order of appearance; the compiled
 * DuckDB text names input `i` by the identifier `inputPlaceholder(i)`, which the engine binds
 * to a relation (a temp view on the flow's own connection) before running the query.
 */
export type QueryInput =
  | {
      readonly kind: 'dataset';
      /** Dataset name as written, without `LIVE.` prefix; may be `schema.name`. */
      readonly name: string;
      /** True for `STREAM(x)` / `STREAM x` / `stream('x')`. */
      readonly streaming: boolean;
      /** `… WATERMARK col DELAY OF INTERVAL …` on this read (streams only). */
      readonly watermark?: EventTimeWatermark;
      /**
       * Reader options written on a streaming read (`STREAM(x) WITH ('readChangeFeed' = 'true')`,
       * `stream('x', { readChangeFeed: true })`), names as written, values as strings; see
       * {@link changeFeedRead}. Absent when none were given.
       */
      readonly options?: Readonly<Record<string, string>>;
      /**
       * `table_changes('x', start[, end])`: a batch read of the change data feed of versions
       * start..end (end: the version the read is pinned to) instead of the rows.
       * Invariant: 0 ≤ start ≤ end when both are given.
       */
      readonly changes?: { readonly startVersion: number; readonly endVersion?: number };
      readonly location?: SourceLocation;
    }
  | {
      readonly kind: 'files';
      readonly path: string;
      readonly format: FileInputFormat;
      /** Options as written (`header`, `delimiter`, `schema`, `maxFilesPerTrigger`, …), values as strings. */
      readonly options: Readonly<Record<string, string>>;
      /** True for `STREAM read_files(...)` (and every `cloud_files(...)`). */
      readonly streaming: boolean;
      /** The reader written (default `read_files`); see {@link FileReader}. */
      readonly reader?: FileReader;
      /** The query reads the hidden `_metadata` column (or `input_file_name()`) of these files. */
      readonly metadata?: boolean;
      /** `… WATERMARK col DELAY OF INTERVAL …` on this read (streams only). */
      readonly watermark?: EventTimeWatermark;
      readonly location?: SourceLocation;
    };

/**
 * An event-time watermark declared on a streaming read (`WATERMARK col DELAY OF INTERVAL …`,
 * `withWatermark(col, delay)`): the flow's watermark is max(col seen) − delay. Invariant:
 * `delayMicros` > 0 and below a month, as Spark requires.
 */
export interface EventTimeWatermark {
  /** The input column holding event time (a TIMESTAMP). */
  readonly column: string;
  readonly delayMicros: number;
  /**
   * `WATERMARK expr AS column DELAY OF …`: the event time is computed, and the read has it as
   * its column `column`, first, before the columns of the relation read (Spark projects
   * `expr AS column, *` below the watermark). Absent when `column` is a column of the relation.
   */
  readonly expression?: EventTimeExpression;
}

/**
 * A computed event time: DuckDB SQL over the columns of the relation a watermarked read reads.
 * Invariants (checked when compiled): deterministic, reads at least one column, no subquery,
 * aggregate or window function; its type is TIMESTAMP (checked where the columns are known).
 */
export interface EventTimeExpression {
  readonly kind: 'event_time_expression';
  readonly sql: string;
  /** Where the expression is written. */
  readonly location?: SourceLocation;
}

/** A dataset read's option by name, case-insensitively (Spark's reader options are). */
export function readOption(input: QueryInput, name: string): string | undefined {
  if (input.kind !== 'dataset' || !input.options) return undefined;
  const lower = name.toLowerCase();
  return Object.entries(input.options).find(([k]) => k.toLowerCase() === lower)?.[1];
}

/**
 * How a streaming dataset read reads: its rows (`undefined`), or its change data feed
 * (`readChangeFeed` true) from `startingVersion` (absent: the table as of the stream's start as
 * inserts, then the changes after it, as Databricks does; `latest`: only changes after the start).
 * Validate checks the options (graph/change-feed-checks.ts), so `startingVersion` is a
 * non-negative integer or `latest` here.
 */
export function changeFeedRead(
  input: QueryInput,
): { readonly startingVersion?: number | 'latest' } | undefined {
  if (!/^true$/i.test(readOption(input, 'readChangeFeed') ?? '')) return undefined;
  const start = readOption(input, 'startingVersion')?.trim();
  if (start === undefined) return {};
  return { startingVersion: /^latest$/i.test(start) ? 'latest' : Number(start) };
}

/** The DuckDB identifier standing for input `i` in compiled query text. */
export function inputPlaceholder(i: number): string {
  return `__sluice_input_${i}`;
}

/**
 * A part of a query that keeps state across rows (aggregation, DISTINCT, a window function, a
 * join or set operation, LIMIT, ORDER BY), with the inputs (indexes into `inputs`) it reads.
 * Over a stream these need state kept across micro-batches.
 */
export interface StatefulOperation {
  readonly kind: 'aggregate' | 'distinct' | 'window' | 'join' | 'set_operation' | 'limit' | 'order';
  readonly inputs: readonly number[];
  /** Joins: the inputs of the left and of the right side. */
  readonly sides?: readonly [readonly number[], readonly number[]];
  /** Joins: DuckDB's join type (INNER, LEFT, RIGHT, OUTER, SEMI, ANTI, …). */
  readonly joinType?: string;
  readonly location?: SourceLocation;
}

/**
 * A flow's query after front-end compilation. `sql` is DuckDB SQL; every input reference in it
 * has been replaced by its placeholder identifier (aliased to the name the user wrote, so
 * qualified column references keep working).
 */
export interface CompiledQuery {
  readonly kind: 'query';
  /** The query as the user wrote it (after `${key}` substitution), Spark SQL. */
  readonly source: string;
  /** DuckDB SQL with input placeholders. */
  readonly sql: string;
  readonly inputs: readonly QueryInput[];
  /** Output column names when statically known (an explicit select list without `*`). */
  readonly outputColumns?: readonly string[];
  /** Its stateful operations (absent when there are none); see {@link StatefulOperation}. */
  readonly stateful?: readonly StatefulOperation[];
  /**
   * How the query keeps state across micro-batches of a watermarked stream (a windowed
   * aggregation, a de-duplication, a join of two streams), or why it cannot; present exactly when
   * the query aggregates or de-duplicates a watermarked input, or joins two streams.
   */
  readonly statefulPlan?: StreamingAggregate | StreamingDedup | StreamJoin | StatefulRefusal;
  /**
   * Translated with ANSI mode off (`spark.sql.ansi.enabled = false`: Spark's non-ANSI results);
   * absent when ANSI is on. The expectations of the dataset it defines are translated the same way.
   */
  readonly legacy?: true;
  readonly location?: SourceLocation;
}

/** Why a query over a watermarked stream cannot run statefully (Spark's reason). */
export interface StatefulRefusal {
  readonly kind: 'stateful_refusal';
  /** The stateful operation refused. */
  readonly operation: 'aggregate' | 'distinct' | 'join';
  readonly reason: string;
  /** The code validate reports (STREAMING_QUERY_NOT_SUPPORTED when absent). */
  readonly code?: 'STREAM_JOIN_NOT_SUPPORTED' | 'STREAM_JOIN_STATE_UNBOUNDED';
  readonly location?: SourceLocation;
}

/**
 * A windowed aggregation of one watermarked stream, split for state kept across micro-batches
 * as partial aggregates. Column names: `__sluice_k<i>` keys (in GROUP BY order),
 * `__sluice_p<j>` partial aggregates, `__sluice_rows` the input rows of a group.
 * Invariants: key `__sluice_k<windowKey>` is the start of an event-time window over the watermark
 * column in microseconds since the epoch (a BIGINT, never NULL; the window ends `windowMicros`
 * later); merging is associative, so merge(state ∪ partial(batch)) equals partial(all rows).
 */
export interface StreamingAggregate {
  readonly kind: 'streaming_aggregate';
  /** The index of the watermarked input. */
  readonly input: number;
  readonly watermark: EventTimeWatermark;
  readonly keyCount: number;
  readonly partialCount: number;
  readonly windowKey: number;
  /**
   * `fixed`: window() (tumbling or sliding), a group's window ends `windowMicros` after its start.
   * `session`: session_window() with gap `windowMicros`; a batch row's session is `[ts, ts + gap)`,
   * and merged rows and state carry their session's end in `__sluice_end` (µs), as `mergeSql`
   * merges the sessions of a group that overlap or touch.
   */
  readonly windowKind: 'fixed' | 'session';
  /** The window's length (fixed) or the session gap, in microseconds. */
  readonly windowMicros: number;
  /** Per batch: the keys and partial aggregates of the input rows (same placeholders as `sql`). */
  readonly partialSql: string;
  /**
   * Per batch: one row, column `__sluice_max`, the latest event time (µs) of the input rows the
   * watermark sees — those passing the WHERE conjuncts Spark's optimizer pushes below the
   * watermark (deterministic, not reading the event time), so rows they remove do not move it.
   */
  readonly watermarkSql: string;
  /** Over relation `__sluice_state_in` (state ∪ partials): one merged row per key. */
  readonly mergeSql: string;
  /**
   * Over relation `__sluice_closed` (merged rows of closed windows): the query's rows, columns
   * `__sluice_o<i>`, the window rebuilt as the struct {start, end} from its start.
   */
  readonly finalSql: string;
  /**
   * For fixed windows: `partialSql` over the input rows of several batches at once, each row
   * tagged with its batch id in column `__sluice_b` (BIGINT) — the tag selected first and grouped
   * by, so each batch's rows give exactly the rows `partialSql` gives for that batch alone, tagged.
   * Without `watermarkByBatchSql`, its rows also carry `__sluice_max`, the latest event time of
   * their group (µs), and hold every row the watermark sees: a batch's latest event time is the
   * max of its rows'.
   */
  readonly partialByBatchSql?: string;
  /**
   * `watermarkSql` per batch (one row per `__sluice_b` with its `__sluice_max`), when
   * `partialByBatchSql` does not carry the latest event times.
   */
  readonly watermarkByBatchSql?: string;
}

/**
 * A de-duplication of one watermarked stream. Rows whose event time is at or before the
 * watermark after the previous batch are late (dropped, counted); rows without an event time are
 * never late and never leave state.
 *
 * - `distinct`: `SELECT DISTINCT …` (Spark's dropDuplicates with a watermark): a row is emitted
 *   the first time it is seen; the rows seen are kept in state until the watermark passes their
 *   event time. Invariant: the query's output has the event-time column (`eventTimeColumn`), so
 *   state is bounded by the watermark.
 * - `within_watermark`: Spark's dropDuplicatesWithinWatermark(keys), written
 *   `SELECT * FROM STREAM(x) WATERMARK … QUALIFY row_number() OVER (PARTITION BY keys) = 1`
 *   (the TypeScript API's `dropDuplicatesWithinWatermark` renders it): the first row of a key (in
 *   input order) is emitted whole; its key stays in state until the watermark reaches its event
 *   time + the delay, and rows of the key seen meanwhile are dropped.
 */
export type StreamingDedup =
  | {
      readonly kind: 'streaming_dedup';
      readonly mode: 'distinct';
      readonly input: number;
      readonly watermark: EventTimeWatermark;
      /** The output column holding the watermark column's value. */
      readonly eventTimeColumn: string;
      /** As {@link StreamingAggregate.watermarkSql}: the latest event time of the rows the watermark sees. */
      readonly watermarkSql?: string;
    }
  | {
      readonly kind: 'streaming_dedup';
      readonly mode: 'within_watermark';
      readonly input: number;
      readonly watermark: EventTimeWatermark;
      /** The input's columns that form the key. */
      readonly keys: readonly string[];
    };

/**
 * One side of a {@link StreamJoin}: a watermarked streaming input read directly by the join.
 * Invariant: a buffered row of this side whose event time is at or before
 * `global watermark + evictAfterMicros` can match no row the other side may still deliver (those
 * have event times after the watermark), per the join's time-range condition.
 */
export interface StreamJoinSide {
  /** The index of the input. */
  readonly input: number;
  /** The name the query gives the input (`FROM STREAM(x) AS alias`), which the condition uses. */
  readonly alias: string;
  readonly watermark: EventTimeWatermark;
  readonly evictAfterMicros: number;
  /**
   * What Spark's optimizer filters this input by below its watermark (DuckDB SQL over `alias`):
   * conjuncts of WHERE and ON reading only this input, and the NOT NULL constraints it infers
   * from ON (see sql/stream-join-filters.ts). Applied to the input's rows before anything else,
   * so the rows it removes neither move the watermark nor count as late nor enter state.
   */
  readonly filter?: string;
}

/**
 * A join of two watermarked streams (Spark's stream–stream join in append mode): inner, or left /
 * right outer, on at least one equality and an event-time range condition that bounds the state
 * of both sides. Each batch joins its new rows with the other side's buffered and new rows; rows
 * stay buffered until the global watermark (the min of both sides') makes a match impossible, and
 * an outer side's row leaving state without having matched is emitted with NULLs.
 */
export interface StreamJoin {
  readonly kind: 'stream_join';
  readonly joinType: 'inner' | 'left' | 'right';
  readonly left: StreamJoinSide;
  readonly right: StreamJoinSide;
  /** The ON condition (DuckDB SQL over the two aliases). */
  readonly condition: string;
  /** The query with its join made INNER (same placeholders as `sql`): the rows of matched pairs. */
  readonly matchedSql: string;
}
