/**
 * The package's front door. Pipeline files import the definition API (`table`, `sql`, `stream`,
 * `expect*`, …); programs and the CLI use the programmatic API (`runPipeline`,
 * `validatePipeline`, `query`, `PipelineEventLog`, `initPipeline`) with the types they return.
 */

// Pipeline definitions: the TypeScript API pipeline files import.
export * from './api/index.ts';
// Results, events and errors the programmatic API hands back.
export type {
  DataQualityMetrics,
  EngineEvent,
  EngineListener,
  ExpectationMetrics,
  FlowMetrics,
  FlowResult,
  FlowState,
  MaintenanceReport,
  PlanningInformation,
  RefreshSelection,
  TableMaintenance,
  UpdateResult,
  UpdateState,
} from './engine/index.ts';
export * from './errors/index.ts';
export {
  EVENT_LEVELS,
  EVENT_TYPES,
  type EventFilter,
  type EventLevel,
  type EventLogRow,
  type EventType,
  TERMINAL_UPDATE_STATES,
  timelineLine,
  timelineSummary,
  type UpdateSummary,
} from './events/index.ts';
export type {
  FailedFlow,
  FilesInput,
  GraphEdge,
  PipelineGraph,
  ResolvedDatasetInput,
  ResolvedFlow,
  ResolvedInput,
  ValidationResult,
} from './graph/index.ts';
export * from './model/index.ts';
export type { DeliveryReport, NotifierOptions } from './observers/index.ts';
// The programmatic API.
export * from './public-api/index.ts';
export { formatRows, OUTPUT_FORMATS, type OutputFormat, type QueryResult } from './query/index.ts';
export { type BundleSelection, type PipelineSpec, SPEC_FILE_NAMES } from './spec/index.ts';
export { isMemoryLimit, packageRoot } from './util/index.ts';
