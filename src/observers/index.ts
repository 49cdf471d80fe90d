/**
 * Observers of an update: they subscribe to the engine's events and never change what it does.
 * The event recorder persists them to the pipeline's event log; the notifier sends the alerts
 * the spec asks for. A failing observer never fails the update.
 */
export {
  DEFAULT_FLUSH_DELAY_MS,
  EventRecorder,
  type EventRecorderOptions,
  eventError,
} from './event-recorder.ts';
export {
  type DeliveryReport,
  firedAlerts,
  type NotificationPayload,
  type NotifierOptions,
  summarize,
  UpdateNotifier,
} from './notifications.ts';
export { type PipelineListenersOptions, pipelineListeners } from './pipeline-listeners.ts';
