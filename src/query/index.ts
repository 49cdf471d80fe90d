export { formatRows, OUTPUT_FORMATS, type OutputFormat } from './format.ts';
export { runPipelineQuery } from './pipeline-query.ts';
export { findPipelineTarget } from './pipeline-target.ts';
export {
  assertReadOnly,
  type DeltaReference,
  findDeltaReferences,
  rewriteDeltaReferences,
} from './rewrite.ts';
export { type QueryResult, type RunQueryOptions, runQuery } from './run-query.ts';
