/**
 * Appending to a pipeline's event log (a Delta table). One `write` = one Parquet file + one
 * put-if-absent commit, so a batch of events is either entirely in the log or not at all, and
 * a process killed mid-update leaves every batch written so far.
 *
 * Invariant: only one update writes a pipeline's event log at a time (the engine's pipeline
 * lock), so `sequence` continues from the table's maximum without coordination. Commits are
 * still blind appends, so a concurrent writer (it should not happen) rebases instead of failing.
 */
import { randomUUID } from 'node:crypto';
import { SluiceError } from '../errors/index.ts';
import { commit } from '../storage/delta/commit.ts';
import { snapshotScanSql } from '../storage/delta/scan.ts';
import { latestVersion, loadSnapshot } from '../storage/delta/snapshot.ts';
import { createTable, writeDataFiles } from '../storage/delta/table.ts';
import { connect, type DuckDBConnection, queryRows, sqlString } from '../util/duckdb.ts';
import {
  ERROR_DUCKDB_TYPE,
  EVENT_LOG_SCHEMA,
  type EventError,
  type EventLogRow,
  eventLogPath,
  type NewEvent,
  ORIGIN_DUCKDB_TYPE,
} from './schema.ts';

const COLUMNS = [
  'id',
  'sequence',
  'origin',
  'timestamp',
  'message',
  'level',
  'error',
  'details',
  'event_type',
];

function str(v: string | null | undefined): string {
  return v === null || v === undefined ? 'NULL' : sqlString(v);
}

function int(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? 'NULL' : String(Math.trunc(v));
}

function errorLiteral(e: EventError | null): string {
  if (e === null) return `CAST(NULL AS ${ERROR_DUCKDB_TYPE})`;
  const causes = e.causes.map((c) => `{'code': ${str(c.code)}, 'message': ${str(c.message)}}`);
  return `CAST({'code': ${str(e.code)}, 'message': ${str(e.message)}, 'causes': [${causes.join(', ')}]} AS ${ERROR_DUCKDB_TYPE})`;
}

/** A DuckDB SELECT producing `rows` with the event log's columns (no per-row work beyond quoting). */
export function eventRowsSql(rows: readonly EventLogRow[]): string {
  const values = rows.map((r) => {
    const o = r.origin;
    const origin = `CAST({'pipeline_name': ${str(o.pipeline_name)}, 'pipeline_id': ${str(o.pipeline_id)}, 'update_id': ${str(o.update_id)}, 'flow_name': ${str(o.flow_name)}, 'dataset_name': ${str(o.dataset_name)}, 'batch_id': ${int(o.batch_id)}} AS ${ORIGIN_DUCKDB_TYPE})`;
    return `(${[
      str(r.id),
      `CAST(${int(r.sequence)} AS BIGINT)`,
      origin,
      `CAST(${str(r.timestamp)} AS TIMESTAMP WITH TIME ZONE)`,
      str(r.message),
      str(r.level),
      errorLiteral(r.error),
      str(r.details),
      str(r.event_type),
    ].join(', ')})`;
  });
  return `SELECT * FROM (VALUES ${values.join(', ')}) AS t(${COLUMNS.map((c) => `"${c}"`).join(', ')})`;
}

/**
 * Creates the event log table when absent (racing creators are fine: the loser sees
 * DELTA_TABLE_EXISTS and uses the winner's table).
 */
export async function ensureEventLog(storage: string): Promise<string> {
  const path = eventLogPath(storage);
  if ((await latestVersion(path)) !== undefined) return path;
  try {
    await createTable(path, {
      schema: EVENT_LOG_SCHEMA,
      name: 'event_log',
      description: 'sluice pipeline event log',
      configuration: { 'delta.appendOnly': 'true' },
    });
  } catch (e) {
    if (!(e instanceof SluiceError && e.code === 'DELTA_TABLE_EXISTS')) throw e;
  }
  return path;
}

/** Writes events of one pipeline; see the module comment for the invariants. */
export class EventLogWriter {
  /** The pipeline's stable id: the event log table's Delta metadata id (created once). */
  readonly pipelineId: string;
  readonly tablePath: string;
  #next: number;
  #conn: DuckDBConnection | undefined;
  #writing: Promise<void> = Promise.resolve();

  private constructor(tablePath: string, pipelineId: string, next: number) {
    this.tablePath = tablePath;
    this.pipelineId = pipelineId;
    this.#next = next;
  }

  /** Opens (creating if needed) the event log under `storage` and reads its last sequence number. */
  static async open(storage: string): Promise<EventLogWriter> {
    const path = await ensureEventLog(storage);
    const snap = await loadSnapshot(path);
    let next = 0;
    if (snap.files.length > 0) {
      const conn = await connect();
      try {
        const [row] = await queryRows<{ m: number | string | null }>(
          conn,
          `SELECT max(sequence) AS m FROM (${snapshotScanSql(snap)})`,
        );
        if (row?.m !== null && row?.m !== undefined) next = Number(row.m) + 1;
      } finally {
        conn.closeSync();
      }
    }
    return new EventLogWriter(path, snap.metadata.id, next);
  }

  /** Assigns the next sequence number and a fresh id. Sequence order is call order. */
  stamp(event: NewEvent): EventLogRow {
    return { id: randomUUID(), sequence: this.#next++, ...event };
  }

  /**
   * Appends rows in one commit. Calls are serialized: a write starts after the previous one
   * ended, so commits are in sequence order.
   */
  write(rows: readonly EventLogRow[]): Promise<void> {
    if (rows.length === 0) return this.#writing;
    const run = this.#writing.then(() => this.#write(rows));
    // A failed write must not poison the chain; the caller sees the failure through `run`.
    this.#writing = run.catch(() => {});
    return run;
  }

  async #write(rows: readonly EventLogRow[]): Promise<void> {
    this.#conn ??= await connect();
    const snap = await loadSnapshot(this.tablePath);
    const adds = await writeDataFiles(this.#conn, this.tablePath, eventRowsSql(rows), {
      schema: snap.schema,
      partitionColumns: snap.partitionColumns,
    });
    await commit(
      this.tablePath,
      adds.map((add) => ({ add })),
      {
        readVersion: snap.version,
        operation: 'WRITE',
        operationParameters: { mode: 'Append', partitionBy: '[]' },
        isBlindAppend: true,
      },
    );
  }

  /** Waits for pending writes and releases the DuckDB connection. */
  async close(): Promise<void> {
    await this.#writing;
    this.#conn?.closeSync();
    this.#conn = undefined;
  }
}
