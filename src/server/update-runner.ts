/**
 * Starting and stopping updates from the page. An update started here runs in this process
 * through `runPipeline`, with the same checks as `sluice run` (refresh options, the pipeline
 * lock) and the same error codes; its engine events reach the live feed as they happen.
 * Stopping an update another process runs sends that process SIGTERM, which `sluice run`
 * honours like Ctrl-C (the running batches commit, the update ends CANCELED).
 */
import { hostname } from 'node:os';
import {
  type BundleSelection,
  type EngineEvent,
  type PipelineMonitor,
  type RunPipelineOutcome,
  runPipeline,
  SluiceError,
} from '../index.ts';
import type { StartRequest } from './dashboard-types.ts';

/** What the runner reports to its owner. */
export interface UpdateRunnerHooks {
  /** Every engine event of an update started here, in order. */
  onEvent(e: EngineEvent): void;
  /** An update started here ended (or failed to start after its id was known). */
  onEnded(updateId: string, outcome: RunPipelineOutcome | undefined, error: unknown): void;
}

interface RunningHere {
  readonly updateId: string;
  readonly controller: AbortController;
  readonly done: Promise<unknown>;
}

/** Thrown when a start request is refused because the pipeline is invalid. */
export class InvalidPipelineError extends Error {
  constructor(readonly errors: readonly SluiceError[]) {
    super(`pipeline is invalid: ${errors.length} error${errors.length === 1 ? '' : 's'}`);
  }
}

function names(v: unknown, field: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new SluiceError('USAGE', `'${field}' must be a list of dataset names`);
  return v as string[];
}

/** Checks the JSON body of a start request. @throws SluiceError USAGE */
export function parseStartRequest(body: unknown): StartRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new SluiceError('USAGE', 'the request body must be a JSON object');
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    if (!['refresh', 'fullRefresh', 'fullRefreshAll', 'continuous'].includes(k))
      throw new SluiceError('USAGE', `unknown field '${k}' in the start request`);
  }
  const refresh = names(b.refresh, 'refresh');
  const fullRefresh = names(b.fullRefresh, 'fullRefresh');
  return {
    ...(refresh ? { refresh } : {}),
    ...(fullRefresh ? { fullRefresh } : {}),
    ...(b.fullRefreshAll === true ? { fullRefreshAll: true } : {}),
    ...(b.continuous === true ? { continuous: true } : {}),
  };
}

/** See the module comment. One runner per pipeline the server shows. */
export class UpdateRunner {
  readonly #dir: string;
  readonly #cwd: string;
  readonly #bundle: BundleSelection;
  readonly #monitor: PipelineMonitor;
  readonly #hooks: UpdateRunnerHooks;
  #current: RunningHere | undefined;

  constructor(
    pipeline: { dir: string; cwd: string; bundle: BundleSelection; monitor: PipelineMonitor },
    hooks: UpdateRunnerHooks,
  ) {
    this.#dir = pipeline.dir;
    this.#cwd = pipeline.cwd;
    this.#bundle = pipeline.bundle;
    this.#monitor = pipeline.monitor;
    this.#hooks = hooks;
  }

  /** The update this server runs, if any. */
  get current(): string | undefined {
    return this.#current?.updateId;
  }

  /**
   * Starts an update and resolves with its id once the engine created it.
   * @throws SluiceError PIPELINE_ALREADY_RUNNING, CONFLICTING_PIPELINE_REFRESH_OPTIONS,
   *   DATASET_NOT_DEFINED, TABLE_NOT_RESETTABLE…; InvalidPipelineError.
   */
  async start(request: StartRequest): Promise<string> {
    if (this.#current)
      throw new SluiceError(
        'PIPELINE_ALREADY_RUNNING',
        `update ${this.#current.updateId} started from this page is still running; stop it or wait for it to finish`,
        { params: { updateId: this.#current.updateId } },
      );
    const controller = new AbortController();
    let created: ((id: string) => void) | undefined;
    const createdId = new Promise<string>((resolve) => {
      created = resolve;
    });
    let updateId: string | undefined;
    const run = runPipeline(this.#dir, {
      cwd: this.#cwd,
      bundle: this.#bundle,
      ...(request.refresh?.length ? { refresh: request.refresh } : {}),
      ...(request.fullRefresh?.length ? { fullRefresh: request.fullRefresh } : {}),
      ...(request.fullRefreshAll ? { fullRefreshAll: true } : {}),
      ...(request.continuous ? { continuous: true } : {}),
      signal: controller.signal,
      listeners: [
        (e: EngineEvent) => {
          if (e.kind === 'update_created') {
            updateId = e.updateId;
            this.#current = { updateId: e.updateId, controller, done: run };
            created?.(e.updateId);
          }
          this.#hooks.onEvent(e);
        },
      ],
    });
    const settled = run.then(
      (outcome) => ({ outcome, error: undefined }),
      (error: unknown) => ({ outcome: undefined, error }),
    );
    void settled.then(({ outcome, error }) => {
      if (this.#current?.controller === controller) this.#current = undefined;
      if (updateId) this.#hooks.onEnded(updateId, outcome, error);
    });
    const first = await Promise.race([createdId, settled]);
    if (typeof first === 'string') return first;
    if (first.error !== undefined) throw first.error;
    if (first.outcome?.kind === 'invalid') throw new InvalidPipelineError(first.outcome.errors);
    // Ended without creating an update: nothing to run (should not happen).
    throw new SluiceError('INTERNAL', 'the update ended before it started');
  }

  /**
   * Stops the running update: one started here is aborted (its running batches commit, it ends
   * CANCELED); one another process on this machine runs gets SIGTERM.
   * @throws SluiceError UI_NO_RUNNING_UPDATE
   */
  async stop(): Promise<{ updateId: string; how: 'in-process' | 'signal' }> {
    if (this.#current) {
      this.#current.controller.abort();
      return { updateId: this.#current.updateId, how: 'in-process' };
    }
    const holder = await this.#monitor.runningUpdate();
    if (!holder)
      throw new SluiceError('UI_NO_RUNNING_UPDATE', 'no update of this pipeline is running', {
        params: { pipeline: this.#monitor.pipeline },
      });
    if (holder.host !== hostname())
      throw new SluiceError(
        'UI_NO_RUNNING_UPDATE',
        `update ${holder.updateId} runs on host ${holder.host}: stop it there`,
        { params: { ...holder } },
      );
    process.kill(holder.pid, 'SIGTERM');
    return { updateId: holder.updateId, how: 'signal' };
  }

  /** Stops an update started here and waits for it to end. */
  async close(): Promise<void> {
    const c = this.#current;
    if (!c) return;
    c.controller.abort();
    await c.done.catch(() => {});
  }
}
