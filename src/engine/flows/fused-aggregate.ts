/**
 * Fused catch-up of a windowed aggregation: when an update finds several micro-batches ready,
 * they are planned and logged exactly as one after another (same batch ids, same offsets), then
 * computed in ONE DuckDB pass over all their input (DuckDB reads the files in parallel) and
 * committed as one Delta commit (txn version = the group's last batch id) with one state version
 * — giving what the batches one after another give:
 *
 *   partial aggregates of every batch b, tagged b, with b's latest event time
 *     ─► watermarks: wm_b = max(wm_{b-1}, max event time of b − delay), wm_0 the persisted one
 *     ─► a partial row of b is late iff its window ends at or before wm_{b-1} (counted per b)
 *     ─► the on-time partials of all batches merged with the state before the group
 *     ─► a group is emitted by the first b with window end ≤ wm_b (wm_{b-1} < end ≤ wm_b);
 *        the groups still open after wm_K are the new state
 *
 * Exact because every aggregate sluice keeps in state merges order-independently (count, sum,
 * min, max, avg as sum and count, count(DISTINCT) as exact sets) and, for tumbling and sliding
 * windows, a group's lateness and closing depend only on its window end and the watermarks: a row
 * on time in batch b belongs to a group not yet emitted (its end > wm_{b-1}), and a row of an
 * emitted group is late in every later batch. Only float sums may differ in their last bits (the
 * additions run in another order). Session windows (whose merge depends on what each batch saw)
 * run batch by batch.
 *
 * Exactly-once: every offset of the group is logged before anything is read; the state of the
 * last batch is published before the one commit. A crash before the commit leaves the group
 * uncommitted — it is replayed from its logged offsets and the state before it (kept until the
 * commit); after the commit, all of it is done. Per batch, the event log still gets its
 * flow_progress (rows emitted, late rows, state rows, watermark); only the state's bytes exist
 * for the group's last batch alone (no file is written in between), so the others report none.
 */
import type { StreamingAggregate } from '../../model/index.ts';
import { crashPoint, queryRows, sqlIdent } from '../../util/index.ts';
import type { FlowCheckpoint } from '../checkpoints/flow-checkpoint.ts';
import type { BatchOffset } from '../checkpoints/offsets.ts';
import type { StateStore, StateVersion } from '../checkpoints/state-store.ts';
import { typeFieldPaths } from '../sources/bind-query.ts';
import type { BatchOutcome } from '../writing/batch-outcome.ts';
import { type ColumnsCache, writeBatch } from '../writing/batch-writer.ts';
import { isRepeatable } from '../writing/expectations.ts';
import { type BoundInput, bindBatchInput, INPUT, windowEnd } from './aggregate-input.ts';
import { copyState, nextWatermark } from './aggregate-state.ts';
import type { FlowRun } from './flow-execution.ts';

/** Batches in one group at most. */
export const FUSE_MAX_BATCHES = 128;
/** Input bytes (the files as listed) in one group at most: memory stays bounded by the group. */
export const FUSE_MAX_BYTES = 128 * 1024 * 1024;
/** Batches in one group at most when a batch's size is not known from its offset (a table stream). */
export const FUSE_MAX_UNSIZED = 16;

const PARTIALS = '__sluice_agg_fused';
const MARKS = '__sluice_agg_marks';
const STATE_IN = '__sluice_state_in';
const CLOSED = '__sluice_closed';
const MIN_BIGINT = '(-9223372036854775807 - 1)';

/**
 * The largest group, from the `SLUICE_FUSE_BATCHES` environment variable when set (an internal
 * switch for tests: `1` turns fusion off), else {@link FUSE_MAX_BATCHES}.
 */
export function fuseLimit(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.SLUICE_FUSE_BATCHES ?? '');
  return env.SLUICE_FUSE_BATCHES && Number.isInteger(n) && n >= 1
    ? Math.min(n, FUSE_MAX_BATCHES)
    : FUSE_MAX_BATCHES;
}

/**
 * Whether a flow's batches may be fused: a tumbling or sliding window aggregation (sessions run
 * batch by batch), no view between the stream and the query (views' expectations are counted per
 * batch), no expectation on the target (counted per batch), and no volatile function in the query.
 */
