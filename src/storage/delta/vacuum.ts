/**
 * Vacuum: deletes files under a table that no version a reader may still ask for references —
 * files removed (by overwrites, compaction) longer ago than the retention, orphans of crashed
 * writes, expired change data — and stray temp files of interrupted writes.
 *
 * The retention is `delta.deletedFileRetentionDuration` (default 7 days) unless given. With
 * `cutoff = now − retention`, let W be the newest version committed at or before the cutoff (the
 * version a reader at the cutoff saw; the oldest reconstructable version when none is that old).
 * Versions W … latest are the ones a reader may still use. A data or change-data file is kept when
 *   - the latest snapshot or the snapshot at W references it, or
 *   - it was modified after `cutoff − slack` (slack = min(retention, 1 hour)):
 * a file added after W was written shortly before its commit, so after the cutoff less the time a
 * write takes, which the slack bounds. Everything else was either removed at or before W — longer
 * ago than the retention — or never committed. Versions are dated by their commit files'
 * modification times (as Delta does); expired-log clean-up keeps W in the log (log-cleanup.ts).
 *
 * Temp files (`.sluice-tmp-…`, anywhere in the table) are deleted once older than
 * min(retention, 1 hour): no reader ever names one, and a writer that stalled that long only sees
 * its own write fail (the publish or link of a missing temp fails; nothing is committed).
 *
 * Invariant: a file referenced by any version from W to the latest is never deleted, so those
 * versions read the same after vacuum — in particular the latest, and what a concurrent reader
 * loaded less than the retention ago. Assumption (as in Delta): data files are added by a commit
 * soon (within the slack) after they were written.
 */
import type { Dirent } from 'node:fs';
import { readdir, rmdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Database } from '../../util/index.ts';
import { remove, TEMP_PREFIX } from '../object-store.ts';
import type { AddAction } from './actions.ts';
import { CHANGE_DATA_DIR } from './cdf-write.ts';
import { deletionVectorOf, deletionVectorPath } from './deletion-vectors.ts';
import { commitPath, listLog } from './log-files.ts';
import { assertMaintainable } from './optimize.ts';
import { decodeAddPath } from './partitions.ts';
import { loadSnapshot, type Snapshot } from './snapshot.ts';
import { DEFAULT_DELETED_FILE_RETENTION_MS, durationProperty } from './table-properties.ts';

/** Delta's default `delta.deletedFileRetentionDuration`: 7 days. */
export const DEFAULT_RETENTION_MS = DEFAULT_DELETED_FILE_RETENTION_MS;

/** Upper bound of the time between writing a data file and committing it (see the module comment). */
export const WRITE_SLACK_MS = 3600 * 1000;

export interface VacuumOptions {
  /** Overrides the table's `delta.deletedFileRetentionDuration` (milliseconds). */
  readonly retentionMs?: number;
  /** List what would be deleted without deleting. */
  readonly dryRun?: boolean;
  /** "Now" in milliseconds since the epoch (default: the clock). */
  readonly now?: number;
  /** The latest snapshot when the caller has it. */
  readonly snapshot?: Snapshot;
  readonly db?: Database;
}

export interface VacuumResult {
  /** The version whose live files were kept. */
  readonly version: number;
  /** The oldest version whose files were kept (W in the module comment). */
  readonly oldestKeptVersion: number;
  /** Deleted (or, with dryRun, deletable) paths relative to the table root. */
  readonly files: readonly string[];
  readonly bytes: number;
}

/** True for top-level entries Delta treats as hidden (not data): `_x`/`.x` without `=`. */
function isHidden(top: string): boolean {
  return (top.startsWith('_') || top.startsWith('.')) && !top.includes('=') && top !== CHANGE_DATA_DIR;
}

/**
 * Removes unreferenced files past the retention. See the module comment for guarantees.
 * @throws SluiceError DELTA_INVALID_TABLE_PROPERTY for a retention that is not an interval;
 *   DELTA_UNSUPPORTED_FEATURE for a table whose writer features sluice does not know.
 */
