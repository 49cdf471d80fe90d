import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { SluiceError } from '../../errors/index.ts';

/** One file found under a file source's path. Plain JSON data (it is written to the offset log). */
export interface DiscoveredFile {
  /** Absolute path: the file's identity for the source. */
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/**
 * What the source has already read. Identity is the absolute path alone: a file modified after it
 * was processed is NOT read again (Auto Loader's default, `allowOverwrites = false`).
 */
export type ProcessedFiles = ReadonlySet<string> | ((path: string) => boolean);

export interface FileBatchLimits {
  /** At most this many files per batch (default 1000). */
  readonly maxFilesPerTrigger?: number;
  /**
   * Soft byte bound: files are added in order while the running total stays within it, but a
   * batch always holds at least one file (so a single huge file still makes progress).
   */
  readonly maxBytesPerTrigger?: number;
}

export const DEFAULT_MAX_FILES_PER_TRIGGER = 1000;

/** Hidden and metadata files/folders (`.x`, `_x`) are never data, as in Spark. */
function isHiddenName(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_');
}

async function walk(dir: string, out: string[]): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return; // vanished while listing
    throw ioError(dir, e);
  }
  for (const entry of entries) {
    if (isHiddenName(entry.name)) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) await walk(p, out);
    else if (entry.isFile()) out.push(p);
    else if (entry.isSymbolicLink()) {
      const st = await stat(p).catch(() => undefined);
      if (st?.isDirectory()) await walk(p, out);
      else if (st?.isFile()) out.push(p);
    }
  }
}

function ioError(path: string, cause: unknown): SluiceError {
  return new SluiceError('IO_ERROR', `cannot list source path ${path}: ${(cause as Error).message}`, {
    params: { path },
    cause,
  });
}

/**
 * Expands a file source path into the files it names, sorted by (mtimeMs, path) so batches are
 * planned in arrival order, deterministically.
 *
 * `pattern` is relative to `options.root` (or absolute): a file, a directory (every file under it,
 * recursively), or a picomatch glob (`data/*.json`, `data/**\/*.csv`, `in/{a,b}/*.csv`). Files and
 * folders whose name starts with `.` or `_` below the path's static base are skipped. A path that
 * does not exist (yet) yields no files — a streaming source may start before its first file lands.
 */
export async function discoverFiles(
  pattern: string,
  options: { readonly root: string },
): Promise<DiscoveredFile[]> {
  const absolute = isAbsolute(pattern) ? pattern : resolve(options.root, pattern);
  const scan = picomatch.scan(absolute);
  let candidates: string[] = [];
  if (!scan.isGlob) {
    const st = await stat(absolute).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
      throw ioError(absolute, e);
    });
    if (st === undefined) return [];
    if (st.isDirectory()) await walk(absolute, candidates);
    else candidates = [absolute];
  } else {
    const base = scan.base === '' ? sep : scan.base;
    const isMatch = picomatch(scan.glob, { dot: false });
    const all: string[] = [];
    await walk(base, all);
    candidates = all.filter((p) => isMatch(relative(base, p)));
  }
  const files: DiscoveredFile[] = [];
  for (const path of candidates) {
    try {
      const st = await stat(path);
      if (st.isFile()) files.push({ path, size: st.size, mtimeMs: Math.floor(st.mtimeMs) });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(path, e);
    }
  }
  return files.sort(compareDiscovered);
}

/** Order of arrival: modification time, then path. */
export function compareDiscovered(a: DiscoveredFile, b: DiscoveredFile): number {
  if (a.mtimeMs !== b.mtimeMs) return a.mtimeMs - b.mtimeMs;
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

function isProcessed(processed: ProcessedFiles, path: string): boolean {
  return typeof processed === 'function' ? processed(path) : processed.has(path);
}

/**
 * The next batch: unprocessed files in (mtimeMs, path) order, stopping at `maxFilesPerTrigger`
 * files or before the first file that would push the total past `maxBytesPerTrigger` (a batch
 * always has at least one file when any is pending). Pure: same inputs, same batch — the engine
 * logs the batch before reading it, and a replay reads exactly the logged files.
 * Returns an empty array when nothing is new.
 */
export function planFileBatch(
  discovered: readonly DiscoveredFile[],
  processed: ProcessedFiles,
  limits: FileBatchLimits = {},
): DiscoveredFile[] {
  const maxFiles = Math.max(1, limits.maxFilesPerTrigger ?? DEFAULT_MAX_FILES_PER_TRIGGER);
  const maxBytes = limits.maxBytesPerTrigger;
  const pending = [...discovered].sort(compareDiscovered).filter((f) => !isProcessed(processed, f.path));
  const batch: DiscoveredFile[] = [];
  let bytes = 0;
  for (const file of pending) {
    if (batch.length >= maxFiles) break;
    if (maxBytes !== undefined && batch.length > 0 && bytes + file.size > maxBytes) break;
    batch.push(file);
    bytes += file.size;
  }
  return batch;
}
