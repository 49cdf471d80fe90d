/**
 * Stale temp files outside Delta tables: the `.sluice-tmp-…` files that a process killed between
 * writing a temp and publishing it leaves behind (offset logs, update markers, the lock). Tables
 * are skipped — vacuum cleans its own (a folder holding `_delta_log` is a table).
 *
 * Deleting a temp is always safe: nothing names one; a writer still using it (stalled for longer
 * than the age limit) only sees its own publish fail.
 */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { remove, TEMP_PREFIX } from './object-store.ts';

/** Temp files older than this are stale: a live writer publishes its temp within milliseconds. */
export const STALE_TEMP_AGE_MS = 3600 * 1000;

export interface TempSweepOptions {
  /** Age (by modification time) from which a temp is deleted (default 1 hour). */
  readonly olderThanMs?: number;
  readonly now?: number;
  readonly dryRun?: boolean;
}

export interface TempSweepResult {
  /** Deleted (or, dry run, deletable) paths relative to the folder swept. */
  readonly files: readonly string[];
  readonly bytes: number;
}

/** Deletes stale temp files below `dir` (recursively, skipping Delta tables). */
export async function removeStaleTemps(dir: string, opts: TempSweepOptions = {}): Promise<TempSweepResult> {
  const cutoff = (opts.now ?? Date.now()) - (opts.olderThanMs ?? STALE_TEMP_AGE_MS);
  const files: string[] = [];
  let bytes = 0;
  async function walk(abs: string, rel: string): Promise<void> {
    // Names and types only: just the temp files are stat'ed (an offset log may hold many files).
    let entries: Dirent[];
    try {
      entries = await readdir(abs, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    if (rel !== '' && entries.some((e) => e.isDirectory() && e.name === '_delta_log')) return;
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(join(abs, e.name), r);
      else if (e.name.startsWith(TEMP_PREFIX)) {
        const s = await stat(join(abs, e.name)).catch(() => undefined);
        if (!s || s.mtimeMs >= cutoff) continue;
        files.push(r);
        bytes += s.size;
        if (!opts.dryRun) await remove(join(abs, e.name));
      }
    }
  }
  await walk(dir, '');
  return { files: files.sort(), bytes };
}