export async function fusible({ ctx, flow }: FlowRun, agg: StreamingAggregate): Promise<boolean> {
  if (agg.windowKind !== 'fixed' || fuseLimit() < 2) return false;
  if (agg.partialByBatchSql === undefined) return false;
  if (flow.bound.children.some((c) => c.kind === 'view')) return false;
  if (!isRepeatable(agg.partialSql, []) || !isRepeatable(agg.finalSql, [])) return false;
  const exps = await ctx.expectations.of(flow.target, flow.flow.query.outputColumns, flow.flow.query.legacy);
  return exps.length === 0;
}

const sized = (o: BatchOffset) =>
  Object.values(o.sources).every((s) => s.kind === 'files' || s.kind === 'files-snapshot');
const bytesOf = (o: BatchOffset) =>
  Object.values(o.sources).reduce(
    (n, s) =>
      n + (s.kind === 'files' || s.kind === 'files-snapshot' ? s.files.reduce((m, f) => m + f.size, 0) : 0),
    0,
  );

/** Whether batch `next` may join `group` (bounded by batches and input bytes). */
export function groupFits(group: readonly BatchOffset[], next: BatchOffset): boolean {
  const all = [...group, next];
  if (all.length > fuseLimit()) return false;
  if (!all.every(sized) && all.length > FUSE_MAX_UNSIZED) return false;
  return all.reduce((n, o) => n + bytesOf(o), 0) <= FUSE_MAX_BYTES;
}

/**
 * The inputs of a group's batches, each bound for one statement (see bindBatchInput); undefined
 * when they cannot be read in one statement — an input held in a temp table (a volatile function)
 * or batches of different input shapes (types would be unified across them) — and the group runs
 * batch by batch.
 */
export async function bindGroup(
  run: FlowRun,
  agg: StreamingAggregate,
  checkpoint: FlowCheckpoint,
  offsets: readonly BatchOffset[],
): Promise<BoundInput[] | undefined> {
  const inputs: BoundInput[] = [];
  for (const o of offsets) {
    const input = await bindBatchInput(run, agg, checkpoint, o);
    if (input.with === '' || (inputs[0] && inputs[0].shape !== input.shape)) {
      await input.release();
      return undefined;
    }
    inputs.push(input);
  }
  return inputs;
}

/** Where a group starts from and writes to. */
export interface FusedGroup {
  readonly checkpoint: FlowCheckpoint;
  readonly store: StateStore;
  readonly offsets: readonly BatchOffset[];
  readonly inputs: readonly BoundInput[];
  /** The state after the batch before the group, and SQL of its open groups. */
  readonly previous: StateVersion | undefined;
  readonly kept: string | undefined;
  /** The table the merged groups (open and closed) are left in; not the one `kept` reads. */
  readonly merged: string;
  /** The query's output column names. */
  readonly names: readonly string[];
  readonly columns: { readonly cache: ColumnsCache; readonly shape: string };
  /** The state's columns when known (see copyState). */
  readonly stateColumns: readonly { readonly name: string; readonly type: string }[] | undefined;
}

/** The group committed: the state after its last batch, its columns, and which merged rows are open. */
export interface FusedResult {
  readonly version: StateVersion;
  readonly stateColumns: readonly { readonly name: string; readonly type: string }[];
  readonly open: string;
}

interface Mark {
  readonly batchId: number;
  /** The watermark after the previous batch (lateness) and after this one (closing). */
  readonly before: number | null;
  readonly after: number | null;
}

const sqlNumber = (n: number | null) => (n === null ? 'CAST(NULL AS BIGINT)' : `CAST(${n} AS BIGINT)`);

/**
 * Runs a group (see the module comment) and hands each batch's outcome to `committed`, in order,
 * after the one commit. Undefined, with nothing written, when the group's input cannot be read in
 * one pass (a file unreadable, say): the caller then runs the batches one by one, which reports
 * the error at the batch it belongs to.
 */