export async function vacuum(tablePath: string, opts: VacuumOptions = {}): Promise<VacuumResult> {
  const load = (version?: number) =>
    loadSnapshot(tablePath, {
      ...(version !== undefined ? { version } : {}),
      ...(opts.db ? { db: opts.db } : {}),
    });
  const snap = opts.snapshot ?? (await load());
  assertMaintainable(snap.protocol, tablePath);
  const retention =
    opts.retentionMs ?? durationProperty(snap.metadata, 'delta.deletedFileRetentionDuration', tablePath);
  const now = opts.now ?? Date.now();
  const cutoff = now - retention;
  const keepAfter = cutoff - Math.min(retention, WRITE_SLACK_MS);
  const tempCutoff = now - Math.min(retention, WRITE_SLACK_MS);
  const oldest = await oldestReaderVersion(tablePath, snap.version, cutoff);
  const live = new Set<string>();
  const keep = (f: AddAction) => {
    live.add(decodeAddPath(f.path));
    // A file's deletion vector stays as long as the file does.
    const dv = deletionVectorOf(f);
    if (dv && dv.storageType !== 'i')
      live.add(relative(tablePath, deletionVectorPath(tablePath, dv)).split(sep).join('/'));
  };
  for (const f of snap.files) keep(f);
  if (oldest < snap.version) for (const f of (await load(oldest)).files) keep(f);

  const files: string[] = [];
  let bytes = 0;
  const dirs = new Set<string>();
  // Names and types first; only files that may go are stat'ed (live files need no look).
  for (const name of await filesBelow(tablePath)) {
    const top = name.split('/')[0] as string;
    const base = name.slice(name.lastIndexOf('/') + 1);
    const temp = base.startsWith(TEMP_PREFIX);
    if (!temp && (top === '_delta_log' || isHidden(top) || live.has(name))) continue;
    const st = await stat(join(tablePath, name)).catch(() => undefined);
    if (!st || st.mtimeMs >= (temp ? tempCutoff : keepAfter)) continue;
    files.push(name);
    bytes += st.size;
    if (name.includes('/')) dirs.add(name.slice(0, name.lastIndexOf('/')));
    if (!opts.dryRun) await remove(join(tablePath, name));
  }
  if (!opts.dryRun) {
    // Drop emptied partition directories, deepest first (rmdir fails harmlessly on non-empty ones).
    const all = new Set<string>();
    for (const d of dirs) {
      const parts = d.split('/');
      for (let i = parts.length; i > 0; i--) all.add(parts.slice(0, i).join('/'));
    }
    for (const d of [...all].sort((a, b) => b.split('/').length - a.split('/').length)) {
      if (d === '_delta_log' || d === CHANGE_DATA_DIR) continue;
      await rmdir(join(tablePath, d)).catch(() => {});
    }
  }
  return { version: snap.version, oldestKeptVersion: oldest, files: files.sort(), bytes };
}

/** Every file below `dir` (recursive, no stat), relative with '/' separators. */
async function filesBelow(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(abs: string, rel: string): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(abs, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const e of entries) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(join(abs, e.name), r);
      else out.push(r);
    }
  }
  await walk(dir, '');
  return out;
}

/**
 * W of the module comment: the newest version whose commit file was last modified at or before
 * `cutoff` (commit times grow with versions, as Delta assumes: a binary search), never older than
 * the oldest version the log can still build.
 */
async function oldestReaderVersion(tablePath: string, latest: number, cutoff: number): Promise<number> {
  const listing = await listLog(tablePath);
  const have = new Set(listing.commits);
  // The oldest buildable version: 0 when every commit is there, else the oldest checkpoint from
  // which the commits up to the latest are contiguous.
  let first = latest;
  while (first - 1 >= 0 && have.has(first - 1)) first--;
  if (first > 0) first = listing.checkpoints.find((c) => c.version >= first - 1)?.version ?? latest;
  const committedBy = async (v: number) => {
    try {
      return (await stat(commitPath(tablePath, v))).mtimeMs <= cutoff;
    } catch {
      return false;
    }
  };
  // Versions first..latest committed at or before the cutoff form a prefix: find its end.
  let lo = first;
  let hi = latest + 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (await committedBy(mid)) lo = mid + 1;
    else hi = mid;
  }
  return Math.max(first, lo - 1);
}
