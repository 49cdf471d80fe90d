import { inputPlaceholder, type StreamJoin, type StreamJoinSide } from '../../model/index.ts';
import { type DuckDBConnection, queryRows, sqlIdent } from '../../util/index.ts';
import type { FlowCheckpoint } from '../checkpoints/flow-checkpoint.ts';
import type { BatchOffset } from '../checkpoints/offsets.ts';
import { StateStore } from '../checkpoints/state-store.ts';
import { bindQuery } from '../sources/bind-query.ts';
import { skippedFileWarning } from '../sources/files.ts';
import { explainLeafReadError, leafSql } from '../sources/leaf-sql.ts';
import type { BatchOutcome } from '../writing/batch-outcome.ts';
import { writeBatch } from '../writing/batch-writer.ts';
import { type ViewQuality, viewExpectationBinder } from '../writing/quarantine.ts';
import { describeSources, skipsChangeCommits } from './batch-planning.ts';
import type { FlowExecution, FlowExecutor, FlowRun } from './flow-execution.ts';
import { stateSql, writeState } from './streaming-aggregate.ts';
import { runMicroBatches } from './streaming-append.ts';

/** Bookkeeping columns of a buffered row: its id, and whether it has matched a row of the other side. */
const ROW = '__sluice_row';
const MATCHED = '__sluice_matched';

/** Temp relations of one batch, per side (0 left, 1 right). */
const t = (what: string, side: 0 | 1) => `__sluice_join_${what}_${side}`;
const RAW = (s: 0 | 1) => t('raw', s);
const NEW = (s: 0 | 1) => t('new', s);
const STATE = (s: 0 | 1) => t('state', s);
const ALL = (s: 0 | 1) => t('all', s);
const NEXT = (s: 0 | 1) => t('next', s);
const MATCHES = '__sluice_join_matches';

/** The relation `table` without the bookkeeping columns (the input's own columns). */
const columnsOf = (table: string) => `(SELECT * EXCLUDE (${ROW}, ${MATCHED}) FROM ${table})`;

/**
 * A streaming table's flow that joins two watermarked streams (Spark's stream–stream join in
 * append mode). Per micro-batch, all in DuckDB, both sources' new rows read together:
 *
 *   new rows per side ─► drop the late ones (event time ≤ the global watermark after the previous
 *   batch), counted ─► emit matched pairs: new-left × (state-right ∪ new-right) and state-left ×
 *   new-right ─► per side watermark = max(previous, max event time − delay); global = their min
 *   ─► a side's buffered rows whose event time is at or before global + the side's eviction
 *   offset (see `StreamJoinSide`) leave state; for an outer join, the outer side's rows leaving
 *   state that never matched are emitted with NULLs for the other side
 *
 * Each side's buffered rows (with a matched flag) and watermark are published as Parquet under
 * the batch id (`state-left/`, `state-right/`) before the batch's Delta commit, as the windowed
 * aggregation's state is; a restart reads the versions of the committed batch, so a crash between
 * the two replays the batch from the same state and input — no pair is emitted twice or lost.
 * Invariant: a row leaves state only when no row the other side may still deliver (event time
 * after the watermark) can match it, so every pair of on-time rows satisfying the condition is
 * emitted exactly once, and an outer row gets NULLs exactly when no on-time row matches it.
 */
export class StreamJoinExecutor implements FlowExecutor {
  execute(run: FlowRun): Promise<FlowExecution> {
    const plan = run.flow.flow.query.statefulPlan;
    if (plan?.kind !== 'stream_join')
      throw new Error(`flow '${run.flow.flow.name}' is not a stream–stream join`);
    return runMicroBatches(run, async (checkpoint, offset) => {
      const stores = [
        new StateStore(checkpoint.log.dir, 'state-left'),
        new StateStore(checkpoint.log.dir, 'state-right'),
      ] as const;
      const outcome = await joinBatch(run, plan, checkpoint, stores, offset);
      for (const s of stores) await s.evictBefore(offset.batchId);
      return outcome;
    });
  }
}

/** The global watermark: the min over both sides' (Spark's default policy), null until both have one. */
function globalWatermark(left: number | null, right: number | null): number | null {
  return left === null || right === null ? null : Math.min(left, right);
}

/**
 * A side's watermark after a batch whose latest event time is `maxEvent` (µs): max(previous,
 * latest − delay), never moving back. Spark keeps event-time statistics and watermarks in whole
 * milliseconds (the latest event time and the delay truncated), so a watermark here is too.
 */
