/**
 * The JSON the dashboard's HTTP API answers with, shared by the server and the front end
 * (`web/`). Types only: nothing here runs.
 */

/** A coded error as the page shows it: code, message, and where in the user's sources. */
export interface ErrorJson {
  readonly code: string;
  readonly message: string;
  readonly dataset?: string;
  readonly location?: { readonly file: string; readonly line: number; readonly column?: number };
}

/** A pipeline the server shows (`GET /api/pipelines`). */
export interface PipelineEntry {
  readonly id: string;
  readonly name: string;
  /** The pipeline folder, relative to where `sluice ui` was started when inside it. */
  readonly folder: string;
  readonly error?: ErrorJson;
}

/** `GET /api/session`: what the page needs before anything else. */
export interface SessionJson {
  readonly version: string;
  readonly pipelines: readonly PipelineEntry[];
}

export interface ExpectationJson {
  readonly name: string;
  readonly expression: string;
  readonly action: 'warn' | 'drop' | 'fail' | 'quarantine';
}

export interface DatasetJson {
  readonly name: string;
  readonly kind: 'streaming_table' | 'materialized_view' | 'temporary_view' | 'persisted_view';
  /** The Delta table name the dataset is stored as (`name` or `schema.name`); views have none. */
  readonly table: string | null;
  readonly comment: string | null;
  readonly language: 'sql' | 'ts';
  readonly location: ErrorJson['location'] | null;
  /** Declared columns (a SQL column list or a TS schema); the stored schema is in the table. */
  readonly columns: readonly { readonly name: string; readonly type: string | null }[];
  readonly expectations: readonly ExpectationJson[];
  readonly properties: Readonly<Record<string, string>>;
  readonly flows: readonly string[];
  /** Failed validation (refused, or downstream of a refused dataset). */
  readonly failed: boolean;
  /** Has an ON VIOLATION QUARANTINE expectation: rows go to `<table>_quarantine`. */
  readonly quarantineTable: string | null;
}

/** A file source (`read_files`, `cloud_files`, a file-path table) read by a flow. */
export interface SourceJson {
  readonly id: string;
  readonly path: string;
  readonly format: string;
}

export interface EdgeJson {
  /** A dataset name, or a source id. */
  readonly from: string;
  readonly to: string;
  readonly flow: string;
  readonly streaming: boolean;
  readonly source: boolean;
}

