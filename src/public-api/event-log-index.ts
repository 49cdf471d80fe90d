/**
 * A pipeline's event log kept open for a long-running reader (the dashboard): one summary per
 * update, read once and then followed commit by commit, and queries that read only the files
 * that can hold what they ask for.
 *
 * Why: a log of a thousand updates holds a million events; scanning it on every page load or
 * every poll would cost seconds. Each data file of the log carries min/max `sequence` statistics
 * and an update's events are a sequence range, so a query about one update (or about what is new)
 * opens a few files. Summaries are computed by DuckDB, once for the whole log and then only for
 * the updates new events belong to.
 *
 * Invariant: `lastSequence` is the largest sequence read; `refresh()` returns exactly the events
 * after it, in sequence order, whatever files the log was rewritten into (a compaction rewrites
 * old events into new files: they are filtered out by sequence).
 */
import {
  type EventLogRow,
  eventLogPath,
  flowProgressViewSql,
  TERMINAL_UPDATE_STATES,
} from '../events/index.ts';
import {
  type AddAction,
  latestVersion,
  loadSnapshot,
  type Snapshot,
  snapshotScanSql,
} from '../storage/index.ts';
import { type Database, queryRows, sqlString, withConnection } from '../util/index.ts';

/** One update as the event log recorded it. Times are ISO-8601 instants. */
export interface UpdateRecord {
  readonly updateId: string;
  /** The last recorded update state (null before the first `update_progress`). */
  readonly state: string | null;
  /** `create_update.cause` (USER_ACTION, …). */
  readonly cause: string | null;
  readonly startTime: string;
  /** When it reached COMPLETED, FAILED or CANCELED; null while running. */
  readonly endTime: string | null;
  readonly firstSequence: number;
  readonly lastSequence: number;
  /** Rows written to target tables, summed over its flows' final results. */
  readonly rowsWritten: number;
  readonly errors: number;
  readonly warnings: number;
  /** The code of its first ERROR event, if any. */
  readonly errorCode: string | null;
  readonly fullRefresh: boolean;
  readonly fullRefreshSelection: readonly string[];
  readonly refreshSelection: readonly string[];
}

/**
 * What the index knew at one version of the log (`EventLogIndex.state`), for a later `open` to
 * start from: it then reads only the events appended since, instead of summarizing the whole log.
 */
export interface EventLogIndexState {
  readonly format: 1;
  /** The Delta table id of the log (`metaData.id`): a log created again is another table. */
  readonly tableId: string;
  readonly version: number;
  readonly lastSequence: number;
  /** Every update's complete summary at `version`. */
  readonly updates: readonly UpdateRecord[];
}

/** A filter of `EventLogIndex.page`: every given field must match. */
export interface EventPageFilter {
  readonly updateId?: string;
  readonly levels?: readonly string[];
  readonly types?: readonly string[];
  /** The flow or dataset an event is about. */
  readonly dataset?: string;
  /** Case-insensitive substring of the message or the error code. */
  readonly text?: string;
  /** Newest first (default) or oldest first. */
  readonly order?: 'newest' | 'oldest';
  readonly limit?: number;
  readonly offset?: number;
}

/** One expectation's counts in one flow completion (`system.lakeflow.flow_progress`). */
export interface ExpectationRecord {
  readonly updateId: string;
  readonly flow: string;
  readonly dataset: string;
  readonly expectation: string;
  readonly passed: number;
  readonly failed: number;
}

const TERMINAL_FLOW = "('COMPLETED', 'FAILED', 'SKIPPED', 'STOPPED', 'EXCLUDED', 'IDLE')";
const TERMINAL_UPDATE = `(${[...TERMINAL_UPDATE_STATES].map(sqlString).join(', ')})`;

/**
 * Per-update summaries over the scan `ev` (optionally restricted by `where`), as four queries
 * merged by update id: the first (sequence range and start) is all a reader following the
 * latest update needs, and ~2.5× cheaper than the rest; most events are `flow_progress` rows,
 * and parsing their JSON details is what costs, so only the few rows that need it are parsed
 * (update states and creations; flow results, found first by a substring test), which makes a
 * million-event log ~4× faster to read.
 */
