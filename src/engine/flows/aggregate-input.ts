/**
 * The first step of a streaming aggregation's batch: its input read into partial aggregates —
 * the one step that reads the batch's rows. It depends on nothing but the batch's recorded
 * offset, so while one batch merges, writes and commits on the flow's connection, the next batch
 * is planned and its partial aggregates computed on a second connection (both cores at work).
 */
import { randomUUID } from 'node:crypto';
import type { StreamingAggregate } from '../../model/index.ts';
import { inputPlaceholder } from '../../model/index.ts';
import { type DuckDBConnection, queryRows } from '../../util/index.ts';
import type { FlowCheckpoint } from '../checkpoints/flow-checkpoint.ts';
import type { BatchOffset } from '../checkpoints/offsets.ts';
import { bindQuery, typeFieldPaths } from '../sources/bind-query.ts';
import { skippedFileWarning } from '../sources/files.ts';
import { explainLeafReadError, leafSql } from '../sources/leaf-sql.ts';
import { isRepeatable } from '../writing/expectations.ts';
import { type ViewQuality, viewExpectationBinder } from '../writing/quarantine.ts';
import { describeSources, skipsChangeCommits } from './batch-planning.ts';
import type { FlowRun } from './flow-execution.ts';
import type { Lookahead } from './streaming-append.ts';

/** The relation name a batch's watermarked input rows are bound to (see bindBatchInput). */
export const INPUT = '__sluice_agg_input';

/** A batch's input, bound for one statement that reads it (see {@link bindBatchInput}). */
export interface BoundInput {
  readonly source: string;
  readonly views: ViewQuality[];
  readonly files: number;
  /** A WITH clause naming the input `__sluice_agg_input`, or '' when a temp table holds it. */
  readonly with: string;
  /** The input's SQL that `with` names (read it only in one statement); '' when a temp table holds it. */
  readonly sql: string;
  /** Equal for two batches whose input has the same columns and types. */
  readonly shape: string;
  /** Drops the temp table holding the input, if any. */
  readonly release: () => Promise<void>;
}

/**
 * The watermarked input's rows of a batch, as its offset records them, for one statement that
 * reads them: `with` is a WITH clause naming them `__sluice_agg_input` when the input reads the
 * same rows each time it is read within a statement (no volatile function), else empty and they
 * are held in a temp table of that name until `release` (views' expectations are evaluated on
 * the way, as in any batch).
 */
