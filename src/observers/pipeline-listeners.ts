import type { EngineListener, ResolvedPipeline } from '../engine/index.ts';
import { formatError, SluiceError } from '../errors/index.ts';
import type { PipelineSpec } from '../spec/index.ts';
import type { Database } from '../util/index.ts';
import { EventRecorder, type EventRecorderOptions } from './event-recorder.ts';
import { type NotifierOptions, UpdateNotifier } from './notifications.ts';

export interface PipelineListenersOptions {
  readonly recorder?: EventRecorderOptions;
  readonly notifier?: NotifierOptions;
}

/**
 * The listeners every run of a pipeline gets: the event recorder and, when the spec configures
 * notifications, the notifier. Use a fresh set per update.
 */
export function pipelineListeners(
  db: Database,
  spec: Pick<PipelineSpec, 'name' | 'notifications' | 'smtp'>,
  pipeline: ResolvedPipeline,
  options: PipelineListenersOptions = {},
): EngineListener[] {
  const recorder = new EventRecorder(db, pipeline, {
    // Default report: the event log's trouble is a warning on stderr; it never fails the update.
    onError: (e) => process.stderr.write(`warning ${formatError(e)}\n`),
    ...options.recorder,
  });
  const listeners: EngineListener[] = [recorder.listener];
  if (spec.notifications.length > 0) {
    const notifier: NotifierOptions = {
      onDelivery: (r) => {
        // Default report: a failed delivery is a warning on stderr; it never fails the update.
        if (!r.ok) {
          const failure = new SluiceError(
            'NOTIFICATION_FAILED',
            `${r.channel} ${r.target}: ${r.error ?? 'failed'} (${r.attempts} attempt${r.attempts === 1 ? '' : 's'})`,
            { params: { channel: r.channel, target: r.target, attempts: r.attempts } },
          );
          process.stderr.write(`warning ${formatError(failure)}\n`);
        }
      },
      ...options.notifier,
    };
    listeners.push(new UpdateNotifier(spec, notifier).listener);
  }
  return listeners;
}