export function sideWatermark(
  before: number | null,
  maxEvent: number | null,
  side: StreamJoinSide,
): number | null {
  if (maxEvent === null) return before;
  const ms = Math.trunc(maxEvent / 1000) - Math.trunc(side.watermark.delayMicros / 1000);
  return before === null ? ms * 1000 : Math.max(before, ms * 1000);
}

/** A side's event time in µs since the epoch, as SQL over its rows. */
const eventTime = (side: StreamJoinSide) =>
  `epoch_us(CAST(${sqlIdent(side.watermark.column)} AS TIMESTAMP WITH TIME ZONE))`;

async function joinBatch(
  run: FlowRun,
  plan: StreamJoin,
  checkpoint: FlowCheckpoint,
  stores: readonly [StateStore, StateStore],
  offset: BatchOffset,
): Promise<BatchOutcome> {
  const { ctx, flow, conn } = run;
  const sides = [plan.left, plan.right] as const;
  const previous = await Promise.all(stores.map((s) => s.read(offset.batchId - 1)));
  const before = globalWatermark(previous[0]?.watermark ?? null, previous[1]?.watermark ?? null);
  const source = describeSources(offset);
  const quality: ViewQuality[] = [];
  const files = Object.values(offset.sources).reduce(
    (n, s) => n + (s.kind === 'files' ? s.files.length : 0),
    0,
  );
  const temps: string[] = [MATCHES];
  const views: string[] = [];
  try {
    let late = 0;
    const watermarks: (number | null)[] = [];
    for (const s of [0, 1] as const) {
      const side = sides[s];
      temps.push(RAW(s), NEW(s), STATE(s), NEXT(s));
      views.push(ALL(s));
      await readSide(run, side, RAW(s), checkpoint, offset, source, quality);
      const time = eventTime(side);
      // Rows without an event time are never late (as in Spark).
      const isLate = before === null ? 'false' : `coalesce(${time} <= ${before}, false)`;
      const [row] = await queryRows<{ late: bigint | null; m: bigint | null }>(
        conn,
        `SELECT count(*) FILTER (WHERE ${isLate}) AS late, max(${time}) AS m FROM ${RAW(s)}`,
      );
      late += Number(row?.late ?? 0);
      const m = row?.m === null || row?.m === undefined ? null : Number(row.m);
      watermarks.push(sideWatermark(previous[s]?.watermark ?? null, m, side));
      await conn.run(
        `CREATE OR REPLACE TEMP TABLE ${NEW(s)} AS SELECT *, CAST(${offset.batchId} AS BIGINT) * 4294967296 + row_number() OVER () AS ${ROW}, false AS ${MATCHED} FROM ${RAW(s)} WHERE NOT (${isLate})`,
      );
      const prior = previous[s];
      const stateIn = prior
        ? await stateSql(conn, stores[s], prior, NEW(s))
        : `SELECT * FROM ${NEW(s)} WHERE false`;
      await conn.run(`CREATE OR REPLACE TEMP TABLE ${STATE(s)} AS ${stateIn}`);
      await conn.run(
        `CREATE OR REPLACE TEMP VIEW ${ALL(s)} AS SELECT * FROM ${STATE(s)} UNION ALL SELECT * FROM ${NEW(s)}`,
      );
    }
    const watermark = globalWatermark(watermarks[0] ?? null, watermarks[1] ?? null);
    const outer: 0 | 1 | undefined = plan.joinType === 'left' ? 0 : plan.joinType === 'right' ? 1 : undefined;
    if (outer !== undefined) await markMatches(conn, plan, outer);
    // The next state of a side: its rows (the outer side's with their matched flags updated).
    const next = (s: 0 | 1) => (s === outer ? NEXT(s) : ALL(s));

    // A buffered row stays while a row after the watermark could still match it. Rows without an
    // event time never match the range condition: dropped from an inner side, kept (never
    // emitted) on an outer side, as Spark keeps them.
    const keep = (s: 0 | 1) =>
      watermark === null
        ? 'true'
        : `coalesce(${eventTime(sides[s])} > ${watermark + sides[s].evictAfterMicros}, ${s === outer})`;
    let stateRows = 0;
    let stateBytes = 0;
    for (const s of [0, 1] as const) {
      const state = await writeState(run, stores[s], offset.batchId, next(s), keep(s), watermarks[s] ?? null);
      stateRows += state.stateRows;
      stateBytes += state.stateBytes;
    }

    const output = outputSql(plan, flow.flow.query.sql, outer, keep);
    const outcome = await writeBatch(ctx, flow, conn, checkpoint, output, {
      batchId: offset.batchId,
      mode: 'append',
      source,
      sourceFiles: files,
      views: quality,
    });
    return { ...outcome, stateful: { watermark, stateRows, stateBytes, lateRowsDropped: late } };
  } finally {
    for (const name of views) await conn.run(`DROP VIEW IF EXISTS ${name}`).catch(() => {});
    for (const name of temps) await conn.run(`DROP TABLE IF EXISTS ${name}`).catch(() => {});
  }
}