/** A node of the laid-out graph: its box (top-left corner and size) in graph coordinates. */
export interface PlacedJson {
  readonly id: string;
  readonly kind: 'dataset' | 'source';
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The graph laid out left to right (by the server, once per validation): boxes and edge paths. */
export interface GraphLayoutJson {
  /** Identifies the nodes and edges laid out (a layout of the same ones is reused). */
  readonly key: string;
  readonly nodes: readonly PlacedJson[];
  /** SVG path data of each edge, from the right side of `from` to the left side of `to`. */
  readonly edges: readonly { readonly from: string; readonly to: string; readonly d: string }[];
  readonly width: number;
  readonly height: number;
}

/** `GET /api/p/:id/graph`: the validated dataflow graph. */
export interface GraphJson {
  readonly pipeline: { readonly name: string; readonly folder: string; readonly storage: string };
  readonly valid: boolean;
  readonly runnable: boolean;
  readonly datasets: readonly DatasetJson[];
  readonly sources: readonly SourceJson[];
  readonly edges: readonly EdgeJson[];
  readonly errors: readonly ErrorJson[];
  readonly warnings: readonly ErrorJson[];
  readonly continuous: boolean;
  readonly layout: GraphLayoutJson;
  /**
   * The last known graph, shown while the pipeline is validated again because its sources
   * changed since (a `graph` event on the live feed says when the new one is ready).
   */
  readonly stale: boolean;
}

export interface BatchJson {
  readonly batchId: number;
  readonly rows: number;
  readonly tableVersion: number | null;
  readonly at: string;
}

export interface ExpectationCountsJson {
  readonly name: string;
  readonly dataset: string;
  readonly passed: number;
  readonly failed: number;
}

/** One flow in one update. */
export interface FlowStatusJson {
  readonly flow: string;
  readonly dataset: string;
  readonly state: string;
  readonly transitions: readonly { readonly state: string; readonly at: string }[];
  readonly rowsWritten: number | null;
  readonly numBatches: number | null;
  /** The last batches committed (at most 50). */
  readonly batches: readonly BatchJson[];
  readonly durationMs: number | null;
  /** Attempts after the first (a transient failure retried). */
  readonly retries: number;
  readonly dataQuality: {
    readonly dropped: number;
    readonly quarantined: number;
    readonly expectations: readonly ExpectationCountsJson[];
  } | null;
  readonly technique: string | null;
  readonly planningReason: string | null;
  readonly skippedBecause: string | null;
  readonly error: ErrorJson | null;
  readonly warnings: readonly ErrorJson[];
}

/** One update and its flows (`GET /api/p/:id/status`, the live feed). */
export interface UpdateStatusJson {
  readonly updateId: string;
  readonly state: string | null;
  readonly cause: string | null;
  readonly startTime: string | null;
  readonly endTime: string | null;
  /** Still running: not in a terminal state and its process holds the lock. */
  readonly running: boolean;
  /** Started by this server (it can stop it). */
  readonly inProcess: boolean;
  readonly fullRefresh: boolean;
  readonly fullRefreshSelection: readonly string[];
  readonly refreshSelection: readonly string[];
  readonly flows: readonly FlowStatusJson[];
  readonly error: ErrorJson | null;
}

/** `GET /api/p/:id/status`: the update shown (latest by default), or none yet. */
export interface StatusJson {
  readonly update: UpdateStatusJson | null;
  /** The update holding the lock (from this server or another process), if any. */
  readonly running: { readonly updateId: string; readonly pid: number; readonly inProcess: boolean } | null;
  readonly eventLogVersion: number | null;
}

/** A row of the updates history. */
export interface UpdateRowJson {
  readonly updateId: string;
  readonly state: string | null;
  readonly cause: string | null;
  readonly startTime: string;
  readonly endTime: string | null;
  readonly durationMs: number | null;
  readonly rowsWritten: number;
  readonly errors: number;
  readonly warnings: number;
  readonly errorCode: string | null;
  readonly fullRefresh: boolean;
  readonly fullRefreshSelection: readonly string[];
  readonly refreshSelection: readonly string[];
}

export interface UpdatesJson {
  readonly total: number;
  /** Newest first. */
  readonly updates: readonly UpdateRowJson[];
}

/** `GET /api/p/:id/quality`: each expectation over the last updates. */
export interface QualityJson {
  /** The updates covered, oldest first. */
  readonly updates: readonly {
    readonly updateId: string;
    readonly startTime: string;
    readonly state: string | null;
  }[];
  readonly expectations: readonly {
    readonly dataset: string;
    readonly name: string;
    readonly action: ExpectationJson['action'] | null;
    readonly expression: string | null;
    /** One entry per update in `updates` (null: the flow did not complete in it). */
    readonly history: readonly ({ readonly passed: number; readonly failed: number } | null)[];
  }[];
}

export interface EventJson {
  readonly sequence: number;
  readonly timestamp: string;
  readonly level: string;
  readonly eventType: string;
  readonly message: string;
  readonly updateId: string | null;
  readonly flow: string | null;
  readonly dataset: string | null;
  readonly batchId: number | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly details: string;
}

export interface EventsJson {
  readonly total: number;
  readonly rows: readonly EventJson[];
}

export interface TableListJson {
  readonly tables: readonly {
    readonly name: string;
    /** The dataset stored in it, or the dataset it quarantines for. */
    readonly dataset: string | null;
    readonly kind: DatasetJson['kind'] | 'quarantine' | null;
  }[];
}

export interface TableJson {
  readonly name: string;
  readonly version: number;
  readonly timestamp: number;
  readonly columns: readonly { readonly name: string; readonly type: string; readonly nullable: boolean }[];
  readonly partitionColumns: readonly string[];
  readonly properties: Readonly<Record<string, string>>;
  readonly numFiles: number;
  readonly numRows: number;
  readonly sizeBytes: number;
  readonly history: readonly {
    readonly version: number;
    readonly timestamp: number | null;
    readonly operation: string | null;
    readonly operationParameters: Readonly<Record<string, unknown>>;
    readonly operationMetrics: Readonly<Record<string, unknown>>;
    readonly filesAdded: number;
    readonly filesRemoved: number;
    readonly rowsAdded: number;
    readonly txn: { readonly appId: string; readonly version: number } | null;
  }[];
}

export interface RowsJson {
  readonly version: number;
  readonly total: number;
  readonly columns: readonly string[];
  readonly types: readonly string[];
  readonly rows: readonly Record<string, unknown>[];
}

/** `GET /api/p/:id/source?dataset=`: the file a dataset is defined in. */
export interface SourceFileJson {
  readonly file: string;
  readonly line: number;
  readonly language: 'sql' | 'ts';
  readonly text: string;
}

/** `POST /api/p/:id/updates`. */
export interface StartRequest {
  readonly refresh?: readonly string[];
  readonly fullRefresh?: readonly string[];
  readonly fullRefreshAll?: boolean;
  readonly continuous?: boolean;
}

/** An error answer of the API. */
export interface ErrorAnswer {
  readonly error: ErrorJson;
  /** For an invalid pipeline: every error. */
  readonly errors?: readonly ErrorJson[];
}
