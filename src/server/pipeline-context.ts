/**
 * Everything the server holds for one pipeline: its validated graph (validated again when a
 * source file changes), its event log index, the update it shows live, the runner of updates
 * started from the page, and the pages subscribed to its live feed.
 *
 * Live updates come from two places. An update this server runs reports its engine events to
 * `onEngineEvent` as they happen. Any other update (another `sluice run`, `--continuous`
 * included) is seen by polling the event log's Delta version every `pollMs` while a page
 * listens; its new events are read (only the new files) and folded into the shown update.
 * Events of the update this server runs are not folded from the log: the engine's are ahead.
 */
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  type BundleSelection,
  type EngineEvent,
  type EventLogRow,
  type PipelineMonitor,
  SluiceError,
  type ValidationResult,
  validatePipeline,
} from '../index.ts';
import type { GraphJson, StatusJson, UpdateStatusJson } from './dashboard-types.ts';
import { graphJson } from './graph-json.ts';
import { UpdateRunner } from './update-runner.ts';
import { UpdateStatusBuilder } from './update-status.ts';

/** Something that takes server-sent events (an open `GET …/live` response). */
export interface LiveClient {
  send(event: string, data: unknown): void;
}

interface Validation {
  readonly result: ValidationResult;
  readonly graph: GraphJson;
  /** mtime of every file and folder it was read from. */
  readonly stamps: ReadonlyMap<string, number>;
}

async function mtime(path: string): Promise<number> {
  return stat(path).then(
    (s) => s.mtimeMs,
    () => -1,
  );
}

/** See the module comment. */
export class PipelineContext {
  readonly id: string;
  readonly dir: string;
  readonly cwd: string;
  readonly bundle: BundleSelection;
  readonly monitor: PipelineMonitor;
  readonly runner: UpdateRunner;
  readonly #pollMs: number;
  #validation: Promise<Validation> | undefined;
  #shown: UpdateStatusBuilder | undefined;
  readonly #clients = new Set<LiveClient>();
  #poller: NodeJS.Timeout | undefined;
  #syncing: Promise<boolean> | undefined;
  #broadcastTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Updates started by this server: their log rows are never folded (the engine's events were). */
  readonly #ranHere = new Set<string>();

  constructor(o: {
    id: string;
    dir: string;
    cwd: string;
    bundle: BundleSelection;
    monitor: PipelineMonitor;
    pollMs: number;
  }) {
    this.id = o.id;
    this.dir = o.dir;
    this.cwd = o.cwd;
    this.bundle = o.bundle;
    this.monitor = o.monitor;
    this.#pollMs = o.pollMs;
    this.runner = new UpdateRunner(o, {
      onEvent: (e) => this.#onEngineEvent(e),
      onEnded: () => {
        // The final state came as an engine event; the log catches up on the next poll.
        this.#scheduleBroadcast();
      },
    });
  }

  /** The validated graph, validated again when the spec or a source file changed. */
  async validation(): Promise<Validation> {
    const current = this.#validation;
    if (current) {
      const v = await current.catch(() => undefined);
      if (v && (await this.#fresh(v))) return v;
      if (this.#validation !== current) return this.validation();
    }
    this.#validation = this.#validate();
    this.#validation.catch(() => {
      this.#validation = undefined;
    });
    return this.#validation;
  }

  async #fresh(v: Validation): Promise<boolean> {
    for (const [path, m] of v.stamps) if ((await mtime(path)) !== m) return false;
    return true;
  }

