/**
 * sluice's programmatic API: run an update, validate, query, read events, scaffold. The CLI is a
 * thin view of these functions. Each takes an optional `session` (see `Session`).
 */

export type {
  EventLogIndex,
  EventLogIndexState,
  EventPageFilter,
  ExpectationRecord,
  UpdateRecord,
} from './event-log-index.ts';
export { PipelineEventLog } from './events.ts';
export {
  type ExportPipelineOptions,
  type ExportResult,
  type ExportTarget,
  exportPipeline,
} from './export.ts';
export { initPipeline } from './init.ts';
export {
  formatLintText,
  LINT_RULES,
  type LintFinding,
  type LintPipelinesOptions,
  type LintResult,
  type LintRule,
  lintFailed,
  lintPipelines,
  lintResultToSarif,
  lintToJson,
  type Severity,
  summarizeWarnings,
} from './lint.ts';
export { type MaintainPipelineOptions, maintainPipeline } from './maintain.ts';
export {
  PipelineMonitor,
  type PipelineMonitorOptions,
  type RunningUpdateInfo,
  type TableColumn,
  type TableCommit,
  type TableInfo,
  type TableRows,
  type TableRowsOptions,
} from './pipeline-monitor.ts';
export { type QueryOptions, query } from './query.ts';
export { type RunPipelineOptions, type RunPipelineOutcome, runPipeline } from './run.ts';
export { inSession, Session } from './session.ts';
export { bindPipelineQueries, type ValidateOptions, validatePipeline, validationToJson } from './validate.ts';
