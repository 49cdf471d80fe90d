/**
 * The update's cached view of the Delta tables it reads and writes. Every flow passes through it
 * several times per batch (the table's version, its snapshot, a flow's committed txn version),
 * so snapshots are cached by (table, version) and extended from the newest one known instead of
 * replaying the log again. One cache belongs to one update — the update creates it and drops it
 * when it ends — because within an update a table only changes through sluice's own commits
 * (the pipeline lock keeps other updates out), while between updates a table may be replaced on
 * disk.
 */
import { access } from 'node:fs/promises';
import { SluiceError } from '../../errors/index.ts';
import {
  type Action,
  type AddAction,
  applyCommit,
  type CommitOptions,
  commitFilePath,
  commit as deltaCommit,
  latestVersion,
  loadSnapshot,
  readCommit,
  type Snapshot,
} from '../../storage/index.ts';
import type { Database } from '../../util/index.ts';

export type { Snapshot };

/** Cached snapshots beyond this many are dropped (a long continuous run keeps memory bounded). */
const MAX_CACHED_SNAPSHOTS = 256;

export class TableCache {
  readonly #db: Database;
  readonly #snapshots = new Map<string, Snapshot>();
  /** The newest snapshot loaded per table: the base for loading later versions incrementally. */
  readonly #newest = new Map<string, Snapshot>();
  /** Checkpoints being written in the background (see {@link commit}). */
  readonly #checkpointing = new Set<Promise<void>>();

  constructor(db: Database) {
    this.#db = db;
  }

  /**
   * The newest version of a table, or undefined when it does not exist. Once a snapshot of the
   * table is cached, probes for the commit files after it (one `stat` each) instead of listing
   * `_delta_log` — valid because commit versions are contiguous and a table only grows.
   */
  async version(path: string): Promise<number | undefined> {
    const known = this.#newest.get(path);
    if (!known) return latestVersion(path);
    let v = known.version;
    while (await exists(commitFilePath(path, v + 1))) v++;
    return v;
  }

  /** The snapshot at `version` (default: latest), cached. @throws DELTA_TABLE_NOT_FOUND */
  async snapshot(path: string, version?: number): Promise<Snapshot> {
    const v = version ?? (await this.version(path));
    if (v === undefined) return loadSnapshot(path, { db: this.#db }); // raises DELTA_TABLE_NOT_FOUND
    let s = this.#snapshots.get(`${path}@${v}`);
    if (!s) {
      const base = this.#newest.get(path);
      s = await loadSnapshot(path, {
        version: v,
        db: this.#db,
        ...(base && base.version <= v ? { base } : {}),
      });
      this.#remember(path, s);
    }
    return s;
  }

  /** The last committed version for `appId`, or undefined (also when the table does not exist). */
  async txnVersion(path: string, appId: string): Promise<number | undefined> {
    const v = await this.version(path);
    if (v === undefined) return undefined;
    return (await this.snapshot(path, v)).txns.get(appId);
  }

  /**
   * The files added by versions (from, to] of an append-only stream source.
   * @throws SluiceError STREAMING_SOURCE_NOT_APPEND_ONLY when a commit removed rows, unless
   *   `skipChangeCommits` (then such commits are skipped whole, as Spark does).
   */
  async addedFilesBetween(
    path: string,
    from: number,
    to: number,
    opts: { readonly dataset: string; readonly skipChangeCommits: boolean },
  ): Promise<AddAction[]> {
    const adds: AddAction[] = [];
    for (let v = from + 1; v <= to; v++) {
      const actions = await readCommit(path, v);
      // A file that gains a deletion vector is removed and re-added with it: a change commit
      // too (an add carrying a vector only ever deletes rows from an earlier file).
      const changes = actions.some(
        (a) =>
          ('remove' in a && a.remove.dataChange) ||
          ('add' in a &&
            a.add.dataChange &&
            a.add.deletionVector !== undefined &&
            a.add.deletionVector !== null),
      );
      if (changes) {
        if (opts.skipChangeCommits) continue;
        throw new SluiceError(
          'STREAMING_SOURCE_NOT_APPEND_ONLY',
          `streaming source '${opts.dataset}' had rows deleted or updated at version ${v}; a streaming read needs an append-only source — fully refresh the reader (--full-refresh) or read with skipChangeCommits`,
          { dataset: opts.dataset, params: { version: v } },
        );
      }
      for (const a of actions) if ('add' in a && a.add.dataChange) adds.push(a.add);
    }
    return adds;
  }

  /**
   * Commits and returns the new version. A checkpoint due after the commit is written in the
   * background (the next batch need not wait for it); {@link settleCheckpoints} awaits them. A
   * failed checkpoint is ignored, as a checkpoint only speeds up readers.
   */
  async commit(path: string, actions: readonly Action[], opts: CommitOptions): Promise<number> {
    const r = await deltaCommit(path, actions, {
      ...opts,
      db: this.#db,
      deferCheckpoint: (write) => {
        const p: Promise<void> = write()
          .catch(() => {})
          .finally(() => this.#checkpointing.delete(p));
        this.#checkpointing.add(p);
      },
    });
    // Our own commit right after the snapshot it was computed from: cache the next snapshot
    // without reading the commit back.
    const base = opts.snapshot;
    if (base && r.version === base.version + 1 && this.#snapshots.get(`${path}@${base.version}`) === base) {
      this.#remember(path, applyCommit(base, r.actions));
    }
    return r.version;
  }

  /** Waits for the background checkpoints started so far (call before the update ends). */
  async settleCheckpoints(): Promise<void> {
    while (this.#checkpointing.size > 0) await Promise.all([...this.#checkpointing]);
  }

  #remember(path: string, s: Snapshot): void {
    if (this.#snapshots.size > MAX_CACHED_SNAPSHOTS) this.#snapshots.clear();
    this.#snapshots.set(`${path}@${s.version}`, s);
    const known = this.#newest.get(path);
    if (!known || known.version < s.version) this.#newest.set(path, s);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}