/**
 * The rows of the batch: matched pairs of new-left × all-right and state-left × new-right (each
 * pair of buffered and new rows once), and for an outer join the outer side's rows leaving state
 * without a match, through the query itself (`query`, its outer join) over an empty other side
 * (NULLs, as the join pads).
 */
function outputSql(
  plan: StreamJoin,
  query: string,
  outer: 0 | 1 | undefined,
  keep: (s: 0 | 1) => string,
): string {
  const bind = (sql: string, left: string, right: string) =>
    sql.replace(/\b__sluice_input_(\d+)\b/g, (m, i: string) =>
      Number(i) === plan.left.input ? left : Number(i) === plan.right.input ? right : m,
    );
  const parts = [
    bind(plan.matchedSql, columnsOf(NEW(0)), columnsOf(ALL(1))),
    bind(plan.matchedSql, columnsOf(STATE(0)), columnsOf(NEW(1))),
  ];
  if (outer !== undefined) {
    const evicted = columnsOf(`${NEXT(outer)} WHERE NOT (${keep(outer)}) AND NOT ${MATCHED}`);
    const empty = columnsOf(`${NEW(outer === 0 ? 1 : 0)} WHERE false`);
    parts.push(outer === 0 ? bind(query, evicted, empty) : bind(query, empty, evicted));
  }
  return parts.map((p) => `(${p})`).join('\nUNION ALL\n');
}

/**
 * Sets the outer side's next rows (`NEXT`): all its rows, the matched flag updated —
 * a buffered row matched by a new row of the other side, a new row by any row of the other side.
 */
async function markMatches(conn: DuckDBConnection, plan: StreamJoin, outer: 0 | 1): Promise<void> {
  const other = outer === 0 ? 1 : 0;
  const alias = (s: 0 | 1) => sqlIdent((s === 0 ? plan.left : plan.right).alias);
  const semi = (mine: string, theirs: string) =>
    `SELECT ${alias(outer)}.${ROW} AS id FROM ${mine} AS ${alias(outer)} SEMI JOIN ${theirs} AS ${alias(other)} ON ${plan.condition}`;
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${MATCHES} AS ${semi(ALL(outer), NEW(other))} UNION ALL ${semi(NEW(outer), STATE(other))}`,
  );
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${NEXT(outer)} AS SELECT * REPLACE (${MATCHED} OR ${ROW} IN (SELECT id FROM ${MATCHES}) AS ${MATCHED}) FROM ${ALL(outer)}`,
  );
}

/**
 * Reads one side's rows of the batch, as its offset records them, into temp table `into`
 * (expectations of views it reads are evaluated on the way, as in any batch), keeping those that
 * pass the side's filter (what Spark filters below the watermark).
 */
async function readSide(
  { ctx, flow, conn }: FlowRun,
  { input, alias, filter }: StreamJoinSide,
  into: string,
  checkpoint: FlowCheckpoint,
  offset: BatchOffset,
  source: string,
  views: ViewQuality[],
): Promise<void> {
  const bound = flow.bound;
  try {
    const sql = await bindQuery(
      {
        ...bound,
        query: { ...bound.query, sql: `SELECT * FROM ${inputPlaceholder(input)}` },
        children: bound.children.filter((c) => c.index === input),
      },
      (leaf) =>
        leafSql(ctx, leaf, offset.sources[leaf.key], {
          skipChangeCommits: skipsChangeCommits(flow),
          onSkipped: (path, error) => ctx.warn(flow, skippedFileWarning(path, error, ctx.root)),
        }),
      viewExpectationBinder(ctx, flow, conn, checkpoint, { batchId: offset.batchId, source }, views),
      // Inlined views' non-ANSI conversions typed; their field access read as written.
      { sql: ctx.sql, conn, markersOnly: true },
      conn,
    );
    const rows = filter
      ? `SELECT ${sqlIdent(alias)}.* FROM (${sql}) AS ${sqlIdent(alias)} WHERE ${filter}`
      : sql;
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${into} AS ${rows}`);
  } catch (e) {
    throw await explainLeafReadError(ctx, flow.leaves, offset.sources, e);
  }
}