function summarySqls(ev: string, where: string): readonly [string, string, string, string] {
  const from = `FROM (${ev}) AS ev WHERE origin.update_id IS NOT NULL${where ? ` AND ${where}` : ''}`;
  const state = "json_extract_string(details, '$.update_progress.state')";
  return [
    `SELECT origin.update_id AS update_id,
  min(sequence) AS first_sequence, max(sequence) AS last_sequence,
  epoch_ms(min("timestamp")) AS start_ms
${from} GROUP BY origin.update_id`,
    `SELECT origin.update_id AS update_id,
  count(*) FILTER (WHERE level = 'ERROR') AS errors,
  count(*) FILTER (WHERE level = 'WARN') AS warnings,
  arg_min(error.code, sequence) FILTER (WHERE level = 'ERROR' AND error.code IS NOT NULL) AS error_code
${from} AND level IN ('ERROR', 'WARN') GROUP BY origin.update_id`,
    `SELECT origin.update_id AS update_id,
  arg_max(${state}, sequence) FILTER (WHERE event_type = 'update_progress' AND ${state} IS NOT NULL) AS state,
  epoch_ms(max("timestamp") FILTER (WHERE event_type = 'update_progress' AND ${state} IN ${TERMINAL_UPDATE})) AS end_ms,
  any_value(details) FILTER (WHERE event_type = 'create_update') AS create_details
${from} AND event_type IN ('update_progress', 'create_update') GROUP BY origin.update_id`,
    `SELECT origin.update_id AS update_id,
  coalesce(sum(CAST(json_extract(details, '$.flow_progress.metrics.num_output_rows') AS BIGINT)), 0) AS rows_written
${from} AND event_type = 'flow_progress' AND level <> 'METRICS' AND contains(details, 'num_output_rows')
  AND json_extract_string(details, '$.flow_progress.status') IN ${TERMINAL_FLOW}
GROUP BY origin.update_id`,
  ];
}

/** The columns of an event row, with the timestamp as epoch milliseconds. */
const ROW_COLUMNS = `id, sequence, origin, epoch_ms("timestamp") AS ts_ms, message, level, error, details, event_type`;

function toEventRow(r: Record<string, unknown>): EventLogRow {
  const origin = r.origin as Record<string, unknown>;
  return {
    id: String(r.id),
    sequence: Number(r.sequence),
    origin: {
      pipeline_name: origin.pipeline_name as string,
      pipeline_id: origin.pipeline_id as string,
      update_id: (origin.update_id as string | null) ?? null,
      flow_name: (origin.flow_name as string | null) ?? null,
      dataset_name: (origin.dataset_name as string | null) ?? null,
      batch_id: origin.batch_id === null || origin.batch_id === undefined ? null : Number(origin.batch_id),
    },
    timestamp: new Date(Number(r.ts_ms)).toISOString(),
    message: String(r.message ?? ''),
    level: r.level as EventLogRow['level'],
    error: (r.error as EventLogRow['error']) ?? null,
    details: String(r.details ?? '{}'),
    event_type: r.event_type as EventLogRow['event_type'],
  };
}

function toRecord(r: Record<string, unknown>): UpdateRecord {
  let create: {
    cause?: string;
    full_refresh?: boolean;
    full_refresh_selection?: string[];
    refresh_selection?: string[];
  } = {};
  try {
    create =
      (JSON.parse(String(r.create_details ?? '{}')) as { create_update?: typeof create }).create_update ?? {};
  } catch {
    // a damaged details text leaves the defaults
  }
  return {
    updateId: String(r.update_id),
    state: (r.state as string | null) ?? null,
    cause: create.cause ?? null,
    startTime: new Date(Number(r.start_ms)).toISOString(),
    endTime: r.end_ms === null || r.end_ms === undefined ? null : new Date(Number(r.end_ms)).toISOString(),
    firstSequence: Number(r.first_sequence),
    lastSequence: Number(r.last_sequence),
    rowsWritten: Number(r.rows_written ?? 0),
    errors: Number(r.errors ?? 0),
    warnings: Number(r.warnings ?? 0),
    errorCode: (r.error_code as string | null) ?? null,
    fullRefresh: create.full_refresh === true,
    fullRefreshSelection: create.full_refresh_selection ?? [],
    refreshSelection: create.refresh_selection ?? [],
  };
}