export async function bindBatchInput(
  { ctx, flow, conn }: Pick<FlowRun, 'ctx' | 'flow' | 'conn'>,
  plan: { readonly input: number },
  checkpoint: FlowCheckpoint,
  offset: BatchOffset,
): Promise<BoundInput> {
  const source = describeSources(offset);
  const views: ViewQuality[] = [];
  const shapes: string[] = [];
  const files = Object.values(offset.sources).reduce(
    (n, s) => n + (s.kind === 'files' ? s.files.length : 0),
    0,
  );
  let inputSql: string;
  try {
    inputSql = await bindQuery(
      { ...flow.bound, query: { ...flow.bound.query, sql: `SELECT * FROM ${inputPlaceholder(plan.input)}` } },
      (leaf) =>
        leafSql(ctx, leaf, offset.sources[leaf.key], {
          skipChangeCommits: skipsChangeCommits(flow),
          onShape: (s) => shapes.push(`${leaf.key}=${s}`),
          onSkipped: (path, error) => ctx.warn(flow, skippedFileWarning(path, error, ctx.root)),
        }),
      viewExpectationBinder(ctx, flow, conn, checkpoint, { batchId: offset.batchId, source }, views),
      { sql: ctx.sql, conn },
    );
  } catch (e) {
    throw await explainLeafReadError(ctx, flow.leaves, offset.sources, e);
  }
  const shape = shapes.join('\n');
  if (isRepeatable(inputSql, [])) {
    return {
      source,
      views,
      files,
      shape,
      with: `WITH ${INPUT} AS (${inputSql}) `,
      sql: inputSql,
      release: async () => {},
    };
  }
  try {
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${INPUT} AS ${inputSql}`);
  } catch (e) {
    throw await explainLeafReadError(ctx, flow.leaves, offset.sources, e);
  }
  let held = true;
  const release = async () => {
    if (held) await conn.run(`DROP TABLE IF EXISTS ${INPUT}`).catch(() => {});
    held = false;
  };
  return { source, views, files, shape, with: '', sql: '', release };
}

/** The partial aggregates of one batch's input, in a table every connection of the flow sees. */
export interface BatchPartial {
  readonly batchId: number;
  readonly table: string;
  readonly source: string;
  readonly views: ViewQuality[];
  readonly files: number;
  readonly shape: string;
  /** When computed ahead: its counts against the watermark the batch starts from (see {@link lateCounts}). */
  readonly counts?: LateCounts & { readonly before: number | null };
}

/** A batch's late input rows against the watermark before it, and its latest event time (µs). */
export interface LateCounts {
  readonly late: number;
  readonly maxEventTime: number | null;
}

/**
 * The rows of the partial aggregates in `table` whose window ends at or before `before` (the
 * watermark after the previous batch: late), and the latest event time the watermark sees.
 */
export async function lateCounts(
  conn: DuckDBConnection,
  agg: StreamingAggregate,
  table: string,
  before: number | null,
): Promise<LateCounts> {
  const late = before === null ? 'false' : `${windowEnd(agg)} <= ${before}`;
  const [row] = await queryRows<{ late: bigint | null; m: bigint | null }>(
    conn,
    `SELECT sum(__sluice_rows) FILTER (WHERE ${late}) AS late, max(__sluice_max) AS m FROM ${table}`,
  );
  return {
    late: Number(row?.late ?? 0),
    maxEventTime: row?.m === null || row?.m === undefined ? null : Number(row.m),
  };
}

/** A batch row's window (or session, [ts, ts + gap)) end: `windowMicros` after its start (SQL). */
export function windowEnd(agg: StreamingAggregate): string {
  return `(__sluice_k${agg.windowKey} + ${agg.windowMicros})`;
}

/**
 * A flow's partial aggregates, batch by batch: two tables used in turn (the batch being merged
 * reads one while the next batch's is written into the other), named for this run.
 * Invariant: nothing here writes anything durable — a batch computed ahead only reads its input,
 * and its offset is logged (by the micro-batch loop) before anything derived from it is written.
 */
export class PartialAggregates {
  readonly #run: FlowRun;
  readonly #agg: StreamingAggregate;
  readonly #tables: readonly [string, string];
  #other: DuckDBConnection | undefined;
  #ahead: Promise<BatchPartial | undefined> | undefined;

  constructor(run: FlowRun, agg: StreamingAggregate) {
    this.#run = run;
    this.#agg = agg;
    const id = randomUUID().replaceAll('-', '').slice(0, 12);
    this.#tables = [`__sluice_agg_partial_${id}_0`, `__sluice_agg_partial_${id}_1`];
  }

  /**
   * The partial aggregates of batch `offset`: those computed ahead for it, else computed now on
   * the flow's connection (`beforeRead` gets the input's WITH clause first, while it is bound).
   */
  async of(
    checkpoint: FlowCheckpoint,
    offset: BatchOffset,
    beforeRead: (input: string) => Promise<void>,
  ): Promise<BatchPartial> {
    const ahead = await this.#ahead?.catch(() => undefined);
    this.#ahead = undefined;
    // Computed ahead and failed: computed again here, where its error is reported.
    if (ahead?.batchId === offset.batchId) return ahead;
    const { conn } = this.#run;
    const input = await bindBatchInput(this.#run, this.#agg, checkpoint, offset);
    try {
      await beforeRead(input.with);
      return await this.#compute(conn, input, offset);
    } finally {
      await input.release();
    }
  }

  /**
   * Starts planning the batch after `current` and computing its partial aggregates (and their
   * counts against `before`, the watermark after `current`) on a second connection, while
   * `current` goes on (see {@link Lookahead}). Not for inputs through views
   * (their expectations write while the input is bound) nor inputs that a volatile function makes
   * unrepeatable: those are read in turn.
   */
  ahead(checkpoint: FlowCheckpoint, current: BatchOffset, lookahead: Lookahead, before: number | null): void {
    const { ctx, flow } = this.#run;
    if (flow.bound.children.some((c) => c.kind === 'view')) return;
    this.#ahead = (async () => {
      this.#other ??= await ctx.db.connect();
      const conn = this.#other;
      const next = await lookahead(current, conn);
      if (!next) return undefined;
      const input = await bindBatchInput({ ctx, flow, conn }, this.#agg, checkpoint, next);
      if (input.with === '') {
        await input.release();
        return undefined;
      }
      const partial = await this.#compute(conn, input, next);
      const counts = await lateCounts(conn, this.#agg, partial.table, before);
      return { ...partial, counts: { ...counts, before } };
    })();
    this.#ahead.catch(() => {});
  }

  /** One statement reads the input: the partial aggregates of its rows and its latest event time. */
  async #compute(conn: DuckDBConnection, input: BoundInput, offset: BatchOffset): Promise<BatchPartial> {
    const { ctx, flow } = this.#run;
    const table = this.#tables[offset.batchId % 2]!;
    // Typed over the input as the flow's query is (Spark's `arr.f` through arrays of structs).
    const over = (sql: string) => `${input.with}SELECT * FROM (${sql})`;
    const bind = (sql: string) =>
      typeFieldPaths(sql.replace(/\b__sluice_input_\d+\b/g, INPUT), over, { sql: ctx.sql, conn });
    // The rows' partial aggregates, and one more row (no __sluice_rows) with the latest event
    // time the watermark sees; DuckDB reads the input once for both.
    await conn
      .run(
        `CREATE OR REPLACE TABLE ${table} AS ${input.with}SELECT * FROM (${await bind(this.#agg.partialSql)}) UNION ALL BY NAME SELECT * FROM (${await bind(this.#agg.watermarkSql)})`,
      )
      .catch(async (e: unknown) => {
        throw await explainLeafReadError(ctx, flow.leaves, offset.sources, e);
      });
    const { source, views, files, shape } = input;
    return { batchId: offset.batchId, table, source, views, files, shape };
  }

  /** Waits for work under way, drops the tables and closes the second connection. */
  async close(): Promise<void> {
    await this.#ahead?.catch(() => {});
    this.#ahead = undefined;
    for (const t of this.#tables) await this.#run.conn.run(`DROP TABLE IF EXISTS ${t}`).catch(() => {});
    this.#other?.closeSync();
    this.#other = undefined;
  }
}
