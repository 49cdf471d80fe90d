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
import { resolve } from 'node:path';
import type { Worker } from 'node:worker_threads';
import {
  type BundleSelection,
  type EngineEvent,
  type EventLogRow,
  type PipelineMonitor,
  SluiceError,
} from '../index.ts';
import { readCacheFile, uiCacheFile, writeCacheFile } from './cache-files.ts';
import type { GraphJson, StatusJson, UpdateStatusJson } from './dashboard-types.ts';
import {
  type GraphCacheScope,
  readGraphCache,
  sourcesKey,
  stampsOf,
  writeGraphCache,
} from './graph-cache.ts';
import { tracePhase } from './trace.ts';
import { UpdateRunner } from './update-runner.ts';
import { UpdateStatusBuilder } from './update-status.ts';
import { validateGraphOffThread } from './validate-graph.ts';

/** Something that takes server-sent events (an open `GET …/live` response). */
export interface LiveClient {
  send(event: string, data: unknown): void;
}

/**
 * How long after the first status the queries' binding starts (see PipelineContext.#bindLater):
 * the page it is drawn with comes first.
 */
const BIND_AFTER_MS = 1000;

interface Validation {
  readonly graph: GraphJson;
  /** The spec's folder (dataset locations are relative to it). */
  readonly root: string | undefined;
  /** Absolute paths of the library files. */
  readonly files: readonly string[];
  /** mtime of every file and folder it was read from. */
  readonly stamps: ReadonlyMap<string, number>;
  /** Read from the graph cache, not validated by this process (yet). */
  readonly cached: boolean;
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
  readonly #scope: GraphCacheScope;
  #validation: Promise<Validation> | undefined;
  /** The graph pages were shown while sources that changed since are validated again. */
  #lastKnown: GraphJson | undefined;
  /** Settles once the first status was read (what a first page needs besides the graph). */
  #statusServed: Promise<unknown> | undefined;
  /** The first look at the graph cache (which sets `#lastKnown` when the sources changed). */
  #lookup: Promise<unknown> | undefined;
  /** Counts the validated graphs that replaced one pages may show (sent as `graph` events). */
  #graphVersion = 0;
  /** The status the last server saved (read once). */
  #saved: Promise<StatusJson | undefined> | undefined;
  /** The event log version whose index state was saved last. */
  #savedIndexVersion: number | undefined;
  #shown: UpdateStatusBuilder | undefined;
  readonly #clients = new Set<LiveClient>();
  #poller: NodeJS.Timeout | undefined;
  #syncing: Promise<boolean> | undefined;
  #broadcastTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Updates started by this server: their log rows are never folded (the engine's events were). */
  readonly #ranHere = new Set<string>();
  /** Validations running on worker threads (stopped on close). */
  readonly #workers = new Set<Worker>();

  constructor(o: {
    id: string;
    dir: string;
    cwd: string;
    bundle: BundleSelection;
    monitor: PipelineMonitor;
    pollMs: number;
    version?: string;
  }) {
    this.id = o.id;
    this.dir = o.dir;
    this.cwd = o.cwd;
    this.bundle = o.bundle;
    this.monitor = o.monitor;
    this.#pollMs = o.pollMs;
    this.#scope = { dir: o.dir, cwd: o.cwd, bundle: o.bundle, version: o.version ?? '' };
    this.runner = new UpdateRunner(o, {
      onEvent: (e) => this.#onEngineEvent(e),
      onEnded: () => {
        // The final state came as an engine event; the log catches up on the next poll.
        this.#scheduleBroadcast();
      },
    });
  }

  /** Where the last validated graph is cached (see graph-cache.ts). */
  get graphCacheFile(): string {
    return uiCacheFile(this.monitor.storage, 'graph');
  }

