import { runningUpdate } from '../engine/index.ts';
import {
  type EventFilter,
  type EventLogRow,
  eventLogVersion,
  listUpdates,
  readEvents,
  resolveUpdateId,
  type UpdateSummary,
} from '../events/index.ts';
import { type LoadSpecOptions, loadSpec } from '../spec/index.ts';
import { Session } from './session.ts';

/**
 * A pipeline's event log, for reading: the updates it recorded, their events in sequence order,
 * and whether an update is still running. Close it when done (it holds a session unless one was
 * given).
 */
export class PipelineEventLog {
  readonly #session: Session;
  readonly #ownsSession: boolean;

  private constructor(
    /** The pipeline's name (spec `name`). */
    readonly pipeline: string,
    /** Its absolute storage folder. */
    readonly storage: string,
    session: Session | undefined,
  ) {
    this.#session = session ?? new Session();
    this.#ownsSession = session === undefined;
  }

  /** Opens the event log of the pipeline in `dir` (or found from `cwd`). @throws PIPELINE_SPEC_NOT_FOUND */
  static async open(
    dir: string | undefined,
    options: LoadSpecOptions & { readonly session?: Session } = {},
  ): Promise<PipelineEventLog> {
    const spec = await loadSpec(dir, options);
    return new PipelineEventLog(spec.name, spec.storage, options.session);
  }

  /**
   * The id of an update: `latest` (or undefined) is the newest; a unique prefix is accepted.
   * @throws SluiceError EVENT_LOG_NOT_FOUND when there are no updates; UPDATE_NOT_FOUND.
   */
  resolveUpdate(wanted?: string): Promise<string> {
    return resolveUpdateId(this.#session.db, this.storage, wanted);
  }

  /** One summary per update, in the order they started. */
  updates(): Promise<UpdateSummary[]> {
    return listUpdates(this.#session.db, this.storage);
  }

  /** Events in sequence order (empty before the first update). */
  read(filter: EventFilter = {}): Promise<EventLogRow[]> {
    return readEvents(this.#session.db, this.storage, filter);
  }

  /** The event log's Delta version: changes whenever events are appended (undefined before any). */
  version(): Promise<number | undefined> {
    return eventLogVersion(this.storage);
  }

  /** Whether a live process still runs `updateId` (it holds the pipeline's lock). */
  async isRunning(updateId: string): Promise<boolean> {
    return (await runningUpdate(this.storage))?.updateId === updateId;
  }

  async close(): Promise<void> {
    if (this.#ownsSession) await this.#session.close();
  }
}
