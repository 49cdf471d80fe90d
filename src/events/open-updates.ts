/**
 * Markers of updates whose terminal state is not (yet) in the event log:
 * `<storage>/system/open_updates/<updateId>.json` holding the last state reached. An update marks
 * itself open when it starts, rewrites the marker as its state changes and removes it once its
 * terminal state is written. Under the pipeline lock no other update runs, so every marker but
 * the current update's belongs to an update whose process died: the next update records those
 * abnormal ends and removes their markers. Finding them costs one directory listing, however long
 * the event log's history.
 */
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { openUpdatesFolder } from '../storage/index.ts';
import { putAtomic } from '../util/index.ts';

export interface OpenUpdate {
  readonly updateId: string;
  /** The last update state the update reported (absent when it died before reporting one). */
  readonly state?: string;
}

const dirOf = openUpdatesFolder;
const SAFE_ID = /^[A-Za-z0-9-]+$/;

/**
 * Marks `updateId` open (without `state`: the first marker, durable — file and folder fsynced —
 * before it returns), or records its newer `state` in the marker. Atomic either way: a reader
 * sees the old or the new marker. A state is only written through the page cache (it survives a
 * killed process, not necessarily a lost machine): the marker it replaces is already durable, and
 * a marker that reads as damaged after a crash of the machine still counts as open (with no
 * state), so the update's abnormal end is recorded all the same — only its last state may be an
 * older one.
 */
export async function markUpdateOpen(storage: string, updateId: string, state?: string): Promise<void> {
  if (!SAFE_ID.test(updateId)) throw new Error(`invalid update id ${JSON.stringify(updateId)}`);
  await putAtomic(
    join(dirOf(storage), `${updateId}.json`),
    JSON.stringify({ updateId, ...(state ? { state } : {}) }),
    { durable: state === undefined },
  );
}

/** Removes the marker of `updateId` (its terminal state is in the event log). */
export async function markUpdateClosed(storage: string, updateId: string): Promise<void> {
  if (!SAFE_ID.test(updateId)) return;
  await unlink(join(dirOf(storage), `${updateId}.json`)).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
}

/** Every update marked open, in id order. A marker that cannot be read counts with no state. */
export async function openUpdates(storage: string): Promise<OpenUpdate[]> {
  let names: string[];
  try {
    names = await readdir(dirOf(storage));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: OpenUpdate[] = [];
  for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()) {
    const updateId = name.slice(0, -'.json'.length);
    try {
      const m = JSON.parse(await readFile(join(dirOf(storage), name), 'utf8')) as { state?: unknown };
      out.push({ updateId, ...(typeof m.state === 'string' ? { state: m.state } : {}) });
    } catch {
      out.push({ updateId });
    }
  }
  return out;
}