export async function runFusedGroup(
  run: FlowRun,
  agg: StreamingAggregate,
  g: FusedGroup,
  committed: (offset: BatchOffset, outcome: BatchOutcome) => Promise<void>,
): Promise<FusedResult | undefined> {
  const { conn } = run;
  // Every batch's input rows tagged with its batch id, read by one aggregation grouped by the tag
  // too (DuckDB reads all the files in parallel, nothing materialized per batch). The inputs all
  // have the same shape (the same columns and types), so their rows line up by position.
  const tagged = (i: number) =>
    `SELECT CAST(${g.offsets[i]!.batchId} AS BIGINT) AS __sluice_b, * FROM (${g.inputs[i]!.sql})`;
  // Typed over the input as the flow's query is (Spark's `arr.f` through arrays of structs): the
  // first batch's input types the statements for all.
  const over = (sql: string) => `WITH ${INPUT} AS (${tagged(0)}) SELECT * FROM (${sql})`;
  const bind = (sql: string) =>
    typeFieldPaths(sql.replace(/\b__sluice_input_\d+\b/g, INPUT), over, { sql: run.ctx.sql, conn });
  try {
    const partialSql = await bind(agg.partialByBatchSql!);
    // The latest event times: carried by the partial aggregates, or read by a query of their own
    // — then the input is read twice (the watermark reads the event time alone) rather than held:
    // memory stays bounded by the aggregation, not by the input.
    const watermarkSql = agg.watermarkByBatchSql && (await bind(agg.watermarkByBatchSql));
    const input = g.offsets.map((_, i) => tagged(i)).join(' UNION ALL ');
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE ${PARTIALS} AS WITH ${INPUT} AS NOT MATERIALIZED (${input}) SELECT * FROM (${partialSql})${watermarkSql ? ` UNION ALL BY NAME SELECT * FROM (${watermarkSql})` : ''}`,
    );
  } catch {
    return undefined;
  }
  try {
    return await finishGroup(run, agg, g, committed);
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${PARTIALS}`).catch(() => {});
    await conn.run(`DROP TABLE IF EXISTS ${MARKS}`).catch(() => {});
  }
}

