import type { StreamingDedup } from '../../model/index.ts';
import { queryRows, sqlIdent } from '../../util/index.ts';
import type { FlowCheckpoint } from '../checkpoints/flow-checkpoint.ts';
import type { BatchOffset } from '../checkpoints/offsets.ts';
import { StateStore } from '../checkpoints/state-store.ts';
import { typeFieldPaths } from '../sources/bind-query.ts';
import type { BatchOutcome } from '../writing/batch-outcome.ts';
import { writeBatch } from '../writing/batch-writer.ts';
import type { FlowExecution, FlowExecutor, FlowRun } from './flow-execution.ts';
import {
  INPUT,
  maxEventTime,
  nextWatermark,
  readBatchInput,
  stateSql,
  writeState,
} from './streaming-aggregate.ts';
import { runMicroBatches } from './streaming-append.ts';

const DISTINCT = '__sluice_dedup_batch';
const FRESH = '__sluice_dedup_fresh';

/**
 * A streaming table's flow that de-duplicates a watermarked stream (`SELECT DISTINCT …`, Spark's
 * dropDuplicates with a watermark), in DuckDB per micro-batch:
 *
 *   the batch's distinct rows ─► drop the late ones (event time ≤ the watermark after the
 *   previous batch), counted ─► EXCEPT the rows kept in state ─► appended (first sighting) ─►
 *   state = (state ∪ appended) whose event time is after the new watermark
 *
 * State is versioned by batch id and published before the Delta commit, as for windowed
 * aggregations (see StreamingAggregateExecutor), so a crash between the two neither loses nor
 * duplicates a row. A duplicate arriving after the watermark passed its event time is late, so
 * evicting it from state never lets it through.
 */
export class StreamingDedupExecutor implements FlowExecutor {
  execute(run: FlowRun): Promise<FlowExecution> {
    const plan = run.flow.flow.query.statefulPlan;
    if (plan?.kind !== 'streaming_dedup')
      throw new Error(`flow '${run.flow.flow.name}' is not a streaming de-duplication`);
    return runMicroBatches(run, async (checkpoint, offset) => {
      const store = new StateStore(checkpoint.log.dir);
      const outcome =
        plan.mode === 'distinct'
          ? await dedupBatch(run, plan, checkpoint, store, offset)
          : await withinWatermarkBatch(run, plan, checkpoint, store, offset);
      await store.evictBefore(offset.batchId);
      return outcome;
    });
  }
}

async function dedupBatch(
  run: FlowRun,
  plan: Extract<StreamingDedup, { mode: 'distinct' }>,
  checkpoint: FlowCheckpoint,
  store: StateStore,
  offset: BatchOffset,
): Promise<BatchOutcome> {
  const { ctx, flow, conn } = run;
  const previous = await store.read(offset.batchId - 1);
  const { source, views, files } = await readBatchInput(run, plan, checkpoint, offset);
  try {
    // Typed over the input (a temp table) as the flow's query is: Spark's `arr.f` through arrays of structs.
    const typed = (sql: string) =>
      typeFieldPaths(sql.replace(/\b__sluice_input_\d+\b/g, INPUT), (q) => q, { sql: ctx.sql, conn });
    const m = await maxEventTime(
      conn,
      plan.watermark,
      plan.watermarkSql === undefined ? undefined : await typed(plan.watermarkSql),
    );
    const query = await typed(flow.flow.query.sql);
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${DISTINCT} AS ${query}`);
    const time = `epoch_us(CAST(${sqlIdent(plan.eventTimeColumn)} AS TIMESTAMP WITH TIME ZONE))`;
    const before = previous?.watermark ?? null;
    // Rows without an event time are never late and never evicted (as in Spark).
    const late = before === null ? 'false' : `coalesce(${time} <= ${before}, false)`;
    const [row] = await queryRows<{ n: bigint }>(conn, `SELECT count(*) AS n FROM ${DISTINCT} WHERE ${late}`);
    const onTime = `SELECT * FROM ${DISTINCT} WHERE NOT (${late})`;
    const fresh = previous ? `${onTime} EXCEPT ${await stateSql(conn, store, previous, DISTINCT)}` : onTime;
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${FRESH} AS ${fresh}`);
    const watermark = nextWatermark(before, m, plan.watermark);
    const kept = watermark === null ? 'true' : `coalesce(${time} > ${watermark}, true)`;
    const union = previous
      ? `SELECT * FROM (${await stateSql(conn, store, previous, DISTINCT)}) UNION ALL SELECT * FROM ${FRESH}`
      : `SELECT * FROM ${FRESH}`;
    await conn.run(`CREATE OR REPLACE TEMP TABLE __sluice_dedup_state AS ${union}`);
    const state = await writeState(run, store, offset.batchId, '__sluice_dedup_state', kept, watermark);
    const outcome = await writeBatch(ctx, flow, conn, checkpoint, `SELECT * FROM ${FRESH}`, {
      batchId: offset.batchId,
      mode: 'append',
      source,
      sourceFiles: files,
      views,
    });
    return { ...outcome, stateful: { watermark, ...state, lateRowsDropped: Number(row?.n ?? 0) } };
  } finally {
    for (const t of ['__sluice_dedup_state', FRESH, DISTINCT, INPUT])
      await conn.run(`DROP TABLE IF EXISTS ${t}`).catch(() => {});
  }
}

