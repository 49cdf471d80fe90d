/**
 * Reading a pipeline for a dashboard that stays open: its event log (followed, see
 * `EventLogIndex`), its Delta tables (schema, history, rows at any version) and whether an
 * update holds its lock. Everything read is under the pipeline's storage folder, addressed by
 * table name — never by a path a caller passes.
 */
import { runningUpdate } from '../engine/index.ts';
import { SluiceError } from '../errors/index.ts';
import type { DataType } from '../model/index.ts';
import { type QueryResult, runQuery } from '../query/index.ts';
import { type BundleSelection, loadSpec } from '../spec/index.ts';
import {
  latestVersion,
  loadSnapshot,
  numRecordsOf,
  readCommit,
  type Snapshot,
  snapshotScanSql,
  storedTables,
} from '../storage/index.ts';
import { sqlString } from '../util/index.ts';
import { EventLogIndex, type EventLogIndexState } from './event-log-index.ts';
import { Session } from './session.ts';

/** A column of a Delta table, its type written as Spark writes DDL types. */
export interface TableColumn {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
}

/** A stored table of the pipeline at one version. */
export interface TableInfo {
  /** `table`, or `schema.table` outside the default schema. */
  readonly name: string;
  readonly version: number;
  /** Milliseconds since the epoch of the commit that made `version`. */
  readonly timestamp: number;
  readonly columns: readonly TableColumn[];
  readonly partitionColumns: readonly string[];
  readonly properties: Readonly<Record<string, string>>;
  readonly numFiles: number;
  readonly numRows: number;
  readonly sizeBytes: number;
}

/** One commit of a table's Delta log (`DESCRIBE HISTORY`). */
export interface TableCommit {
  readonly version: number;
  readonly timestamp: number | null;
  readonly operation: string | null;
  readonly operationParameters: Readonly<Record<string, unknown>>;
  readonly operationMetrics: Readonly<Record<string, unknown>>;
  readonly filesAdded: number;
  readonly filesRemoved: number;
  readonly rowsAdded: number;
  /** The `txn` of the commit (a flow's batch), when it has one. */
  readonly txn: { readonly appId: string; readonly version: number } | null;
}

/** Options of `PipelineMonitor.rows`. */
export interface TableRowsOptions {
  /** Time travel (default: latest). */
  readonly version?: number;
  readonly limit?: number;
  readonly offset?: number;
  /** Quarantine tables: only rows whose `_violations` lists this expectation. */
  readonly violation?: string;
}

/** Rows of a table page and how many rows match in all. */
export interface TableRows extends QueryResult {
  readonly total: number;
  readonly version: number;
}

/** Who holds the pipeline's update lock. */
export interface RunningUpdateInfo {
  readonly updateId: string;
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
}

/** Spark's DDL spelling of a Delta type. */
export function typeName(t: DataType): string {
  if (typeof t === 'string') return t;
  switch (t.type) {
    case 'array':
      return `array<${typeName(t.elementType)}>`;
    case 'map':
      return `map<${typeName(t.keyType)}, ${typeName(t.valueType)}>`;
    case 'struct':
      return `struct<${t.fields.map((f) => `${f.name}: ${typeName(f.type)}`).join(', ')}>`;
    default: {
      const never: never = t;
      return never;
    }
  }
}

/** Options of `PipelineMonitor.open`. */
export interface PipelineMonitorOptions extends BundleSelection {
  readonly cwd?: string;
  /**
   * What an earlier index of the event log knew (`EventLogIndex.state()`, kept by the caller):
   * the index then starts from it and reads only the events appended since. Asked once, when the
   * index opens; a state of another log (or an older format) is ignored.
   */
  readonly savedEvents?: () => Promise<EventLogIndexState | undefined>;
}

/** See the module comment. Open with `PipelineMonitor.open`; close it when done. */
export class PipelineMonitor {
  readonly #session: Session;
  readonly #savedEvents: PipelineMonitorOptions['savedEvents'];
  #events: Promise<EventLogIndex> | undefined;

  private constructor(
    /** The pipeline's name (spec `name`). */
    readonly pipeline: string,
    /** Its absolute storage folder. */
    readonly storage: string,
    /** The folder of its spec. */
    readonly root: string,
    savedEvents: PipelineMonitorOptions['savedEvents'],
  ) {
    this.#session = new Session();
    this.#savedEvents = savedEvents;
  }

  /** Opens the pipeline in `dir` (or found from `cwd`). @throws PIPELINE_SPEC_NOT_FOUND */
  static async open(dir: string | undefined, options: PipelineMonitorOptions = {}): Promise<PipelineMonitor> {
    const spec = await loadSpec(dir, { cwd: options.cwd ?? process.cwd(), ...options });
    return new PipelineMonitor(spec.name, spec.storage, spec.root, options.savedEvents);
  }