async function finishGroup(
  run: FlowRun,
  agg: StreamingAggregate,
  g: FusedGroup,
  committed: (offset: BatchOffset, outcome: BatchOutcome) => Promise<void>,
): Promise<FusedResult> {
  const { ctx, flow, conn } = run;
  const end = windowEnd(agg);
  const last = g.offsets.at(-1)!;

  // The watermark before and after each batch, from each batch's latest event time.
  const maxima = await queryRows<{ b: bigint; m: bigint | null }>(
    conn,
    `SELECT __sluice_b AS b, max(__sluice_max) AS m FROM ${PARTIALS} GROUP BY 1`,
  );
  const maxOf = new Map(maxima.map((r) => [Number(r.b), r.m === null ? null : Number(r.m)]));
  const marks: Mark[] = [];
  let watermark = g.previous?.watermark ?? null;
  for (const o of g.offsets) {
    const before = watermark;
    watermark = nextWatermark(before, maxOf.get(o.batchId) ?? null, agg.watermark);
    marks.push({ batchId: o.batchId, before, after: watermark });
  }
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${MARKS} AS SELECT * FROM (VALUES ${marks
      .map((m) => `(${sqlNumber(m.batchId)}, ${sqlNumber(m.before)}, ${sqlNumber(m.after)})`)
      .join(', ')}) AS t(__sluice_b, __sluice_before, __sluice_after)`,
  );

  // Late rows per batch: their window ended at or before the watermark after the batch before.
  const lateRows = await queryRows<{ b: bigint; late: bigint | null }>(
    conn,
    `SELECT p.__sluice_b AS b, sum(p.__sluice_rows) FILTER (WHERE ${end} <= w.__sluice_before) AS late FROM ${PARTIALS} p JOIN ${MARKS} w ON p.__sluice_b = w.__sluice_b GROUP BY 1`,
  );
  const lateOf = new Map(lateRows.map((r) => [Number(r.b), Number(r.late ?? 0)]));

  // The on-time partials of every batch (tagged) with the state's open groups (untagged), merged.
  const onTime = `SELECT p.* EXCLUDE (__sluice_max) FROM ${PARTIALS} p JOIN ${MARKS} w ON p.__sluice_b = w.__sluice_b WHERE p.__sluice_rows IS NOT NULL AND (w.__sluice_before IS NULL OR NOT (${end} <= w.__sluice_before))`;
  const stateIn = g.kept ? `SELECT * FROM (${g.kept}) UNION ALL BY NAME ${onTime}` : onTime;
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${g.merged} AS WITH ${STATE_IN} AS (${stateIn}) SELECT * FROM (${agg.mergeSql})`,
  );

  // State rows after batch b: the groups begun by then (in the state before the group, or by an
  // on-time row of a batch up to b) and not emitted by then.
  const keys = Array.from({ length: agg.keyCount }, (_, i) => `__sluice_k${i}`).join(', ');
  const begun = await queryRows<{ b: bigint; n: bigint }>(
    conn,
    `WITH ${STATE_IN} AS (${stateIn}) SELECT first AS b, count(*) AS n FROM (SELECT min(coalesce(__sluice_b, ${MIN_BIGINT})) AS first FROM ${STATE_IN} GROUP BY ${keys}) GROUP BY 1`,
  );
  // The batch emitting each group: the first whose watermark reaches its window's end. Groups
  // are counted per window end first, so the range join is over a few rows per window.
  const emitted = await queryRows<{ b: bigint; n: bigint }>(
    conn,
    `SELECT w.__sluice_b AS b, sum(e.n) AS n FROM (SELECT ${end} AS __sluice_e, count(*) AS n FROM ${g.merged} GROUP BY 1) e JOIN ${MARKS} w ON e.__sluice_e > coalesce(w.__sluice_before, ${MIN_BIGINT}) AND e.__sluice_e <= w.__sluice_after GROUP BY 1`,
  );
  const emittedOf = new Map(emitted.map((r) => [Number(r.b), Number(r.n)]));
  // Rows emitted per batch: one per group emitted, unless a HAVING (the final query's only WHERE)
  // filters them.
  let rowsOf = emittedOf;
  if (/\bWHERE\b/i.test(agg.finalSql) && emitted.length > 0) {
    const counts = emitted.map((r) => {
      const m = marks.find((x) => x.batchId === Number(r.b))!;
      return `SELECT ${m.batchId} AS b, count(*) AS n FROM (WITH ${CLOSED} AS (SELECT * FROM ${g.merged} WHERE ${end} > coalesce(${sqlNumber(m.before)}, ${MIN_BIGINT}) AND ${end} <= ${sqlNumber(m.after)}) SELECT * FROM (${agg.finalSql}))`;
    });
    const rows = await queryRows<{ b: bigint | number; n: bigint }>(conn, counts.join(' UNION ALL '));
    rowsOf = new Map(rows.map((r) => [Number(r.b), Number(r.n)]));
  }

  // The open groups are the state of the last batch: written now, published while the emitted
  // rows are written, awaited before their commit.
  const after = marks.at(-1)!.after;
  const closed = after === null ? 'false' : `${end} <= ${after}`;
  const written = await copyState(run, g.store, last.batchId, g.merged, `NOT (${closed})`, g.stateColumns);
  const state = written.publish(after);
  state.catch(() => {});
  const finished = `WITH ${CLOSED} AS (SELECT * FROM ${g.merged} WHERE ${closed}) SELECT ${g.names.map((c, i) => `__sluice_o${i} AS ${sqlIdent(c)}`).join(', ')} FROM (${agg.finalSql})`;
  const outcome = await writeBatch(ctx, flow, conn, g.checkpoint, finished, {
    batchId: last.batchId,
    mode: 'append',
    source: g.inputs.map((i) => i.source).join('; '),
    sourceFiles: g.inputs.reduce((n, i) => n + i.files, 0),
    views: [],
    columns: g.columns,
    beforeCommit: async () => {
      await state;
      crashPoint('state-written', flow.flow.name);
    },
  });
  const version = await state;

  let begunSoFar = 0;
  let emittedSoFar = 0;
  const begunOf = new Map(begun.map((r) => [Number(r.b), Number(r.n)]));
  // Groups of the state before the group carry the smallest tag.
  for (const r of begun) if (Number(r.b) < g.offsets[0]!.batchId) begunSoFar += Number(r.n);
  for (const [i, o] of g.offsets.entries()) {
    begunSoFar += begunOf.get(o.batchId) ?? 0;
    emittedSoFar += emittedOf.get(o.batchId) ?? 0;
    const rows = rowsOf.get(o.batchId) ?? 0;
    const isLast = i === g.offsets.length - 1;
    await committed(o, {
      inputRows: rows,
      outputRows: rows,
      outputBytes: isLast ? outcome.outputBytes : 0,
      files: g.inputs[i]!.files,
      droppedRows: 0,
      quarantinedRows: 0,
      expectations: [],
      ...(outcome.tableVersion === undefined ? {} : { tableVersion: outcome.tableVersion }),
      stateful: {
        watermark: marks[i]!.after,
        stateRows: isLast ? version.stateRows : begunSoFar - emittedSoFar,
        stateBytes: isLast ? version.stateBytes : null,
        lateRowsDropped: lateOf.get(o.batchId) ?? 0,
      },
    });
  }
  return { version, stateColumns: written.columns, open: `NOT (${closed})` };
}
