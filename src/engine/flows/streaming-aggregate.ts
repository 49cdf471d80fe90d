import { stat } from 'node:fs/promises';
import { SluiceError } from '../../errors/index.ts';
import type { FlowPlan } from '../../graph/index.ts';
import { type EventTimeWatermark, inputPlaceholder, type StreamingAggregate } from '../../model/index.ts';
import {
  crashPoint,
  type DuckDBConnection,
  publishFile,
  queryRows,
  sqlIdent,
  sqlString,
} from '../../util/index.ts';
import type { FlowCheckpoint } from '../checkpoints/flow-checkpoint.ts';
import type { BatchOffset } from '../checkpoints/offsets.ts';
import { StateStore, type StateVersion } from '../checkpoints/state-store.ts';
import { bindQuery } from '../sources/bind-query.ts';
import { skippedFileWarning } from '../sources/files.ts';
import { explainLeafReadError, leafSql } from '../sources/leaf-sql.ts';
import type { BatchOutcome } from '../writing/batch-outcome.ts';
import { type ColumnsCache, writeBatch } from '../writing/batch-writer.ts';
import { isRepeatable } from '../writing/expectations.ts';
import { type ViewQuality, viewExpectationBinder } from '../writing/quarantine.ts';
import { describeSources, skipsChangeCommits } from './batch-planning.ts';
import type { FlowExecution, FlowExecutor, FlowRun } from './flow-execution.ts';
import { runMicroBatches } from './streaming-append.ts';

/** The temp table holding a batch's watermarked input rows (see readBatchInput). */
export const INPUT = '__sluice_agg_input';
const PARTIAL = '__sluice_agg_partial';
const MERGED = '__sluice_agg_merged';
const STATE_IN = '__sluice_state_in';
const CLOSED = '__sluice_closed';

/**
 * A streaming table's flow that aggregates a watermarked stream by event-time windows, in append
 * mode (Spark's streaming aggregation). Per micro-batch, all in DuckDB:
 *
 *   input rows ─► partial aggregates per (window, keys) ─► drop the late ones (window end ≤
 *   the watermark after the previous batch), counted ─► merge with the state of the previous
 *   batch ─► watermark = max(previous, max(event time) − delay) ─► windows that end at or before
 *   it are finished into the query's rows; the rest is the new state
 *
 * Windows are keyed by their start in µs. Session windows (session_window) key each batch row by
 * its own session [ts, ts + gap) and the merge joins the sessions of a group that overlap or touch
 * (state rows carry their session's end, `__sluice_end`); a session closes when its end is at or
 * before the watermark.
 *
 * The new state (Parquet) and its watermark are published under the batch id before the Delta
 * commit of the finished rows (txn {appId, batchId}); on restart the state of the committed batch
 * is read, so a crash between the two replays the batch from the same state and input — no group
 * is emitted twice or lost. Windows close in the batch whose data moves the watermark past them,
 * which is where Spark's following no-data batch emits them: an update ends with every window
 * the watermark has passed emitted.
 */
export class StreamingAggregateExecutor implements FlowExecutor {
  execute(run: FlowRun): Promise<FlowExecution> {
    const agg = run.flow.flow.query.statefulPlan;
    if (agg?.kind !== 'streaming_aggregate')
      throw new Error(`flow '${run.flow.flow.name}' is not a streaming aggregation`);
    let names: string[] | undefined;
    // The finished rows' columns follow from the query alone (its keys and aggregates).
    const columns = { cache: new Map(), shape: 'finished' };
    return runMicroBatches(run, async (checkpoint, offset) => {
      const store = new StateStore(checkpoint.log.dir);
      const outcome = await aggregateBatch(run, agg, { checkpoint, store, offset, columns }, async () => {
        names ??= await outputNames(run.conn, run.flow);
        return names;
      });
      await store.evictBefore(offset.batchId);
      return outcome;
    });
  }
}

/** The query's output column names, as the user's query names them (bound over the batch input). */
async function outputNames(conn: DuckDBConnection, f: FlowPlan): Promise<string[]> {
  const sql = f.flow.query.sql.replace(/\b__sluice_input_\d+\b/g, INPUT);
  const rows = await queryRows<{ column_name: string }>(conn, `DESCRIBE SELECT * FROM (${sql})`);
  return rows.map((r) => r.column_name);
}

/** Where one batch of a stateful flow reads and writes. */
interface StatefulBatch {
  readonly checkpoint: FlowCheckpoint;
  readonly store: StateStore;
  readonly offset: BatchOffset;
  readonly columns: { readonly cache: ColumnsCache; readonly shape: string };
}

