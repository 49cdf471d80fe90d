import { SluiceError } from '../../errors/index.ts';
import type { FlowPlan } from '../../graph/index.ts';
import { type EventTimeWatermark, inputPlaceholder, type StreamingAggregate } from '../../model/index.ts';
import type { SqlCompiler } from '../../sql/index.ts';
import { crashPoint, type DuckDBConnection, queryRows, sqlIdent } from '../../util/index.ts';
import type { FlowCheckpoint } from '../checkpoints/flow-checkpoint.ts';
import type { BatchOffset } from '../checkpoints/offsets.ts';
import { StateStore, type StateVersion } from '../checkpoints/state-store.ts';
import { bindQuery, typeFieldPaths } from '../sources/bind-query.ts';
import { skippedFileWarning } from '../sources/files.ts';
import { explainLeafReadError, leafSql } from '../sources/leaf-sql.ts';
import type { BatchOutcome } from '../writing/batch-outcome.ts';
import { type ColumnsCache, writeBatch } from '../writing/batch-writer.ts';
import { isRepeatable } from '../writing/expectations.ts';
import { type ViewQuality, viewExpectationBinder } from '../writing/quarantine.ts';
import { type BoundInput, INPUT, lateCounts, PartialAggregates, windowEnd } from './aggregate-input.ts';
import { copyState, nextWatermark, stateSql, writeState } from './aggregate-state.ts';
import { describeSources, skipsChangeCommits } from './batch-planning.ts';
import type { FlowExecution, FlowExecutor, FlowRun } from './flow-execution.ts';
import { bindGroup, fusible, groupFits, runFusedGroup } from './fused-aggregate.ts';
import { type BatchGroups, type Lookahead, runMicroBatches } from './streaming-append.ts';

export { copyState, INPUT, nextWatermark, stateSql, writeState };

/** The merged groups of a batch, open and closed, in two tables used in turn (see HeldState). */
const MERGED = ['__sluice_agg_merged_0', '__sluice_agg_merged_1'] as const;
const STATE_IN = '__sluice_state_in';
const CLOSED = '__sluice_closed';

/**
 * The state after the last batch this run committed, kept in DuckDB so that the next batch
 * merges with it without reading its Parquet back: its merged groups (`table`, open and closed)
 * and the predicate selecting the open ones. Valid only for the batch right after `version`.
 */
interface HeldState {
  readonly version: StateVersion;
  readonly table: string;
  readonly open: string;
}

/** What an aggregation remembers across the batches of one run (caches only; a replay needs none of it). */
interface AggregateRun {
  held?: HeldState;
  /** The state's columns, keyed by the input's shape and the previous state's columns. */
  readonly stateColumns: Map<string, readonly { readonly name: string; readonly type: string }[]>;
  /** The removal of the version before the held one, under way. */
  evicting?: Promise<void>;
  store?: StateStore;
}

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
 * commit of the finished rows (txn {appId, batchId}) — written while the finished rows' file is
 * written, awaited before the commit; on restart the state of the committed batch is read, so a
 * crash between the two replays the batch from the same state and input — no group is emitted
 * twice or lost. Within a run the merged groups stay in a DuckDB table for the next batch (the
 * Parquet is read only when a run starts). Windows close in the batch whose data moves the
 * watermark past them, which is where Spark's following no-data batch emits them: an update ends
 * with every window the watermark has passed emitted.
 */