const FIRSTS = '__sluice_dedup_firsts';
const STATE = '__sluice_dedup_state';

/**
 * dropDuplicatesWithinWatermark(keys), per micro-batch in DuckDB:
 *
 *   the batch's rows ─► drop the late ones (event time ≤ the watermark after the previous
 *   batch), counted ─► the first row of each key, in input order ─► those whose key is not in
 *   state are appended ─► state = (state ∪ their keys, expiring at event time + delay) without
 *   the keys whose expiry the new watermark has reached
 *
 * Keys compare NULL-safely (a NULL key part equals NULL, as Spark's key rows do). State is
 * versioned and published before the Delta commit, as for the other stateful kinds.
 */
async function withinWatermarkBatch(
  run: FlowRun,
  plan: Extract<StreamingDedup, { mode: 'within_watermark' }>,
  checkpoint: FlowCheckpoint,
  store: StateStore,
  offset: BatchOffset,
): Promise<BatchOutcome> {
  const { ctx, flow, conn } = run;
  const previous = await store.read(offset.batchId - 1);
  const { source, views, files } = await readBatchInput(run, plan, checkpoint, offset);
  try {
    const m = await maxEventTime(conn, plan.watermark);
    const time = `epoch_us(CAST(${sqlIdent(plan.watermark.column)} AS TIMESTAMP WITH TIME ZONE))`;
    const before = previous?.watermark ?? null;
    const late = before === null ? 'false' : `coalesce(${time} <= ${before}, false)`;
    const [row] = await queryRows<{ n: bigint }>(conn, `SELECT count(*) AS n FROM ${INPUT} WHERE ${late}`);
    const keys = plan.keys.map(sqlIdent);
    // A temp table scans in insertion order: row_number() OVER () is the input order.
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE ${FIRSTS} AS SELECT * FROM (SELECT *, row_number() OVER () AS __sluice_ord FROM ${INPUT}) WHERE NOT (${late}) QUALIFY row_number() OVER (PARTITION BY ${keys.join(', ')} ORDER BY __sluice_ord) = 1`,
    );
    const stateKeys = `SELECT ${keys.join(', ')}, CAST(${time} + ${plan.watermark.delayMicros} AS BIGINT) AS __sluice_expires FROM ${FIRSTS}`;
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${STATE} AS ${stateKeys} LIMIT 0`);
    const seen = previous ? await stateSql(conn, store, previous, STATE) : undefined;
    const match = keys.map((k) => `s.${k} IS NOT DISTINCT FROM f.${k}`).join(' AND ');
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE ${FRESH} AS SELECT * FROM ${FIRSTS} f${seen ? ` WHERE NOT EXISTS (SELECT 1 FROM (${seen}) s WHERE ${match})` : ''}`,
    );
    const watermark = nextWatermark(before, m, plan.watermark);
    const fresh = `SELECT ${keys.join(', ')}, CAST(${time} + ${plan.watermark.delayMicros} AS BIGINT) AS __sluice_expires FROM ${FRESH}`;
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE ${STATE} AS ${seen ? `SELECT * FROM (${seen}) UNION ALL BY NAME ` : ''}${fresh}`,
    );
    // Spark evicts a key once the watermark reaches its expiry; a key without one stays.
    const kept = watermark === null ? 'true' : `coalesce(__sluice_expires > ${watermark}, true)`;
    const state = await writeState(run, store, offset.batchId, STATE, kept, watermark);
    const outcome = await writeBatch(
      ctx,
      flow,
      conn,
      checkpoint,
      `SELECT * EXCLUDE (__sluice_ord) FROM ${FRESH} ORDER BY __sluice_ord`,
      { batchId: offset.batchId, mode: 'append', source, sourceFiles: files, views },
    );
    return { ...outcome, stateful: { watermark, ...state, lateRowsDropped: Number(row?.n ?? 0) } };
  } finally {
    for (const t of [STATE, FRESH, FIRSTS, INPUT])
      await conn.run(`DROP TABLE IF EXISTS ${t}`).catch(() => {});
  }
}