/** `[min, max]` sequence of a data file from its statistics; undefined when it has none. */
function sequenceRange(add: AddAction): readonly [number, number] | undefined {
  if (!add.stats) return undefined;
  try {
    const s = JSON.parse(add.stats) as {
      minValues?: { sequence?: unknown };
      maxValues?: { sequence?: unknown };
    };
    const lo = s.minValues?.sequence;
    const hi = s.maxValues?.sequence;
    return typeof lo === 'number' && typeof hi === 'number' ? [lo, hi] : undefined;
  } catch {
    return undefined;
  }
}

/** See the module comment. Open with `EventLogIndex.open`; every method is safe before the log exists. */
export class EventLogIndex {
  readonly #db: Database;
  readonly #path: string;
  #snapshot: Snapshot | undefined;
  #version: number | undefined;
  #lastSequence = -1;
  readonly #records = new Map<string, UpdateRecord>();
  /** Records of the first read that lack their counts, states and rows until `complete()` fills them in. */
  readonly #partial = new Set<UpdateRecord>();
  #completing: Promise<void> | undefined;
  #pendingFill: (() => Promise<void>) | undefined;
  /** Parsed sequence ranges of data files, by path (files never change once written). */
  readonly #ranges = new Map<string, readonly [number, number] | null>();
  #refreshing: Promise<EventLogRow[]> | undefined;

  private constructor(db: Database, storage: string) {
    this.#db = db;
    this.#path = eventLogPath(storage);
  }

  /**
   * Opens the index of the event log under `storage`. Without a saved state it knows the latest
   * update's sequence range and start, read from the newest data files (all a reader following
   * the latest update needs); every other update, and every update's error and warning counts,
   * states, causes and rows written, come with `complete()`, which readers of `updates()` and of
   * older updates await (`page` and `refresh` do it themselves).
   */
  static async open(db: Database, storage: string, saved?: EventLogIndexState): Promise<EventLogIndex> {
    const index = new EventLogIndex(db, storage);
    await index.#load(saved);
    return index;
  }

  /**
   * What this index knows, for `open` to start from later; undefined before the log exists and
   * until `complete()` filled every summary in.
   */
  state(): EventLogIndexState | undefined {
    const snap = this.#snapshot;
    if (!snap || this.#partial.size > 0 || this.#pendingFill) return undefined;
    return {
      format: 1,
      tableId: snap.metadata.id,
      version: snap.version,
      lastSequence: this.#lastSequence,
      updates: this.updates(),
    };
  }

  /** The event log's Delta version read so far (undefined before the first update). */
  get version(): number | undefined {
    return this.#version;
  }

  /** The largest event sequence read so far (-1 before any). */
  get lastSequence(): number {
    return this.#lastSequence;
  }

  /** Every update known, oldest first (all of them, with counts, states and rows, once `complete()` resolved). */
  updates(): UpdateRecord[] {
    return [...this.#records.values()].sort((a, b) => a.firstSequence - b.firstSequence);
  }

  /** One update's summary, or undefined (before `complete()`, only the latest and newer ones are known). */
  update(updateId: string): UpdateRecord | undefined {
    return this.#records.get(updateId);
  }

  /** Resolves once every update's state, cause and rows written are read (see `open`). */
  complete(): Promise<void> {
    const fill = this.#pendingFill;
    if (!fill) return this.#completing ?? Promise.resolve();
    this.#pendingFill = undefined;
    this.#completing = fill().catch((e: unknown) => {
      this.#pendingFill = fill; // a failed read is tried again by the next caller
      this.#completing = undefined;
      throw e;
    });
    return this.#completing;
  }

