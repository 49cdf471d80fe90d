/**
 * The pipeline-definition API: what a pipeline file gets from `import { table, sql, stream,
 * expect } from 'sluice'` (both when it is bundled and when it is loaded as a module).
 */
export {
  type AppendFlowOptions,
  type AutoCdcFlowOptions,
  type AutoCdcFromSnapshotFlowOptions,
  appendFlow,
  createAutoCdcFlow,
  createAutoCdcFromSnapshotFlow,
  createStreamingTable,
  type DatasetOptions,
  materializedView,
  parseColumnsDdl,
  streamingTable,
  table,
  temporaryView,
  view,
} from './builders.ts';
export {
  expect,
  expectAll,
  expectAllOrDrop,
  expectAllOrFail,
  expectAllOrQuarantine,
  expectOrDrop,
  expectOrFail,
  expectOrQuarantine,
} from './expectations.ts';
export type { PipelineContext, QueryArg } from './registry.ts';
export type { SnapshotAndVersion, SnapshotSourceFunction } from './snapshot-source.ts';
export {
  conf,
  type DatasetRef,
  dropDuplicates,
  dropDuplicatesWithinWatermark,
  type FilesRef,
  ident,
  lit,
  type ReadFilesOptions,
  raw,
  read,
  readFiles,
  renderSql,
  type SqlFragment,
  type SqlQuery,
  type StreamOptions,
  sql,
  stream,
  type WatermarkSpec,
  withWatermark,
} from './sql-template.ts';
