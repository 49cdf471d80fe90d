import type { StreamingDedup } from '../../model/index.ts';
import { queryRows, sqlIdent } from '../../util/index.ts';
import type { FlowCheckpoint } from '../checkpoints/flow-checkpoint.ts';
import type { BatchOffset } from '../checkpoints/offsets.ts';
import { StateStore } from '../checkpoints/state-store.ts';
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
      const outcome = await dedupBatch(run, plan, checkpoint, store, offset);
      await store.evictBefore(offset.batchId);
      return outcome;
    });
  }
}

async function dedupBatch(
  run: FlowRun,
  plan: StreamingDedup,
  checkpoint: FlowCheckpoint,
  store: StateStore,
  offset: BatchOffset,
): Promise<BatchOutcome> {
  const { ctx, flow, conn } = run;
  const previous = await store.read(offset.batchId - 1);
  const { source, views, files } = await readBatchInput(run, plan, checkpoint, offset);
  try {
    const m = await maxEventTime(conn, plan.watermark);
    const query = flow.flow.query.sql.replace(/\b__sluice_input_\d+\b/g, INPUT);
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
