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
import {
  commit,
  createTable,
  latestVersion,
  loadSnapshot,
  type Snapshot,
  snapshotScanSql,
  writeDataFiles,
} from '../storage/index.ts';
import { type Database, type DuckDBConnection, queryRows, sqlString, withConnection } from '../util/index.ts';
import { type RepairedCommit, repairEventLog } from './repair.ts';
import {
  ERROR_DUCKDB_TYPE,
  EVENT_LOG_SCHEMA,
  type EventLogRow,
  eventLogPath,
  type NewEvent,
  ORIGIN_DUCKDB_TYPE,
} from './schema.ts';

/** The JSON structure `from_json` parses the rows with (DuckDB types; timestamp parsed below). */
const ROW_STRUCTURE = JSON.stringify([
  {
    id: 'VARCHAR',
    sequence: 'BIGINT',
    origin: {
      pipeline_name: 'VARCHAR',
      pipeline_id: 'VARCHAR',
      update_id: 'VARCHAR',
      flow_name: 'VARCHAR',
      dataset_name: 'VARCHAR',
      batch_id: 'BIGINT',
    },
    timestamp: 'VARCHAR',
    message: 'VARCHAR',
    level: 'VARCHAR',
    error: { code: 'VARCHAR', message: 'VARCHAR', causes: [{ code: 'VARCHAR', message: 'VARCHAR' }] },
    details: 'VARCHAR',
    event_type: 'VARCHAR',
  },
]);

/** The columns of {@link eventRowsSql}'s SELECT, in order: the event log schema's. */
export const EVENT_ROW_COLUMNS: readonly string[] = EVENT_LOG_SCHEMA.fields.map((f) => f.name);

/**
 * A DuckDB SELECT producing `rows` with the event log's columns. The rows travel as one JSON
 * string literal parsed inside DuckDB, so binding costs the same for one row or a thousand
 * (a VALUES list with casts per row binds in time proportional to its size).
 */
export function eventRowsSql(rows: readonly EventLogRow[]): string {
  const doc = JSON.stringify(
    rows.map((r) => ({ ...r, sequence: Number.isFinite(r.sequence) ? Math.trunc(r.sequence) : null })),
  );
  return `SELECT r.id AS "id", r.sequence AS "sequence", CAST(r.origin AS ${ORIGIN_DUCKDB_TYPE}) AS "origin", CAST(r.timestamp AS TIMESTAMP WITH TIME ZONE) AS "timestamp", r.message AS "message", r.level AS "level", CAST(r.error AS ${ERROR_DUCKDB_TYPE}) AS "error", r.details AS "details", r.event_type AS "event_type" FROM (SELECT unnest(from_json(${sqlString(doc)}, ${sqlString(ROW_STRUCTURE)})) AS r)`;
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

/** `maxValues.sequence` of an add action's statistics, when present. */
function maxSequence(stats: string | null | undefined): number | undefined {
  if (!stats) return undefined;
  try {
    const v = (JSON.parse(stats) as { maxValues?: { sequence?: unknown } }).maxValues?.sequence;
    return typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Writes events of one pipeline; see the module comment for the invariants. */
export class EventLogWriter {
  /** The pipeline's stable id: the event log table's Delta metadata id (created once). */
  readonly pipelineId: string;
  readonly tablePath: string;
  #next: number;
  #conn: DuckDBConnection | undefined;
  /** The table as of our last commit: each write reads only the commits after it. */
  #snapshot: Snapshot;
  #writing: Promise<void> = Promise.resolve();

  readonly #db: Database;

  /** Commits of the log that were unreadable and replaced when it was opened (see repair.ts). */
  readonly repaired: readonly RepairedCommit[];

  private constructor(
    db: Database,
    tablePath: string,
    snapshot: Snapshot,
    next: number,
    repaired: readonly RepairedCommit[],
  ) {
    this.#db = db;
    this.repaired = repaired;
    this.tablePath = tablePath;
    this.pipelineId = snapshot.metadata.id;
    this.#snapshot = snapshot;
    this.#next = next;
  }

  /** Opens (creating if needed) the event log under `storage` and reads its last sequence number. */
  static async open(db: Database, storage: string): Promise<EventLogWriter> {
    const path = await ensureEventLog(storage);
    let repaired: readonly RepairedCommit[] = [];
    let snap: Snapshot;
    try {
      snap = await loadSnapshot(path, { db });
    } catch (e) {
      if (
        !(
          e instanceof SluiceError &&
          (e.code === 'DELTA_CORRUPT_LOG' || e.code === 'DELTA_VERSION_NOT_FOUND')
        )
      )
        throw e;
      repaired = await repairEventLog(path);
      if (repaired.length === 0) throw e;
      snap = await loadSnapshot(path, { db });
    }
    // The files' statistics know the largest sequence; only files written without them are read.
    let next = 0;
    const unknown = snap.files.filter((f) => {
      const max = maxSequence(f.stats);
      if (max === undefined) return true;
      next = Math.max(next, max + 1);
      return false;
    });
    if (unknown.length > 0) {
      const [row] = await withConnection(db, (conn) =>
        queryRows<{ m: number | string | null }>(
          conn,
          `SELECT max(sequence) AS m FROM (${snapshotScanSql({ ...snap, files: unknown })})`,
        ),
      );
      if (row?.m !== null && row?.m !== undefined) next = Math.max(next, Number(row.m) + 1);
    }
    return new EventLogWriter(db, path, snap, next, repaired);
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
    this.#conn ??= await this.#db.connect();
    const snap = await loadSnapshot(this.tablePath, { base: this.#snapshot, db: this.#db });
    const adds = await writeDataFiles(this.#conn, this.tablePath, eventRowsSql(rows), {
      // eventRowsSql's columns are the event log schema's, in order: no DESCRIBE per write.
      columns: EVENT_ROW_COLUMNS,
      schema: snap.schema,
      partitionColumns: snap.partitionColumns,
    });
    await commit(
      this.tablePath,
      adds.map((add) => ({ add })),
      {
        readVersion: snap.version,
        snapshot: snap,
        operation: 'WRITE',
        operationParameters: { mode: 'Append', partitionBy: '[]' },
        isBlindAppend: true,
        db: this.#db,
      },
    );
    this.#snapshot = snap;
  }

  /** Waits for pending writes and releases the DuckDB connection. */
  async close(): Promise<void> {
    await this.#writing;
    this.#conn?.closeSync();
    this.#conn = undefined;
  }
}