  /** The event log index, opened on first use (from the saved state, if one was given). */
  events(): Promise<EventLogIndex> {
    this.#events ??= (async () => {
      const saved = await this.#savedEvents?.().catch(() => undefined);
      return EventLogIndex.open(this.#session.db, this.storage, saved);
    })().catch((e: unknown) => {
      this.#events = undefined;
      throw e;
    });
    return this.#events;
  }

  /** The update holding the pipeline's lock, if a live process holds it. */
  async runningUpdate(): Promise<RunningUpdateInfo | undefined> {
    const lock = await runningUpdate(this.storage);
    return lock
      ? { updateId: lock.updateId, pid: lock.pid, host: lock.host, startedAt: lock.startedAt }
      : undefined;
  }

  /** Names of the stored tables (datasets and quarantine tables), without the event log. */
  async tables(): Promise<string[]> {
    return (await storedTables(this.storage)).filter((t) => t.name !== 'event_log').map((t) => t.name);
  }

  /** Schema, size and properties of a table at `version` (default latest). @throws TABLE_OR_VIEW_NOT_FOUND */
  async table(name: string, version?: number): Promise<TableInfo> {
    const snap = await this.#snapshot(name, version);
    return {
      name,
      version: snap.version,
      timestamp: snap.timestamp,
      columns: snap.schema.fields.map((f) => ({
        name: f.name,
        type: typeName(f.type),
        nullable: f.nullable,
      })),
      partitionColumns: snap.partitionColumns,
      properties: snap.metadata.configuration ?? {},
      numFiles: snap.files.length,
      numRows: snap.files.reduce((n, f) => n + numRecordsOf(f), 0),
      sizeBytes: snap.files.reduce((n, f) => n + f.size, 0),
    };
  }

  /** The newest `limit` commits of a table, newest first (commits removed by log clean-up are left out). */
  async history(name: string, limit = 50): Promise<TableCommit[]> {
    const path = await this.#path(name);
    const latest = await latestVersion(path);
    const out: TableCommit[] = [];
    for (let v = latest ?? -1; v >= 0 && out.length < limit; v--) {
      let actions: Awaited<ReturnType<typeof readCommit>>;
      try {
        actions = await readCommit(path, v);
      } catch (e) {
        if (e instanceof SluiceError && e.code === 'DELTA_VERSION_NOT_FOUND') break;
        throw e;
      }
      let info: Record<string, unknown> = {};
      let txn: TableCommit['txn'] = null;
      let filesAdded = 0;
      let filesRemoved = 0;
      let rowsAdded = 0;
      for (const a of actions) {
        if ('commitInfo' in a) info = a.commitInfo as Record<string, unknown>;
        else if ('add' in a) {
          filesAdded++;
          rowsAdded += numRecordsOf(a.add);
        } else if ('remove' in a) filesRemoved++;
        else if ('txn' in a) txn = { appId: a.txn.appId, version: a.txn.version };
      }
      out.push({
        version: v,
        timestamp: typeof info.timestamp === 'number' ? info.timestamp : null,
        operation: typeof info.operation === 'string' ? info.operation : null,
        operationParameters: (info.operationParameters as Record<string, unknown>) ?? {},
        operationMetrics: (info.operationMetrics as Record<string, unknown>) ?? {},
        filesAdded,
        filesRemoved,
        rowsAdded,
        txn,
      });
    }
    return out;
  }

  /** A page of a table's rows at a version (default latest). */
  async rows(name: string, options: TableRowsOptions = {}): Promise<TableRows> {
    const snap = await this.#snapshot(name, options.version);
    const limit = Math.max(1, Math.min(1000, Math.trunc(options.limit ?? 50)));
    const offset = Math.max(0, Math.trunc(options.offset ?? 0));
    const where =
      options.violation !== undefined
        ? `WHERE list_contains(_violations, ${sqlString(options.violation)})`
        : '';
    const scan = snapshotScanSql(snap);
    const db = this.#session.db;
    const [page, count] = await Promise.all([
      runQuery(`SELECT * FROM (${scan}) AS t ${where} LIMIT ${limit} OFFSET ${offset}`, {
        cwd: this.root,
        db,
      }),
      runQuery(`SELECT count(*) AS n FROM (${scan}) AS t ${where}`, { cwd: this.root, db }),
    ]);
    // Types as the Schema shows them (Spark's DDL names), where the column is in the table's schema.
    const spark = new Map(snap.schema.fields.map((f) => [f.name, typeName(f.type)]));
    const types = page.columns.map((c, i) => spark.get(c) ?? page.types[i] ?? '');
    return { ...page, types, total: Number(count.rows[0]?.n ?? 0), version: snap.version };
  }

  async close(): Promise<void> {
    await this.#session.close();
  }

  async #path(name: string): Promise<string> {
    const t = (await storedTables(this.storage)).find((x) => x.name === name && x.name !== 'event_log');
    if (!t)
      throw new SluiceError('TABLE_OR_VIEW_NOT_FOUND', `the pipeline has no stored table '${name}'`, {
        params: { table: name },
      });
    return t.path;
  }

  async #snapshot(name: string, version?: number): Promise<Snapshot> {
    return loadSnapshot(await this.#path(name), {
      db: this.#session.db,
      ...(version !== undefined ? { version } : {}),
    });
  }
}
