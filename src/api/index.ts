/** The TypeScript pipeline API: `import { table, sql, stream, expect } from 'sluice'`. */
export {
  type AppendFlowOptions,
  appendFlow,
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
export { loadTsPipelineFile, type TsLoadOptions, type TsLoadResult } from './load-ts.ts';
export type { PipelineContext, QueryArg } from './registry.ts';
export {
  conf,
  type DatasetRef,
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
  sql,
  stream,
} from './sql-template.ts';