  /**
   * The validated graph, validated again when the spec or a source file changed. The first call
   * reads the graph cache: an entry of the same sources is the answer at once.
   */
  async validation(): Promise<Validation> {
    return (await this.#choose()).v;
  }

  /**
   * The graph a page draws: the validated one, or — while sources that changed are validated
   * again — the last known one, marked stale, at once.
   */
  async graph(): Promise<GraphJson> {
    const chosen = await this.#choose();
    const known = this.#lastKnown;
    if (known) {
      chosen.v.catch(() => {});
      return { ...known, stale: true };
    }
    return (await chosen.v).graph;
  }

  /**
   * Decides which validation answers (the current one, the cached one, or a new one it starts)
   * without waiting for a validation that runs because sources changed (`#lastKnown` is set).
   * Boxed: a promise resolved with a promise would wait for it.
   */
  async #choose(): Promise<{ v: Promise<Validation> }> {
    const current = this.#validation;
    if (!current) {
      const lookup = this.#lookUpCache().catch(() => undefined);
      this.#lookup = lookup;
      // With a last known graph to show, the update shown with it is read first (validating takes
      // this thread for a second or more); without one there is nothing to draw before validating.
      const started = lookup.then(async (hit) => {
        if (hit) return hit;
        if (this.#lastKnown) await this.#statusServed;
        return this.#validate(this.#lastKnown);
      });
      this.#keep(started);
      await lookup;
      return { v: started };
    }
    await this.#lookup;
    if (this.#lastKnown) return { v: current };
    const v = await current.catch(() => undefined);
    if (v && (await this.#fresh(v))) return { v: current };
    if (this.#validation !== current) return this.#choose();
    if (v) this.#lastKnown = v.graph;
    const started = this.#validate(v?.graph);
    this.#keep(started);
    return { v: started };
  }

  /** Makes `started` the current validation (forgotten if it fails, so the next call tries again). */
  #keep(started: Promise<Validation>): void {
    this.#validation = started;
    started.catch(() => {
      if (this.#validation === started) this.#validation = undefined;
    });
  }

  /**
   * Validates again a graph that was read from the cache (what its key cannot see: a module a
   * TypeScript file imports, another build of sluice). Pages get a `graph` event if it changed.
   */
  async revalidate(): Promise<void> {
    const before = this.#validation;
    const current = await before?.catch(() => undefined);
    if (!current?.cached || this.#closed) return;
    const v = await this.#validate(current.graph).catch(() => undefined);
    if (v && this.#validation === before) this.#keep(Promise.resolve(v));
  }

  async #fresh(v: Validation): Promise<boolean> {
    for (const [path, m] of await stampsOf(v.stamps.keys())) if (v.stamps.get(path) !== m) return false;
    return true;
  }

  /** The cached graph when its sources are unchanged; else the last known graph is kept (stale). */
  async #lookUpCache(): Promise<Validation | undefined> {
    const entry = await readGraphCache(this.graphCacheFile);
    if (entry) {
      // Stamped before the key reads the files: a change after that shows as a changed stamp.
      const stamps = await stampsOf(entry.paths);
      if (entry.key === (await sourcesKey(entry.paths, this.#scope)))
        return {
          graph: entry.graph,
          root: entry.root ?? undefined,
          files: entry.files,
          stamps,
          cached: true,
        };
      this.#lastKnown = entry.graph;
    }
    return undefined;
  }

  /**
   * Validates the pipeline, lays its graph out (reusing `previous`'s layout when the nodes and
   * edges are the same) and caches it; pages showing `previous` get a `graph` event when the
   * result differs or they were shown it stale. The graph is checked first (a page draws it at
   * once); the queries' binding against their inputs' schemas, which reads the sources' files,
   * follows in the background ({@link #bindLater}).
   */
  async #validate(previous?: GraphJson): Promise<Validation> {
    try {
      tracePhase('validation started');
      const { graph, root, files, paths } = await validateGraphOffThread(
        {
          dir: this.dir,
          cwd: this.cwd,
          bundle: this.bundle,
          bind: false,
          ...(previous ? { previous: previous.layout } : {}),
        },
        this.#workerOwner(),
      );
      tracePhase('validated and laid out');
      const stamps = await stampsOf(paths);
      const key = await sourcesKey(paths, this.#scope);
      const v: Validation = { graph, root, files, stamps, cached: false };
      if (this.#closed) return v;
      await writeGraphCache(this.graphCacheFile, {
        key,
        root: root ?? null,
        files,
        paths,
        graph,
      });
      if (previous && (this.#lastKnown || JSON.stringify(previous) !== JSON.stringify(graph)))
        this.#send('graph', { version: ++this.#graphVersion });
      if (graph.runnable) void this.#bindLater(v);
      return v;
    } finally {
      this.#lastKnown = undefined;
    }
  }

  /**
   * Validates again with each query bound against its inputs' known schemas (what `sluice
   * validate` reports): when that finds errors the graph-only validation `first` did not, it
   * becomes the current validation (and the cached graph), and pages get a `graph` event — unless
   * another validation (`first` no longer current) or closing came first.
   */
  async #bindLater(first: Validation): Promise<void> {
    const current = async () => (await this.#validation?.catch(() => undefined))?.graph === first.graph;
    // Not before the first status is served and its page had time to draw: this validation takes
    // a worker and a core of its own (the machine may have two).
    await this.#statusServed;
    await new Promise((r) => setTimeout(r, BIND_AFTER_MS).unref());
    try {
      const { graph, root, files, paths } = await validateGraphOffThread(
        { dir: this.dir, cwd: this.cwd, bundle: this.bundle, bind: true, previous: first.graph.layout },
        this.#workerOwner(),
      );
      tracePhase('queries bound');
      if (this.#closed || !(await current())) return;
      if (JSON.stringify(graph) === JSON.stringify(first.graph)) return;
      const stamps = await stampsOf(paths);
      const key = await sourcesKey(paths, this.#scope);
      if (this.#closed || !(await current())) return;
      await writeGraphCache(this.graphCacheFile, { key, root: root ?? null, files, paths, graph });
      this.#keep(Promise.resolve({ graph, root, files, stamps, cached: false }));
      this.#send('graph', { version: ++this.#graphVersion });
    } catch {
      // The graph-only validation stays; the next validation binds again.
    }
  }

  #workerOwner(): { track(worker: Worker): () => void; stopped(): boolean } {
    return {
      track: (worker) => {
        this.#workers.add(worker);
        return () => this.#workers.delete(worker);
      },
      stopped: () => this.#closed,
    };
  }

  /** The source file a dataset is defined in, if it is one of the pipeline's library files. */
  async sourceFile(dataset: string): Promise<{ path: string; file: string; line: number; language: string }> {
    // Which files are sources comes from a validation of this process, never from the cache file.
    if ((await this.validation()).cached) await this.revalidate();
    const { graph, root, files, cached } = await this.validation();
    if (cached)
      throw new SluiceError('UI_NOT_FOUND', `the pipeline could not be validated to find '${dataset}'`, {
        dataset,
      });
    const d = graph.datasets.find((x) => x.name === dataset);
    if (!d?.location || !root)
      throw new SluiceError('UI_NOT_FOUND', `no source location is known for dataset '${dataset}'`, {
        dataset,
      });
    const path = resolve(root, d.location.file);
    // Only the pipeline's own library files are ever read.
    if (!files.includes(path))
      throw new SluiceError('UI_NOT_FOUND', `the definition of '${dataset}' is not in a library file`, {
        dataset,
      });
    return { path, file: d.location.file, line: d.location.line, language: d.language };
  }

  /** The update shown (`updateId`, else the latest) and who holds the lock. */
  status(updateId?: string): Promise<StatusJson> {
    const answer = this.#status(updateId);
    this.#statusServed ??= answer.catch(() => {});
    return answer;
  }

  async #status(updateId?: string): Promise<StatusJson> {
    if (updateId === undefined && !this.#shown && !this.runner.current) {
      const saved = await this.#savedStatus();
      if (saved) {
        void this.sync().catch(() => {}); // reads the shown update; pages get it when it changed
        return saved;
      }
    }
    await this.sync();
    const index = await this.monitor.events();
    tracePhase('status read');
    const holder = await this.monitor.runningUpdate();
    const running = holder
      ? { updateId: holder.updateId, pid: holder.pid, inProcess: holder.updateId === this.runner.current }
      : null;
    let builder: UpdateStatusBuilder | undefined;
    if (updateId === undefined || updateId === this.#shown?.updateId) builder = this.#shown;
    else {
      if (!index.update(updateId)) await index.complete();
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

  /**
   * The status saved by the last server (see saveEventIndex), when the event log is still at the
   * version it was read from — it is then what reading the latest update again would give —
   * with who holds the lock now. Only until the shown update is read.
   */
  async #savedStatus(): Promise<StatusJson | undefined> {
    this.#saved ??= readCacheFile(uiCacheFile(this.monitor.storage, 'status')).then((v) => {
      const s = (v as { format?: unknown; status?: StatusJson } | undefined)?.status;
      return (v as { format?: unknown } | undefined)?.format === 1 && typeof s === 'object' && s !== null
        ? s
        : undefined;
    });
    const saved = await this.#saved;
    const index = await this.monitor.events().catch(() => undefined);
    if (!saved || this.#shown || !index || saved.eventLogVersion !== (index.version ?? null))
      return undefined;
    const holder = await this.monitor.runningUpdate();
    const update = saved.update && { ...saved.update, running: holder?.updateId === saved.update.updateId };
    return {
      update,
      running: holder ? { updateId: holder.updateId, pid: holder.pid, inProcess: false } : null,
      eventLogVersion: saved.eventLogVersion,
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
    if (status) this.#send('status', status);
  }

  #send(event: string, data: unknown): void {
    for (const c of this.#clients) c.send(event, data);
  }

  /**
   * Saves what the event log index knows (once every summary is read), so the next start reads
   * only the events appended since, and the status it shows (of an update read from the log),
   * so the next start can show it before reading that update again. Skipped when nothing was
   * read since the last save.
   */
  async saveEventIndex(): Promise<void> {
    const index = await this.monitor.events().catch(() => undefined);
    const state = index?.state();
    if (!state || state.version === this.#savedIndexVersion) return;
    if (!(await writeCacheFile(uiCacheFile(this.monitor.storage, 'event-log-index'), state))) return;
    this.#savedIndexVersion = state.version;
    const status =
      this.#shown && !this.#shown.inProcess ? await this.status().catch(() => undefined) : undefined;
    if (status?.eventLogVersion === state.version)
      await writeCacheFile(uiCacheFile(this.monitor.storage, 'status'), { format: 1, status });
  }

  async close(): Promise<void> {
    await this.saveEventIndex().catch(() => {});
    this.#closed = true;
    await Promise.all([...this.#workers].map((w) => w.terminate().catch(() => 0)));
    if (this.#poller) clearInterval(this.#poller);
    if (this.#broadcastTimer) clearTimeout(this.#broadcastTimer);
    this.#clients.clear();
    await this.runner.close();
    await this.#syncing?.catch(() => {});
    await this.monitor.close();
  }
}
