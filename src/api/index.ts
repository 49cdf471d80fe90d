/** The TypeScript pipeline API (what pipeline files import) and the loader of pipeline files. */
export * from './definition-api.ts';
export {
  compileRegistrations,
  importTsPipelineFiles,
  loadTsPipelineFile,
  type TsLoadOptions,
  type TsLoadResult,
} from './load-ts.ts';