export class StreamingAggregateExecutor implements FlowExecutor {
  async execute(run: FlowRun): Promise<FlowExecution> {
    const agg = run.flow.flow.query.statefulPlan;
    if (agg?.kind !== 'streaming_aggregate')
      throw new Error(`flow '${run.flow.flow.name}' is not a streaming aggregation`);
    let names: string[] | undefined;
    // The finished rows' columns follow from the query alone (its keys and aggregates).
    const columns = { cache: new Map(), shape: 'finished' };
    const state: AggregateRun = { stateColumns: new Map() };
    const partials = new PartialAggregates(run, agg);
    const storeOf = (checkpoint: FlowCheckpoint): StateStore => {
      if (state.store?.dir !== new StateStore(checkpoint.log.dir).dir) {
        state.store = new StateStore(checkpoint.log.dir);
        state.held = undefined;
      }
      return state.store;
    };
    const oneBatch = async (checkpoint: FlowCheckpoint, offset: BatchOffset, lookahead: Lookahead) => {
      const store = storeOf(checkpoint);
      const first = state.held === undefined;
      const outcome = await aggregateBatch(
        run,
        agg,
        { checkpoint, store, offset, columns },
        state,
        { partials, lookahead },
        async (input) => {
          names ??= await outputNames(run.ctx.sql, run.conn, run.flow, input);
        },
        () => names!,
      );
      // The version before this one is no longer needed (this one is committed).
      await state.evicting;
      state.evicting = first ? store.evictBefore(offset.batchId) : store.evictVersion(offset.batchId - 1);
      return outcome;
    };
    const groups: BatchGroups | undefined = (await fusible(run, agg))
      ? {
          fits: groupFits,
          run: async (checkpoint, offsets, committed) => {
            const store = storeOf(checkpoint);
            const inputs = await bindGroup(run, agg, checkpoint, offsets);
            if (inputs) {
              names ??= await outputNames(run.ctx.sql, run.conn, run.flow, inputs[0]!.with);
              const fused = await fusedGroup(
                run,
                agg,
                { checkpoint, store, offsets, columns },
                state,
                inputs,
                names,
                committed,
              );
              if (fused) return;
            }
            // Batch by batch: the same result, each batch committed on its own.
            for (const o of offsets) await committed(o, await oneBatch(checkpoint, o, async () => undefined));
          },
        }
      : undefined;
    try {
      return await runMicroBatches(run, oneBatch, undefined, groups);
    } finally {
      await state.evicting?.catch(() => {});
      await partials.close();
      for (const t of MERGED) await run.conn.run(`DROP TABLE IF EXISTS ${t}`).catch(() => {});
    }
  }
}

/**
 * Runs `offsets` as one fused group (see fused-aggregate.ts) from the state before them; false,
 * with nothing written, when their input cannot be read in one pass.
 */
async function fusedGroup(
  run: FlowRun,
  agg: StreamingAggregate,
  {
    checkpoint,
    store,
    offsets,
    columns,
  }: Omit<StatefulBatch, 'offset'> & { readonly offsets: readonly BatchOffset[] },
  cache: AggregateRun,
  inputs: readonly BoundInput[],
  names: readonly string[],
  committed: (offset: BatchOffset, outcome: BatchOutcome) => Promise<void>,
): Promise<boolean> {
  const firstId = offsets[0]!.batchId;
  const { held, previous } = await startingState(store, cache, firstId);
  cache.held = undefined;
  const kept = held
    ? `SELECT * FROM ${held.table} WHERE ${held.open}`
    : previous
      ? await stateSql(run.conn, store, previous, '(SELECT 1)')
      : undefined;
  const key = `${inputs[0]!.shape}\n${JSON.stringify(previous?.columns ?? null)}`;
  const merged = held?.table === MERGED[0] ? MERGED[1] : MERGED[0];
  const result = await runFusedGroup(
    run,
    agg,
    {
      checkpoint,
      store,
      offsets,
      inputs,
      previous,
      kept,
      merged,
      names,
      columns,
      stateColumns: cache.stateColumns.get(key),
    },
    committed,
  );
  if (!result) return false;
  cache.stateColumns.set(key, result.stateColumns);
  cache.held = { version: result.version, table: merged, open: result.open };
  // Every version before the group's last is no longer needed.
  await cache.evicting;
  cache.evicting = store.evictBefore(result.version.batchId);
  return true;
}

/**
 * The state a batch starts from: the one this run holds in DuckDB when it is the previous batch's,
 * else the previous batch's version read from the store.
 * @throws SluiceError STATE_STORE_INCONSISTENT for a version in a layout of an earlier sluice
 */
async function startingState(
  store: StateStore,
  cache: AggregateRun,
  batchId: number,
): Promise<{ held: HeldState | undefined; previous: StateVersion | undefined }> {
  const held = cache.held?.version.batchId === batchId - 1 ? cache.held : undefined;
  const previous = held?.version ?? (await store.read(batchId - 1));
  if (previous && !previous.columns) {
    // Written before state versions recorded their columns, when windows were kept as structs.
    throw new SluiceError(
      'STATE_STORE_INCONSISTENT',
      `the state of batch ${previous.batchId} in ${store.dir} was written by an earlier version of sluice in another layout; run with --full-refresh on the table to rebuild it from its sources`,
      { params: { batchId: previous.batchId } },
    );
  }
  return { held, previous };
}

