import { link, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { SluiceError } from '../../errors/index.ts';
import { lockFile } from '../../storage/index.ts';
import { putIfAbsent } from '../../util/index.ts';

/** What the lock file holds: enough to tell whether its holder is still alive. */
export interface LockInfo {
  readonly pid: number;
  readonly host: string;
  readonly updateId: string;
  readonly startedAt: string;
}

export interface PipelineLock {
  readonly path: string;
  readonly info: LockInfo;
  /** Lock of a previous holder that died without releasing (the update it ran ended abnormally). */
  readonly recoveredFrom?: LockInfo;
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the pipeline's exclusive update lock at `<storage>/lock.json` (created complete, put-if-absent).
 * A lock whose holder process is gone (same host, pid not alive) is taken over; a live holder
 * makes this fail with PIPELINE_ALREADY_RUNNING. Invariant: at most one live update per storage.
 */
export async function acquirePipelineLock(storage: string, updateId: string): Promise<PipelineLock> {
  const path = lockFile(storage);
  const info: LockInfo = {
    pid: process.pid,
    host: hostname(),
    updateId,
    startedAt: new Date().toISOString(),
  };
  let recoveredFrom: LockInfo | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    // The lock file appears complete in one step (written aside, then linked into place), so a
    // second run never sees an empty lock of a live holder.
    if (await putIfAbsent(path, JSON.stringify(info))) {
      return {
        path,
        info,
        ...(recoveredFrom ? { recoveredFrom } : {}),
        async release() {
          const current = await readLock(path);
          if (current?.pid === info.pid && current.updateId === info.updateId)
            await unlink(path).catch(() => {});
        },
      };
    }
    const holder = await readLock(path);
    if (!holder && (await youngerThan(path, UNREADABLE_LOCK_GRACE_MS))) {
      throw new SluiceError(
        'PIPELINE_ALREADY_RUNNING',
        `the pipeline lock ${path} cannot be read but was written less than ${UNREADABLE_LOCK_GRACE_MS / 1000} s ago; another update is probably starting — try again`,
        { params: { storage } },
      );
    }
    if (holder && (holder.host !== info.host || isAlive(holder.pid))) {
      throw new SluiceError(
        'PIPELINE_ALREADY_RUNNING',
        `another update (${holder.updateId}, pid ${holder.pid} on ${holder.host}, started ${holder.startedAt}) is running on ${storage}; wait for it to finish or stop it`,
        { params: { ...holder, storage } },
      );
    }
    // Dead holder (or an unreadable, half-written lock): move it aside atomically, then retry.
    // rename is atomic, so of two racing recoverers only one moves this particular file.
    if (holder) recoveredFrom = holder;
    const stale = `${path}.stale-${process.pid}-${attempt}`;
    if (
      await rename(path, stale).then(
        () => true,
        () => false,
      )
    ) {
      // Between our read and our rename another recoverer may have installed a live lock;
      // if what we moved is not the dead lock we judged, put it back (link = put-if-absent).
      const moved = await readLock(stale);
      if (moved && holder && (moved.pid !== holder.pid || moved.updateId !== holder.updateId)) {
        await link(stale, path).catch(() => {});
      }
      await unlink(stale).catch(() => {});
    }
  }
  throw new SluiceError('PIPELINE_ALREADY_RUNNING', `could not take the pipeline lock at ${path}`, {
    params: { storage },
  });
}

/**
 * An unreadable lock (a foreign writer, a damaged file) is taken as held for this long after it
 * was written: only an older one is judged abandoned and taken over.
 */
const UNREADABLE_LOCK_GRACE_MS = 10_000;

async function youngerThan(path: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs < ms;
  } catch {
    return false;
  }
}

/**
 * The update holding the pipeline's lock when its process is alive on this host (or on another
 * host: then it cannot be checked and counts as alive); undefined when no live update holds it.
 */
export async function runningUpdate(storage: string): Promise<LockInfo | undefined> {
  const holder = await readLock(lockFile(storage));
  if (!holder) return undefined;
  return holder.host !== hostname() || isAlive(holder.pid) ? holder : undefined;
}

async function readLock(path: string): Promise<LockInfo | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}
