export {
  type CheckContext,
  ERROR_CHECKS,
  type GraphCheck,
  isQuarantineTable,
  WARNING_CHECKS,
} from './checks.ts';
export {
  compileCacheEnabled,
  compileCacheFile,
  readCompileCache,
  writeCompileCache,
} from './compile-cache-file.ts';
export { buildExecutionPlan, flowKind } from './execution-plan.ts';
export { type LoadedPipeline, listLibraryFiles, loadPipelineDefinitions } from './load.ts';
export { didYouMean, editDistance, isUsableName } from './names.ts';
export { sqlNotebookAsScript } from './notebooks.ts';
export { findCycles, topologicalOrder } from './plan.ts';
export { DatasetNames } from './resolve.ts';
export type {
  BoundQuery,
  ExecutionPlan,
  FailedFlow,
  FilesInput,
  FlowKind,
  FlowPlan,
  FlowResolution,
  GraphEdge,
  LeafInput,
  PipelineGraph,
  ResolvedDatasetInput,
  ResolvedFlow,
  ResolvedInput,
  UnresolvedFlow,
} from './types.ts';
export {
  type GraphValidation,
  type ValidatePipelineOptions,
  type ValidationResult,
  validateDefinitions,
  validatePipelineFolder,
  withRootErrors,
} from './validate.ts';
