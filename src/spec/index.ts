export { DATABRICKS_ONLY_FIELDS } from './bundle/bundle-pipeline.ts';
export {
  BUNDLE_FILE_NAMES,
  type BundleOptions,
  type BundleResource,
  type LoadedBundle,
  loadBundle,
} from './bundle/load-bundle.ts';
export { readYamlFile, type YamlFile } from './bundle/yaml-file.ts';
export {
  type BundleSelection,
  type BundleSource,
  bundlePipelineSpec,
  checkGlobPattern,
  DEFAULT_LIBRARIES,
  findSpecFile,
  type LibraryFile,
  type LibraryGlob,
  type LibrarySpec,
  type LoadSpecOptions,
  loadSpec,
  type NotificationSpec,
  type PipelineSpec,
  type SmtpSpec,
  SPEC_FILE_NAMES,
} from './load-spec.ts';
export { NOTIFICATION_ALERTS, type NotificationAlert } from './schema.ts';
