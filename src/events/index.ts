/**
 * The pipeline event log: a Delta table at `<storage>/system/event_log` with Lakeflow's
 * columns. Storage-level (knows rows and tables, not the engine): the engine's event recorder
 * turns engine events into rows; `sluice query` and `sluice events` read them.
 */

export { markUpdateClosed, markUpdateOpen, type OpenUpdate, openUpdates } from './open-updates.ts';
export {
  type EventFilter,
  eventLogScanSql,
  eventLogVersion,
  flowProgressViewSql,
  listUpdates,
  pipelineEventsViewSql,
  readEvents,
  resolveUpdateId,
  type UpdateSummary,
} from './reader.ts';
export {
  EVENT_LEVELS,
  EVENT_LOG_SCHEMA,
  EVENT_TYPES,
  type EventError,
  type EventErrorCause,
  type EventLevel,
  type EventLogRow,
  type EventOrigin,
  type EventType,
  eventLogPath,
  type NewEvent,
  TERMINAL_UPDATE_STATES,
} from './schema.ts';
export { timelineLine, timelineSummary } from './timeline.ts';
export { EventLogWriter, ensureEventLog, eventRowsSql } from './writer.ts';