async function aggregateBatch(
  run: FlowRun,
  agg: StreamingAggregate,
  { checkpoint, store, offset, columns: outputColumns }: StatefulBatch,
  names: () => Promise<string[]>,
): Promise<BatchOutcome> {
  const previous = await store.read(offset.batchId - 1);
  if (previous && !previous.columns) {
    // Written before state versions recorded their columns, when windows were kept as structs.
    throw new SluiceError(
      'STATE_STORE_INCONSISTENT',
      `the state of batch ${previous.batchId} in ${store.dir} was written by an earlier version of sluice in another layout; run with --full-refresh on the table to rebuild it from its sources`,
      { params: { batchId: previous.batchId } },
    );
  }
  const { source, views, files, input } = await readBatchInput(run, agg, checkpoint, offset, { view: true });
  const { ctx, flow, conn } = run;
  let inputKept = true;
  try {
    const columns = await names();
    // A batch row's window (or session, [ts, ts + gap)) ends `windowMicros` after its start; a
    // merged session carries its own end.
    const end = `(__sluice_k${agg.windowKey} + ${agg.windowMicros})`;
    const mergedEnd = agg.windowKind === 'session' ? '__sluice_end' : end;
    // One statement reads the input: the partial aggregates of its rows, and one more row
    // (no __sluice_rows) with its latest event time — a view is read twice in one transaction.
    const bind = (sql: string) => sql.replace(/\b__sluice_input_\d+\b/g, INPUT);
    await conn
      .run(
        `CREATE OR REPLACE TEMP TABLE ${PARTIAL} AS ${bind(agg.partialSql)} UNION ALL BY NAME ${bind(agg.watermarkSql)}`,
      )
      .catch(async (e: unknown) => {
        throw await explainLeafReadError(ctx, flow.leaves, offset.sources, e);
      });
    await conn.run(`DROP ${input} IF EXISTS ${INPUT}`);
    inputKept = false;
    const before = previous?.watermark ?? null;
    const late = before === null ? 'false' : `${end} <= ${before}`;
    const [counts] = await queryRows<{ late: bigint | null; m: bigint | null }>(
      conn,
      `SELECT sum(__sluice_rows) FILTER (WHERE ${late}) AS late, max(__sluice_max) AS m FROM ${PARTIAL}`,
    );
    const m = counts?.m === null || counts?.m === undefined ? null : Number(counts.m);
    const sessionEnd = agg.windowKind === 'session' ? `, ${end} AS __sluice_end` : '';
    const onTime = `SELECT * EXCLUDE (__sluice_max)${sessionEnd} FROM ${PARTIAL} WHERE __sluice_rows IS NOT NULL AND NOT (${late})`;
    const stateIn = previous
      ? `${await stateSql(conn, store, previous, `(${onTime})`)} UNION ALL BY NAME ${onTime}`
      : onTime;
    await conn.run(`CREATE OR REPLACE TEMP VIEW ${STATE_IN} AS ${stateIn}`);
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${MERGED} AS ${agg.mergeSql}`);
    const watermark = nextWatermark(before, m, agg.watermark);
    const closed = watermark === null ? 'false' : `${mergedEnd} <= ${watermark}`;
    await conn.run(`CREATE OR REPLACE TEMP VIEW ${CLOSED} AS SELECT * FROM ${MERGED} WHERE ${closed}`);

    // The open groups are the new state, durable before the commit that depends on it.
    const state = await writeState(run, store, offset.batchId, MERGED, `NOT (${closed})`, watermark);

    const finished = `SELECT ${columns.map((c, i) => `__sluice_o${i} AS ${sqlIdent(c)}`).join(', ')} FROM (${agg.finalSql})`;
    const outcome = await writeBatch(ctx, flow, conn, checkpoint, finished, {
      batchId: offset.batchId,
      mode: 'append',
      source,
      sourceFiles: files,
      views,
      columns: outputColumns,
    });
    return {
      ...outcome,
      stateful: { watermark, ...state, lateRowsDropped: Number(counts?.late ?? 0) },
    };
  } finally {
    for (const v of [CLOSED, STATE_IN]) await conn.run(`DROP VIEW IF EXISTS ${v}`).catch(() => {});
    for (const t of [MERGED, PARTIAL]) await conn.run(`DROP TABLE IF EXISTS ${t}`).catch(() => {});
    if (inputKept) await conn.run(`DROP ${input} IF EXISTS ${INPUT}`).catch(() => {});
  }
}

/**
 * Binds the watermarked input's rows of a batch, as its offset records them, as
 * `__sluice_agg_input` (views' expectations are evaluated on the way, as in any batch): a temp
 * view over the batch's sources when `view` is asked and the input reads the same rows each time
 * it is read within a transaction (no volatile function), else a temp table holding them.
 */
export async function readBatchInput(
  { ctx, flow, conn }: FlowRun,
  plan: { readonly input: number },
  checkpoint: FlowCheckpoint,
  offset: BatchOffset,
  options: { readonly view?: boolean } = {},
): Promise<{ source: string; views: ViewQuality[]; files: number; input: 'VIEW' | 'TABLE' }> {
  const source = describeSources(offset);
  const views: ViewQuality[] = [];
  const files = Object.values(offset.sources).reduce(
    (n, s) => n + (s.kind === 'files' ? s.files.length : 0),
    0,
  );
  let input: 'VIEW' | 'TABLE' = 'TABLE';
  try {
    const inputSql = await bindQuery(
      { ...flow.bound, query: { ...flow.bound.query, sql: `SELECT * FROM ${inputPlaceholder(plan.input)}` } },
      (leaf) =>
        leafSql(ctx, leaf, offset.sources[leaf.key], {
          skipChangeCommits: skipsChangeCommits(flow),
          onSkipped: (path, error) => ctx.warn(flow, skippedFileWarning(path, error, ctx.root)),
        }),
      viewExpectationBinder(ctx, flow, conn, checkpoint, { batchId: offset.batchId, source }, views),
    );
    input = options.view && isRepeatable(inputSql, []) ? 'VIEW' : 'TABLE';
    await conn.run(`CREATE OR REPLACE TEMP ${input} ${INPUT} AS ${inputSql}`);
  } catch (e) {
    throw await explainLeafReadError(ctx, flow.leaves, offset.sources, e);
  }
  return { source, views, files, input };
}

/** The latest event time of the rows of a relation, µs since the epoch (SQL of an aggregate). */
function eventTimeSql(watermark: EventTimeWatermark): string {
  return `epoch_us(max(CAST(${sqlIdent(watermark.column)} AS TIMESTAMP WITH TIME ZONE)))`;
}

/**
 * The latest event time of the batch input (µs since the epoch), or null when it has none; with
 * `watermarkSql` (a plan's, over the input placeholder), of the rows the watermark sees.
 */
export async function maxEventTime(
  conn: DuckDBConnection,
  watermark: EventTimeWatermark,
  watermarkSql?: string,
): Promise<number | null> {
  const [row] = await queryRows<{ m: bigint | null }>(
    conn,
    watermarkSql
      ? `SELECT __sluice_max AS m FROM (${watermarkSql.replace(/\b__sluice_input_\d+\b/g, INPUT)})`
      : `SELECT ${eventTimeSql(watermark)} AS m FROM ${INPUT}`,
  );
  return row?.m === null || row?.m === undefined ? null : Number(row.m);
}

/**
 * The watermark after a batch (µs): max(previous, max event time − delay); it never moves back.
 * In whole milliseconds, as Spark keeps event-time statistics (event time and delay each
 * truncated to the millisecond), so a row a fraction of a millisecond after Spark's watermark is
 * on time here too.
 */
export function nextWatermark(
  before: number | null,
  maxEvent: number | null,
  watermark: EventTimeWatermark,
): number | null {
  const seen =
    maxEvent === null
      ? null
      : (Math.trunc(maxEvent / 1000) - Math.trunc(watermark.delayMicros / 1000)) * 1000;
  if (before === null) return seen;
  return seen === null ? before : Math.max(before, seen);
}

/**
 * Publishes the rows of `table` that satisfy `keep` as the state of `batchId` (Parquet, then its
 * watermark), durably, before the batch's commit; returns its rows and bytes.
 */
export async function writeState(
  { flow, conn }: FlowRun,
  store: StateStore,
  batchId: number,
  table: string,
  keep: string,
  watermark: number | null,
): Promise<{ stateRows: number; stateBytes: number }> {
  // DuckDB writes HUGEINT (its sum of integers) to Parquet as DOUBLE; DECIMAL(38,0) keeps it exact.
  const columns = await queryRows<{ column_name: string; column_type: string }>(conn, `DESCRIBE ${table}`);
  const exact = columns.map((t) =>
    /HUGEINT$/.test(t.column_type)
      ? `CAST(${sqlIdent(t.column_name)} AS DECIMAL(38,0)) AS ${sqlIdent(t.column_name)}`
      : sqlIdent(t.column_name),
  );
  const tmp = await store.tempFor(batchId);
  // COPY answers the number of rows it wrote.
  const [row] = await queryRows<{ Count: bigint }>(
    conn,
    `COPY (SELECT ${exact.join(', ')} FROM ${table} WHERE ${keep}) TO ${sqlString(tmp)} (FORMAT parquet)`,
  );
  await publishFile(tmp, store.parquetPath(batchId));
  const stateRows = Number(row?.Count ?? 0);
  const stateBytes = (await stat(store.parquetPath(batchId))).size;
  await store.publish({
    batchId,
    watermark,
    stateRows,
    stateBytes,
    columns: columns.map((c) => ({ name: c.column_name, type: c.column_type })),
  });
  crashPoint('state-written', flow.flow.name);
  return { stateRows, stateBytes };
}

/**
 * SQL reading a state version back with the columns and types it was computed with (recorded
 * with it; else those of `like`, a table or a parenthesized query).
 */
export async function stateSql(
  conn: DuckDBConnection,
  store: StateStore,
  version: StateVersion,
  like: string,
): Promise<string> {
  const types =
    version.columns ??
    (
      await queryRows<{ column_name: string; column_type: string }>(conn, `DESCRIBE SELECT * FROM ${like}`)
    ).map((t) => ({ name: t.column_name, type: t.column_type }));
  const typed = types.map((t) => `CAST(${sqlIdent(t.name)} AS ${t.type}) AS ${sqlIdent(t.name)}`);
  return `SELECT ${typed.join(', ')} FROM read_parquet(${sqlString(store.parquetPath(version.batchId))})`;
}
