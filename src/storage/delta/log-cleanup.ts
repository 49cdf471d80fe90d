/**
 * Expired-log clean-up (Delta's metadata clean-up): deletes JSON commits and checkpoints older
 * than the table's log retention, always *below* a checkpoint that keeps the table readable.
 *
 * Rule: let the cutoff be `now − retention`, where the retention is the larger of
 * `delta.logRetentionDuration` (default 30 days) and `delta.deletedFileRetentionDuration`
 * (default 7 days). The new start of the log is the newest checkpoint V such that V's own commit
 * and the log files of the version just below V were last modified before the cutoff (commit
 * times grow with versions, as Delta assumes, so everything older is older still), the checkpoint
 * reads, and every commit after V up to the latest exists. Every log file of a version below V
 * (commit, checkpoint parts, `.crc`) is deleted, oldest first; V and everything after it stay.
 * Nothing happens with `delta.enableExpiredLogCleanup = false`.
 *
 * Why the floor at the deleted-file retention: vacuum judges "removed long enough ago" from the
 * versions still in the log (see vacuum.ts), so the log keeps at least the versions a reader may
 * still time-travel to before vacuum deletes their files.
 *
 * Invariants: the table stays readable at every moment — a reader lists the log and starts from
 * the newest checkpoint, which is never deleted; a crash mid-way leaves a shorter prefix deleted.
 * Versions below V can no longer be read (DELTA_VERSION_NOT_FOUND), as in Delta.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from '../../util/index.ts';
import { listNames, remove } from '../object-store.ts';
import { type CheckpointFiles, commitPath, listLog, readCheckpoint } from './log-files.ts';
import { assertMaintainable } from './optimize.ts';
import { loadSnapshot, type Snapshot } from './snapshot.ts';
import { durationProperty, expiredLogCleanupEnabled } from './table-properties.ts';

export interface LogCleanupOptions {
  /** The latest snapshot when the caller has it (for the table's properties). */
  readonly snapshot?: Snapshot;
  readonly db?: Database;
  /** Overrides the table's retention (milliseconds). */
  readonly retentionMs?: number;
  /** "Now" in milliseconds since the epoch (default: the clock). */
  readonly now?: number;
  /** List what would be deleted without deleting. */
  readonly dryRun?: boolean;
}

export interface LogCleanupResult {
  /** The oldest version still readable after the clean-up (undefined: nothing was eligible). */
  readonly oldestVersion?: number;
  /** Deleted (or, dry run, deletable) file names in `_delta_log`. */
  readonly files: readonly string[];
}

const VERSIONED = /^(\d{20})\.(json|crc|checkpoint\.parquet|checkpoint\.\d{10}\.\d{10}\.parquet)$/;

/**
 * Deletes expired log files (see the module comment).
 * @throws SluiceError DELTA_INVALID_TABLE_PROPERTY for a retention that is not an interval;
 *   DELTA_UNSUPPORTED_FEATURE for a table whose writer features sluice does not know.
 */
export async function cleanupExpiredLogs(
  tablePath: string,
  opts: LogCleanupOptions = {},
): Promise<LogCleanupResult> {
  const snap = opts.snapshot ?? (await loadSnapshot(tablePath, opts.db ? { db: opts.db } : {}));
  if (!expiredLogCleanupEnabled(snap.metadata)) return { files: [] };
  assertMaintainable(snap.protocol, tablePath);
  const retention =
    opts.retentionMs ??
    Math.max(
      durationProperty(snap.metadata, 'delta.logRetentionDuration', tablePath),
      durationProperty(snap.metadata, 'delta.deletedFileRetentionDuration', tablePath),
    );
  const cutoff = (opts.now ?? Date.now()) - retention;
  const logDir = join(tablePath, '_delta_log');
  const listing = await listLog(tablePath);
  const latest = Math.max(listing.commits.at(-1) ?? -1, listing.checkpoints.at(-1)?.version ?? -1);
  const have = new Set(listing.commits);
  // Versioned log file names by version (names only: modification times are read for the few
  // files the decision needs — commit times grow with versions, as Delta assumes).
  const byVersion = new Map<number, string[]>();
  for (const name of await listNames(logDir)) {
    const m = VERSIONED.exec(name);
    if (!m) continue;
    const v = Number(m[1]);
    byVersion.set(v, [...(byVersion.get(v) ?? []), name]);
  }
  const versions = [...byVersion.keys()].sort((a, b) => a - b);
  const newest = async (v: number) => {
    let t = Number.NEGATIVE_INFINITY;
    for (const name of byVersion.get(v) ?? []) t = Math.max(t, await mtimeOf(join(logDir, name)));
    return t;
  };
  // Commits from `tail` to the latest all exist: a start at checkpoint v needs v + 1 ≥ tail.
  let tail = latest + 1;
  while (tail - 1 >= 0 && have.has(tail - 1)) tail--;
  const ownTime = (v: number) => (have.has(v) ? mtimeOf(commitPath(tablePath, v)) : newest(v));
  // The checkpoints old enough form a prefix (times grow with versions): binary-search its end.
  const cps = listing.checkpoints;
  let lo = 0;
  let hi = cps.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((await ownTime((cps[mid] as CheckpointFiles).version)) < cutoff) lo = mid + 1;
    else hi = mid;
  }
  // Newest first: the first checkpoint that qualifies is the new start of the log.
  for (const cp of cps.slice(0, lo).reverse()) {
    const v = cp.version;
    const below = lowerBound(versions, v); // number of versions < v
    if (v > latest || below === 0 || v + 1 < tail) continue;
    if ((await ownTime(v)) >= cutoff || (await newest(versions[below - 1] as number)) >= cutoff) continue;
    try {
      await readCheckpoint(tablePath, cp, opts.db);
    } catch {
      continue; // a damaged checkpoint is no place to start the log from
    }
    const files = versions.slice(0, below).flatMap((x) => byVersion.get(x) ?? []);
    if (!opts.dryRun) for (const name of files) await remove(join(logDir, name));
    return { oldestVersion: v, files };
  }
  return { files: [] };
}

/** Modification time of a file; +∞ when it is gone (never judged old). */
async function mtimeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** The number of elements of ascending `xs` that are < v. */
function lowerBound(xs: readonly number[], v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
