/**
 * What a stateful flow keeps between batches, shared by its executors: the watermark's advance
 * and the state versions written to and read back from the flow's state store.
 */
import type { EventTimeWatermark } from '../../model/index.ts';
import { crashPoint, type DuckDBConnection, queryRows, sqlIdent, sqlString } from '../../util/index.ts';
import type { StateStore, StateVersion } from '../checkpoints/state-store.ts';
import type { FlowRun } from './flow-execution.ts';

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

/** A state's columns with their DuckDB types, as a state version records them. */
type StateColumns = readonly { readonly name: string; readonly type: string }[];

/**
 * Writes the rows of `table` that satisfy `keep` as the Parquet of state version `batchId`,
 * under a temp name; `publish` then makes it (and its watermark) that version, durably — to be
 * awaited before the batch's commit. `known`: the table's columns when the caller knows them
 * (saves a DESCRIBE).
 */
export async function copyState(
  { conn }: FlowRun,
  store: StateStore,
  batchId: number,
  table: string,
  keep: string,
  known?: StateColumns,
): Promise<{ columns: StateColumns; publish: (watermark: number | null) => Promise<StateVersion> }> {
  const columns =
    known ??
    (await queryRows<{ column_name: string; column_type: string }>(conn, `DESCRIBE ${table}`)).map((c) => ({
      name: c.column_name,
      type: c.column_type,
    }));
  // DuckDB writes HUGEINT (its sum of integers) to Parquet as DOUBLE; DECIMAL(38,0) keeps it exact.
  const exact = columns.map((t) =>
    /HUGEINT$/.test(t.type)
      ? `CAST(${sqlIdent(t.name)} AS DECIMAL(38,0)) AS ${sqlIdent(t.name)}`
      : sqlIdent(t.name),
  );
  const tmp = await store.tempFor(batchId);
  // COPY answers the number of rows it wrote.
  const [row] = await queryRows<{ Count: bigint }>(
    conn,
    `COPY (SELECT ${exact.join(', ')} FROM ${table} WHERE ${keep}) TO ${sqlString(tmp)} (FORMAT parquet)`,
  );
  const stateRows = Number(row?.Count ?? 0);
  return {
    columns,
    publish: (watermark) => store.publishParquet(tmp, { batchId, watermark, stateRows, columns }),
  };
}

/**
 * Publishes the rows of `table` that satisfy `keep` as the state of `batchId` (Parquet and its
 * watermark), durably, before the batch's commit; returns its rows and bytes.
 */
export async function writeState(
  run: FlowRun,
  store: StateStore,
  batchId: number,
  table: string,
  keep: string,
  watermark: number | null,
): Promise<{ stateRows: number; stateBytes: number }> {
  const { publish } = await copyState(run, store, batchId, table, keep);
  const { stateRows, stateBytes } = await publish(watermark);
  crashPoint('state-written', run.flow.flow.name);
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