  async #validate(): Promise<Validation> {
    const result = await validatePipeline(this.dir, { cwd: this.cwd, ...this.bundle });
    const paths = new Set<string>();
    if (result.spec) {
      paths.add(result.spec.specFile);
      paths.add(result.spec.root);
      for (const f of result.files) {
        const abs = resolve(result.spec.root, f);
        paths.add(abs);
        paths.add(dirname(abs));
      }
    }
    const stamps = new Map<string, number>();
    for (const p of paths) stamps.set(p, await mtime(p));
    return { result, graph: graphJson(result, this.cwd), stamps };
  }

  /** The source file a dataset is defined in, if it is one of the pipeline's library files. */
  async sourceFile(dataset: string): Promise<{ path: string; file: string; line: number; language: string }> {
    const { result } = await this.validation();
    const d = result.graph?.datasets.get(dataset);
    const root = result.spec?.root;
    if (!d?.location || !root)
      throw new SluiceError('UI_NOT_FOUND', `no source location is known for dataset '${dataset}'`, {
        dataset,
      });
    const path = resolve(root, d.location.file);
    // Only the pipeline's own library files are ever read.
    if (!result.files.some((f) => resolve(root, f) === path))
      throw new SluiceError('UI_NOT_FOUND', `the definition of '${dataset}' is not in a library file`, {
        dataset,
      });
    return { path, file: d.location.file, line: d.location.line, language: d.language };
  }

  /** The update shown (`updateId`, else the latest) and who holds the lock. */
  async status(updateId?: string): Promise<StatusJson> {
    await this.sync();
    const index = await this.monitor.events();
    const holder = await this.monitor.runningUpdate();
    const running = holder
      ? { updateId: holder.updateId, pid: holder.pid, inProcess: holder.updateId === this.runner.current }
      : null;
    let builder: UpdateStatusBuilder | undefined;
    if (updateId === undefined || updateId === this.#shown?.updateId) builder = this.#shown;
    else {
      if (!index.update(updateId))
        throw new SluiceError('UPDATE_NOT_FOUND', `no update '${updateId}' in the event log`, {
          params: { update: updateId },
        });
      builder = await this.#build(updateId);
    }
    return {
      update: builder ? this.#statusOf(builder, holder?.updateId) : null,
      running,
      eventLogVersion: index.version ?? null,
    };
  }

  #statusOf(b: UpdateStatusBuilder, lockHolder: string | undefined): UpdateStatusJson {
    return b.toJSON(b.inProcess ? !b.ended : lockHolder === b.updateId);
  }

  async #build(updateId: string): Promise<UpdateStatusBuilder> {
    const b = new UpdateStatusBuilder(updateId);
    for (const row of await (await this.monitor.events()).eventsOf(updateId)) b.applyRow(row);
    return b;
  }

  /**
   * Reads what the event log gained and folds it into the shown update; true when something
   * changed. Concurrent calls share one read.
   */
  sync(): Promise<boolean> {
    this.#syncing ??= this.#sync().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  async #sync(): Promise<boolean> {
    const index = await this.monitor.events();
    const rows = await index.refresh();
    const here = this.runner.current;
    const byUpdate = new Map<string, EventLogRow[]>();
    for (const r of rows) {
      const id = r.origin.update_id;
      if (!id || this.#ranHere.has(id)) continue;
      byUpdate.set(id, [...(byUpdate.get(id) ?? []), r]);
    }
    let changed = rows.length > 0;
    if (!this.#shown && !here) {
      // First look: the latest update, read whole.
      const latest = index.updates().at(-1);
      if (latest) {
        this.#shown = await this.#build(latest.updateId);
        this.#scheduleBroadcast();
        return true;
      }
    }
    const shownFirst = this.#shown ? (index.update(this.#shown.updateId)?.firstSequence ?? -1) : -1;
    for (const [id, updateRows] of byUpdate) {
      if (this.#shown?.inProcess && !this.#shown.ended) break; // the page follows the update run here
      if (id === this.#shown?.updateId) {
        for (const r of updateRows) this.#shown.applyRow(r);
        changed = true;
        continue;
      }
      const rec = index.update(id);
      if (!rec || rec.firstSequence < shownFirst) continue; // an old update's late event (abnormal end)
      // A newer update: its events since its start are all read now, or it is read whole.
      const b =
        rec.firstSequence >= (rows[0]?.sequence ?? 0) ? new UpdateStatusBuilder(id) : await this.#build(id);
      if (rec.firstSequence >= (rows[0]?.sequence ?? 0)) for (const r of updateRows) b.applyRow(r);
      this.#shown = b;
      changed = true;
    }
    if (changed) this.#scheduleBroadcast();
    return changed;
  }

  #onEngineEvent(e: EngineEvent): void {
    if (e.kind === 'update_created') {
      this.#shown = new UpdateStatusBuilder(e.updateId);
      this.#shown.inProcess = true;
      this.#ranHere.add(e.updateId);
    }
    if (this.#shown?.updateId !== e.updateId) return;
    this.#shown.applyEngineEvent(e);
    this.#scheduleBroadcast();
  }

  /** Adds a page to the live feed (and starts polling the event log). */
  subscribe(client: LiveClient): () => void {
    this.#clients.add(client);
    this.#poller ??= setInterval(() => {
      void this.sync().catch(() => {});
    }, this.#pollMs);
    return () => {
      this.#clients.delete(client);
      if (this.#clients.size === 0 && this.#poller) {
        clearInterval(this.#poller);
        this.#poller = undefined;
      }
    };
  }

  /** Sends the shown update to every page soon (changes within a few ms go out together). */
  #scheduleBroadcast(): void {
    if (this.#broadcastTimer || this.#closed) return;
    this.#broadcastTimer = setTimeout(() => {
      this.#broadcastTimer = undefined;
      void this.#broadcast();
    }, 15);
  }

  async #broadcast(): Promise<void> {
    if (this.#clients.size === 0) return;
    const status = await this.status().catch(() => undefined);
    if (!status) return;
    for (const c of this.#clients) c.send('status', status);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#poller) clearInterval(this.#poller);
    if (this.#broadcastTimer) clearTimeout(this.#broadcastTimer);
    this.#clients.clear();
    await this.runner.close();
    await this.#syncing?.catch(() => {});
    await this.monitor.close();
  }
}