/** The query's output column names, as the user's query names them (bound over the batch input). */
async function outputNames(
  compiler: SqlCompiler,
  conn: DuckDBConnection,
  f: FlowPlan,
  input = '',
): Promise<string[]> {
  const sql = await typeFieldPaths(
    f.flow.query.sql.replace(/\b__sluice_input_\d+\b/g, INPUT),
    (q) => `${input}SELECT * FROM (${q})`,
    { sql: compiler, conn },
  );
  const rows = await queryRows<{ column_name: string }>(
    conn,
    `DESCRIBE SELECT * FROM (${input}SELECT * FROM (${sql}))`,
  );
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
  cache: AggregateRun,
  { partials, lookahead }: { readonly partials: PartialAggregates; readonly lookahead: Lookahead },
  beforeRead: (input: string) => Promise<void>,
  names: () => string[],
): Promise<BatchOutcome> {
  const { held, previous } = await startingState(store, cache, offset.batchId);
  cache.held = undefined;
  const { ctx, flow, conn } = run;
  const partial = await partials.of(checkpoint, offset, beforeRead);
  const { source, views, files, table: partialTable } = partial;
  // Not the table the held state is read from.
  const merged = held?.table === MERGED[0] ? MERGED[1] : MERGED[0];
  const columns = names();
  const end = windowEnd(agg);
  // A merged session carries its own end.
  const mergedEnd = agg.windowKind === 'session' ? '__sluice_end' : end;
  const before = previous?.watermark ?? null;
  const late = before === null ? 'false' : `${end} <= ${before}`;
  const counts =
    partial.counts?.before === before ? partial.counts : await lateCounts(conn, agg, partialTable, before);
  const m = counts.maxEventTime;
  const watermark = nextWatermark(before, m, agg.watermark);
  // The next batch is planned and read (and counted against this watermark) on another
  // connection while this one finishes.
  partials.ahead(checkpoint, offset, lookahead, watermark);
  const sessionEnd = agg.windowKind === 'session' ? `, ${end} AS __sluice_end` : '';
  const onTime = `SELECT * EXCLUDE (__sluice_max)${sessionEnd} FROM ${partialTable} WHERE __sluice_rows IS NOT NULL AND NOT (${late})`;
  const kept = held
    ? `SELECT * FROM ${held.table} WHERE ${held.open}`
    : previous
      ? await stateSql(conn, store, previous, `(${onTime})`)
      : undefined;
  const stateIn = kept ? `SELECT * FROM (${kept}) UNION ALL BY NAME ${onTime}` : onTime;
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${merged} AS WITH ${STATE_IN} AS (${stateIn}) SELECT * FROM (${agg.mergeSql})`,
  );
  const closed = watermark === null ? 'false' : `${mergedEnd} <= ${watermark}`;

  // The open groups are the new state: written now, published (durably) while the finished
  // rows are written, awaited before their commit.
  const key = `${partial.shape}\n${JSON.stringify(previous?.columns ?? null)}`;
  const written = await copyState(
    run,
    store,
    offset.batchId,
    merged,
    `NOT (${closed})`,
    cache.stateColumns.get(key),
  );
  cache.stateColumns.set(key, written.columns);
  const state = written.publish(watermark);
  state.catch(() => {});

  const finished = `WITH ${CLOSED} AS (SELECT * FROM ${merged} WHERE ${closed}) SELECT ${columns.map((c, i) => `__sluice_o${i} AS ${sqlIdent(c)}`).join(', ')} FROM (${agg.finalSql})`;
  const outcome = await writeBatch(ctx, flow, conn, checkpoint, finished, {
    batchId: offset.batchId,
    mode: 'append',
    source,
    sourceFiles: files,
    views,
    columns: outputColumns,
    beforeCommit: async () => {
      await state;
      crashPoint('state-written', flow.flow.name);
    },
  });
  const version = await state;
  cache.held = { version, table: merged, open: `NOT (${closed})` };
  return {
    ...outcome,
    stateful: {
      watermark,
      stateRows: version.stateRows,
      stateBytes: version.stateBytes,
      lateRowsDropped: counts.late,
    },
  };
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
      { sql: ctx.sql, conn },
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
