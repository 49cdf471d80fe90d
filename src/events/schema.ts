/**
 * The event log's row shape: Lakeflow's event log columns, stored as a Delta table at
 * `<storage>/system/event_log`. Storage-level: nothing here knows about the engine.
 *
 * Invariants: `sequence` is strictly increasing per pipeline (across updates); `details` is a
 * JSON object whose single top-level key is the event type's payload
 * (`{"update_progress": {"state": "RUNNING"}}`); `error` is null unless the event reports one.
 */
import { eventLogFolder, type StructType } from '../storage/index.ts';

/** Where a pipeline's event log lives under its storage folder. */
export const eventLogPath = eventLogFolder;

export type EventLevel = 'INFO' | 'WARN' | 'ERROR' | 'METRICS';

export const EVENT_LEVELS: readonly EventLevel[] = ['INFO', 'WARN', 'ERROR', 'METRICS'];

export type EventType =
  | 'create_update'
  | 'update_progress'
  | 'dataset_definition'
  | 'flow_definition'
  | 'flow_progress'
  | 'planning_information';

export const EVENT_TYPES: readonly EventType[] = [
  'create_update',
  'update_progress',
  'dataset_definition',
  'flow_definition',
  'flow_progress',
  'planning_information',
];

/** Update states that end an update. */
export const TERMINAL_UPDATE_STATES: ReadonlySet<string> = new Set(['COMPLETED', 'FAILED', 'CANCELED']);

export interface EventOrigin {
  readonly pipeline_name: string;
  readonly pipeline_id: string;
  readonly update_id: string | null;
  readonly flow_name: string | null;
  readonly dataset_name: string | null;
  readonly batch_id: number | null;
}

export interface EventErrorCause {
  readonly code: string | null;
  readonly message: string;
}

export interface EventError {
  readonly code: string;
  readonly message: string;
  /** The cause chain, outermost first (excluding the error itself). */
  readonly causes: readonly EventErrorCause[];
}

/** One event-log row as written (and as read back, with `timestamp` as an ISO string). */
export interface EventLogRow {
  readonly id: string;
  readonly sequence: number;
  readonly origin: EventOrigin;
  /** ISO-8601 instant. */
  readonly timestamp: string;
  readonly message: string;
  readonly level: EventLevel;
  readonly error: EventError | null;
  /** JSON text. */
  readonly details: string;
  readonly event_type: EventType;
}

/** An event before the writer assigns `id` and `sequence`. */
export type NewEvent = Omit<EventLogRow, 'id' | 'sequence'>;

const f = (name: string, type: StructType['fields'][number]['type'], nullable = true) => ({
  name,
  type,
  nullable,
  metadata: {},
});

/** The Delta schema of the event log table. */
export const EVENT_LOG_SCHEMA: StructType = {
  type: 'struct',
  fields: [
    f('id', 'string', false),
    f('sequence', 'long', false),
    f('origin', {
      type: 'struct',
      fields: [
        f('pipeline_name', 'string'),
        f('pipeline_id', 'string'),
        f('update_id', 'string'),
        f('flow_name', 'string'),
        f('dataset_name', 'string'),
        f('batch_id', 'long'),
      ],
    }),
    f('timestamp', 'timestamp', false),
    f('message', 'string'),
    f('level', 'string', false),
    f('error', {
      type: 'struct',
      fields: [
        f('code', 'string'),
        f('message', 'string'),
        f('causes', {
          type: 'array',
          containsNull: true,
          elementType: { type: 'struct', fields: [f('code', 'string'), f('message', 'string')] },
        }),
      ],
    }),
    f('details', 'string'),
    f('event_type', 'string', false),
  ],
};

/** DuckDB types of the struct columns, for literals (kept in step with EVENT_LOG_SCHEMA). */
export const ORIGIN_DUCKDB_TYPE =
  'STRUCT(pipeline_name VARCHAR, pipeline_id VARCHAR, update_id VARCHAR, flow_name VARCHAR, dataset_name VARCHAR, batch_id BIGINT)';
export const ERROR_DUCKDB_TYPE =
  'STRUCT(code VARCHAR, message VARCHAR, causes STRUCT(code VARCHAR, message VARCHAR)[])';