  /** Whether the log has a commit this index has not read (one directory listing). */
  async changed(): Promise<boolean> {
    return (await latestVersion(this.#path)) !== this.#version;
  }

  /**
   * Reads what was appended since the last call and updates the summaries of the updates it
   * belongs to. Returns the new events in sequence order (empty when nothing changed).
   * Concurrent calls share one read.
   */
  refresh(): Promise<EventLogRow[]> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #load(saved: EventLogIndexState | undefined): Promise<void> {
    const version = await latestVersion(this.#path);
    if (version === undefined) return;
    const snap = await loadSnapshot(this.#path, { db: this.#db });
    if (
      saved?.format === 1 &&
      saved.tableId === snap.metadata.id &&
      saved.version <= snap.version &&
      Array.isArray(saved.updates)
    ) {
      // Invariant kept: every summary is complete up to `lastSequence`; what came after is read now.
      for (const rec of saved.updates) this.#records.set(rec.updateId, rec);
      this.#lastSequence = saved.lastSequence;
      this.#snapshot = snap;
      this.#version = snap.version;
      await this.#readAfter(snap, snap.files);
      return;
    }
    const [base, counts, states, written] = summarySqls(snapshotScanSql(snap), '');
    // The latest update alone first (the newest files): that is all a first page shows. Every
    // update's summary is read with the rest, by `complete()`.
    const latest = await this.#latestUpdate(snap);
    const rows = latest ? [latest.row] : await this.#query(base);
    for (const r of rows) {
      const rec = toRecord(r);
      this.#records.set(rec.updateId, rec);
      this.#partial.add(rec);
      this.#lastSequence = Math.max(this.#lastSequence, rec.lastSequence);
    }
    if (latest) this.#lastSequence = Math.max(this.#lastSequence, latest.lastSequence);
    if (rows.length > 0)
      this.#pendingFill = async () => {
        const all = latest ? await this.#query(base) : rows;
        const byId = new Map(all.map((r) => [String(r.update_id), r]));
        for (const sql of [counts, states, written])
          for (const r of await this.#query(sql)) Object.assign(byId.get(String(r.update_id)) ?? {}, r);
        for (const r of all) {
          const current = this.#records.get(String(r.update_id));
          // A record `refresh()` has summarized again since is newer: it stays.
          if (!current || this.#partial.has(current)) this.#records.set(String(r.update_id), toRecord(r));
        }
        this.#partial.clear();
      };
    if (rows.length === 0 && snap.files.length > 0) {
      const [m] = await this.#query(`SELECT max(sequence) AS m FROM (${snapshotScanSql(snap)})`);
      if (m?.m !== null && m?.m !== undefined) this.#lastSequence = Number(m.m);
    }
    this.#snapshot = snap;
    this.#version = snap.version;
  }

  /**
   * The latest update's sequence range and start (a `summarySqls` base row), and the largest
   * sequence in the log, read from the log's newest events only; undefined when a file lacks
   * sequence statistics or the log holds no update's events. The window of sequences read grows
   * (data files and row groups below it are skipped by their statistics) until it holds an
   * update's event, whose update is then the latest, and that update's `create_update`, written
   * before any other event of its update; the range is then exact.
   */
  async #latestUpdate(
    snap: Snapshot,
  ): Promise<{ row: Record<string, unknown>; lastSequence: number } | undefined> {
    if (snap.files.length === 0 || snap.files.some((f) => !this.#range(f))) return undefined;
    const newest = Math.max(...snap.files.map((f) => this.#range(f)![1]));
    for (const width of [4_096, 65_536, 1_048_576, Number.POSITIVE_INFINITY]) {
      const from = newest - width;
      const files = this.#files(snap, from);
      const ev = `SELECT * FROM (${snapshotScanSql({ ...snap, files })})${Number.isFinite(from) ? ` WHERE sequence >= ${from}` : ''}`;
      const [row] = await this.#query(
        `WITH ev AS (${ev}),
         top AS (SELECT max(sequence) AS last_any,
           arg_max(origin.update_id, sequence) FILTER (WHERE origin.update_id IS NOT NULL) AS id FROM ev)
         SELECT top.id AS update_id, top.last_any,
           min(sequence) AS first_sequence, max(sequence) AS last_sequence,
           epoch_ms(min("timestamp")) AS start_ms,
           count(*) FILTER (WHERE event_type = 'create_update') AS creates
         FROM ev, top WHERE ev.origin.update_id = top.id GROUP BY top.id, top.last_any`,
      );
      if (row && (Number(row.creates) > 0 || !Number.isFinite(width)))
        return { row, lastSequence: Number(row.last_any) };
    }
    return undefined;
  }

  async #refresh(): Promise<EventLogRow[]> {
    const version = await latestVersion(this.#path);
    if (version === undefined || version === this.#version) return [];
    const snap = await loadSnapshot(this.#path, {
      db: this.#db,
      ...(this.#snapshot ? { base: this.#snapshot, version } : {}),
    });
    const known = new Set(this.#snapshot?.files.map((f) => f.path) ?? []);
    this.#snapshot = snap;
    this.#version = snap.version;
    return this.#readAfter(
      snap,
      snap.files.filter((f) => !known.has(f.path)),
    );
  }

  /**
   * Reads the events of `files` after `lastSequence` (files whose statistics say they hold none
   * are not opened) and summarizes again the updates they belong to.
   */
  async #readAfter(snap: Snapshot, files: readonly AddAction[]): Promise<EventLogRow[]> {
    const fresh = files.filter((f) => (this.#range(f)?.[1] ?? Number.POSITIVE_INFINITY) > this.#lastSequence);
    if (fresh.length === 0) return [];
    const rows = (
      await this.#query(
        `SELECT ${ROW_COLUMNS} FROM (${snapshotScanSql({ ...snap, files: fresh })}) AS ev WHERE sequence > ${this.#lastSequence} ORDER BY sequence`,
      )
    ).map(toEventRow);
    if (rows.length === 0) return [];
    this.#lastSequence = rows.at(-1)!.sequence;
    const ids = [...new Set(rows.flatMap((r) => (r.origin.update_id ? [r.origin.update_id] : [])))];
    // A late event of an update not known yet: its summary must start from its first event.
    if (ids.some((id) => !this.#records.has(id)) && (this.#pendingFill || this.#completing))
      await this.complete();
    if (ids.length > 0) {
      const from = Math.min(
        rows[0]!.sequence,
        ...ids.map((id) => this.#records.get(id)?.firstSequence ?? Number.POSITIVE_INFINITY),
      );
      const scan = snapshotScanSql({ ...snap, files: this.#files(snap, from) });
      const where = `sequence >= ${from} AND origin.update_id IN (${ids.map(sqlString).join(', ')})`;
      for (const r of await this.#summarize(scan, where)) {
        const rec = toRecord(r);
        this.#records.set(rec.updateId, rec);
      }
    }
    return rows;
  }

  /**
   * One page of events matching `filter`, and how many match in all. Only the files that can
   * hold the update asked for are read.
   */
  async page(filter: EventPageFilter = {}): Promise<{ rows: EventLogRow[]; total: number }> {
    const snap = this.#snapshot;
    if (!snap) return { rows: [], total: 0 };
    if (filter.updateId && !this.#records.has(filter.updateId)) await this.complete();
    const rec = filter.updateId ? this.#records.get(filter.updateId) : undefined;
    if (filter.updateId && !rec) return { rows: [], total: 0 };
    const files = rec ? this.#files(snap, rec.firstSequence, rec.lastSequence) : snap.files;
    if (files.length === 0) return { rows: [], total: 0 };
    const where: string[] = [];
    if (rec)
      where.push(
        `sequence BETWEEN ${rec.firstSequence} AND ${rec.lastSequence}`,
        `origin.update_id = ${sqlString(rec.updateId)}`,
      );
    else where.push(`sequence <= ${this.#lastSequence}`);
    if (filter.levels?.length) where.push(`level IN (${filter.levels.map(sqlString).join(', ')})`);
    if (filter.types?.length) where.push(`event_type IN (${filter.types.map(sqlString).join(', ')})`);
    if (filter.dataset)
      where.push(
        `(origin.dataset_name = ${sqlString(filter.dataset)} OR origin.flow_name = ${sqlString(filter.dataset)})`,
      );
    if (filter.text) {
      const like = sqlString(`%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      where.push(`(message ILIKE ${like} ESCAPE '\\' OR error.code ILIKE ${like} ESCAPE '\\')`);
    }
    const limit = Math.max(1, Math.min(500, Math.trunc(filter.limit ?? 100)));
    const offset = Math.max(0, Math.trunc(filter.offset ?? 0));
    const order = filter.order === 'oldest' ? 'ASC' : 'DESC';
    // Two steps: the page's sequence numbers (reading only the filtered columns), then its rows
    // (reading only the files and row groups that hold them) — never a sort of whole rows.
    const keys = await this.#query(
      `SELECT sequence, count(*) OVER () AS total FROM (${snapshotScanSql({ ...snap, files })}) AS ev
       WHERE ${where.join(' AND ')} ORDER BY sequence ${order} LIMIT ${limit} OFFSET ${offset}`,
    );
    if (keys.length === 0) {
      if (offset === 0) return { rows: [], total: 0 };
      const [c] = await this.#query(
        `SELECT count(*) AS n FROM (${snapshotScanSql({ ...snap, files })}) AS ev WHERE ${where.join(' AND ')}`,
      );
      return { rows: [], total: Number(c?.n ?? 0) };
    }
    const seqs = keys.map((k) => Number(k.sequence));
    const lo = Math.min(...seqs);
    const hi = Math.max(...seqs);
    const rows = await this.#query(
      `SELECT ${ROW_COLUMNS} FROM (${snapshotScanSql({ ...snap, files: this.#files(snap, lo, hi) })}) AS ev
       WHERE sequence BETWEEN ${lo} AND ${hi} AND sequence IN (${seqs.join(', ')}) ORDER BY sequence ${order}`,
    );
    return { rows: rows.map(toEventRow), total: Number(keys[0]!.total) };
  }

  /** Every event of one update in sequence order (definitions included). */
  async eventsOf(updateId: string): Promise<EventLogRow[]> {
    const rec = this.#records.get(updateId);
    const snap = this.#snapshot;
    if (!rec || !snap) return [];
    const files = this.#files(snap, rec.firstSequence, rec.lastSequence);
    if (files.length === 0) return [];
    const rows = await this.#query(
      `SELECT ${ROW_COLUMNS} FROM (${snapshotScanSql({ ...snap, files })}) AS ev
       WHERE sequence BETWEEN ${rec.firstSequence} AND ${Math.min(rec.lastSequence, this.#lastSequence)}
         AND origin.update_id = ${sqlString(updateId)} ORDER BY sequence`,
    );
    return rows.map(toEventRow);
  }

  /**
   * Expectation counts of the given updates' flow completions, as `system.lakeflow.flow_progress`
   * has them (one row per expectation per completed flow).
   */
  async expectations(updateIds: readonly string[]): Promise<ExpectationRecord[]> {
    const snap = this.#snapshot;
    const recs = updateIds.flatMap((id) => this.#records.get(id) ?? []);
    if (!snap || recs.length === 0) return [];
    const from = Math.min(...recs.map((r) => r.firstSequence));
    const to = Math.max(...recs.map((r) => r.lastSequence));
    const files = this.#files(snap, from, to);
    if (files.length === 0) return [];
    const rows = await this.#query(
      `SELECT update_id, flow_name, dataset_name, expectation_name, passed_records, failed_records
       FROM (${flowProgressViewSql(`SELECT * FROM (${snapshotScanSql({ ...snap, files })}) WHERE sequence BETWEEN ${from} AND ${to}`)})
       WHERE update_id IN (${recs.map((r) => sqlString(r.updateId)).join(', ')})
       ORDER BY "timestamp"`,
    );
    return rows.map((r) => ({
      updateId: String(r.update_id),
      flow: String(r.flow_name),
      dataset: String(r.dataset_name),
      expectation: String(r.expectation_name),
      passed: Number(r.passed_records ?? 0),
      failed: Number(r.failed_records ?? 0),
    }));
  }

  #range(f: AddAction): readonly [number, number] | undefined {
    let r = this.#ranges.get(f.path);
    if (r === undefined) {
      r = sequenceRange(f) ?? null;
      this.#ranges.set(f.path, r);
    }
    return r ?? undefined;
  }

  /** The data files that may hold sequences in [from, to] (files without statistics always). */
  #files(snap: Snapshot, from: number, to = Number.POSITIVE_INFINITY): AddAction[] {
    return snap.files.filter((f) => {
      const r = this.#range(f);
      return r === undefined || (r[1] >= from && r[0] <= to);
    });
  }

  /** The summary rows of `summarySqls`, merged by update id. */
  async #summarize(ev: string, where: string): Promise<Record<string, unknown>[]> {
    const [base, counts, states, written] = summarySqls(ev, where);
    const rows = await this.#query(base);
    const byId = new Map(rows.map((r) => [String(r.update_id), r]));
    for (const sql of [counts, states, written])
      for (const r of await this.#query(sql)) {
        const row = byId.get(String(r.update_id));
        if (row) Object.assign(row, r);
      }
    return rows;
  }

  #query(sql: string): Promise<Record<string, unknown>[]> {
    return withConnection(this.#db, (conn) => queryRows<Record<string, unknown>>(conn, sql));
  }
}
