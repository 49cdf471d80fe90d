/**
 * The engine: runs the resolved graph. An update (`update/`) takes the lock, resets what a full
 * refresh names, and schedules every flow in dependency order; each flow runs through the
 * executor of its kind (`flows/`), which plans batches (`checkpoints/` holds their offsets),
 * reads its sources (`sources/`), checks expectations and commits rows (`writing/`) through the
 * update's table cache (`tables/`). Observers (event log, notifications, progress) subscribe to
 * the `EngineEvent`s an update emits.
 */
export type {
  DataQualityMetrics,
  EngineEvent,
  EngineListener,
  ExpectationMetrics,
  FlowMetrics,
  FlowResult,
  FlowState,
  PlanningInformation,
  RefreshSelection,
  UpdateResult,
  UpdateState,
} from './engine-events.ts';
export { TERMINAL_FLOW_STATES } from './engine-events.ts';
export {
  type MaintainOptions,
  type MaintenanceReport,
  type MaintenanceStep,
  maintainPipelineStorage,
  type TableMaintenance,
} from './maintenance/maintain.ts';
export {
  AUTO_BUDGET_MS,
  AUTO_COMPACT_MIN_FILES,
  DEFAULT_CLEANUP_INTERVAL_MS,
  DEFAULT_COMPACTION_INTERVAL_MS,
  MANUAL_COMPACT_MIN_FILES,
} from './maintenance/policy.ts';
export type { RefusedDataset, ResolvedPipeline } from './resolved-pipeline.ts';
export { type LockInfo, runningUpdate } from './update/lock.ts';
export { type RefreshOptions, refreshSelection } from './update/refresh.ts';
export { type RunUpdateOptions, runUpdate } from './update/run-update.ts';
export { type QueryBindingScope, queryBindingErrors } from './validation/query-binding.ts';
