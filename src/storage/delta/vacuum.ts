/**
 * Vacuum: deletes files under a table that no live `add` references and that are older than
 * the retention period — orphans of crashed writes, files removed by overwrites, expired change
 * data, and stray temp files of interrupted commits/checkpoints.
 *
 * Invariant: a file referenced by the latest snapshot is never deleted, so the latest version
 * always reads the same after vacuum. Older versions (time travel) may lose files older than the
 * retention, as in Delta. A retention shorter than the longest write can delete the data files
 * of a write still in progress; the default (7 days) makes that impossible in practice.
 */
import { rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { listFilesRecursive, remove, TEMP_PREFIX } from '../object-store.ts';
import { CHANGE_DATA_DIR } from './cdf-write.ts';
import { decodeAddPath } from './partitions.ts';
import { loadSnapshot } from './snapshot.ts';

/** Delta's default `delta.deletedFileRetentionDuration`: 7 days. */
export const DEFAULT_RETENTION_MS = 7 * 24 * 3600 * 1000;

export interface VacuumOptions {
  /** Only files last modified more than this long ago are deleted (default 7 days). */
  readonly retentionMs?: number;
  /** List what would be deleted without deleting. */
  readonly dryRun?: boolean;
}

export interface VacuumResult {
  /** The version whose live files were kept. */
  readonly version: number;
  /** Deleted (or, with dryRun, deletable) paths relative to the table root. */
  readonly files: readonly string[];
  readonly bytes: number;
}

/** True for top-level entries Delta treats as hidden (not data): `_x`/`.x` without `=`. */
function isHidden(top: string): boolean {
  return (top.startsWith('_') || top.startsWith('.')) && !top.includes('=') && top !== CHANGE_DATA_DIR;
}

/** Removes unreferenced files older than the retention. See the module comment for guarantees. */
export async function vacuum(tablePath: string, opts: VacuumOptions = {}): Promise<VacuumResult> {
  const snap = await loadSnapshot(tablePath);
  const live = new Set(snap.files.map((f) => decodeAddPath(f.path)));
  const cutoff = Date.now() - (opts.retentionMs ?? DEFAULT_RETENTION_MS);
  const files: string[] = [];
  let bytes = 0;
  const dirs = new Set<string>();
  for (const f of await listFilesRecursive(tablePath)) {
    const top = f.name.split('/')[0];
    const base = f.name.slice(f.name.lastIndexOf('/') + 1);
    let candidate: boolean;
    if (top === '_delta_log')
      candidate = base.startsWith(TEMP_PREFIX); // interrupted commit/checkpoint
    else if (isHidden(top)) candidate = false;
    else candidate = !live.has(f.name);
    if (!candidate || f.modificationTime >= cutoff) continue;
    files.push(f.name);
    bytes += f.size;
    if (f.name.includes('/')) dirs.add(f.name.slice(0, f.name.lastIndexOf('/')));
    if (!opts.dryRun) await remove(join(tablePath, f.name));
  }
  if (!opts.dryRun) {
    // Drop emptied partition directories, deepest first (rmdir fails harmlessly on non-empty ones).
    const all = new Set<string>();
    for (const d of dirs) {
      const parts = d.split('/');
      for (let i = parts.length; i > 0; i--) all.add(parts.slice(0, i).join('/'));
    }
    for (const d of [...all].sort((a, b) => b.split('/').length - a.split('/').length)) {
      if (d === '_delta_log') continue;
      await rmdir(join(tablePath, d)).catch(() => {});
    }
  }
  return { version: snap.version, files: files.sort(), bytes };
}
