export {
  checkGlobPattern,
  DEFAULT_LIBRARIES,
  findSpecFile,
  type LibraryGlob,
  type LoadSpecOptions,
  loadSpec,
  type NotificationSpec,
  type PipelineSpec,
  type SmtpSpec,
  SPEC_FILE_NAMES,
} from './load-spec.ts';
export { NOTIFICATION_ALERTS, type NotificationAlert } from './schema.ts';
