import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { SluiceError } from '../../errors/index.ts';

/** One file found under a file source's path. Plain JSON data (it is written to the offset log). */
export interface DiscoveredFile {
  /** Absolute path, as listed under the source path (the path rows name in `_source_file`). */
  readonly path: string;
  /**
   * The file's real path (symbolic links resolved), only when it differs from `path`. The real
   * path is the file's identity: one file reached by two paths is one file.
   */
  readonly realPath?: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** A file's identity for a source: its real path (see `DiscoveredFile.realPath`). */
export function fileIdentity(file: { readonly path: string; readonly realPath?: string }): string {
  return file.realPath ?? file.path;
}

/**
 * What the source has already read, by identity (`fileIdentity`). A file modified after it was
 * processed is NOT read again here (Auto Loader's default, `allowOverwrites = false`; the planner
 * decides about changed files).
 */
export type ProcessedFiles = ReadonlySet<string> | ((identity: string) => boolean);

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

/** How a source path is listed. */
export interface DiscoveryOptions {
  /** The pipeline folder: a relative source path resolves against it. */
  readonly root: string;
  /**
   * Follow symbolic links below the source path whose target lies inside it (default true); false
   * ignores every symbolic link below the path. A link whose target lies outside the source path
   * is never followed (it is reported to `onSkippedLink`), and a directory reached again (a link
   * back up the tree, or two links to one folder) is not walked again.
   */
  readonly followSymlinks?: boolean;
  /** Called for each link not followed because its target lies outside the source path. */
  readonly onSkippedLink?: (link: string, target: string) => void;
}

/** Hidden and metadata files/folders (`.x`, `_x`) are never data, as in Spark. */
function isHiddenName(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_');
}

function isInside(base: string, p: string): boolean {
  const rel = relative(base, p);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** A listing in progress: files by real path, the real folders walked, the links still to follow. */
interface Walk {
  readonly realBase: string;
  readonly follow: boolean;
  readonly files: Map<string, string>;
  readonly walked: Set<string>;
  readonly links: string[];
  readonly onSkippedLink?: (link: string, target: string) => void;
}

async function listDir(dir: string): Promise<Dirent[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return []; // vanished while listing
    throw ioError(dir, e);
  }
}

/** Walks `dir` (real path `realDir`) without following links; links are queued in `w.links`. */
async function walkDir(dir: string, realDir: string, w: Walk): Promise<void> {
  if (w.walked.has(realDir)) return;
  w.walked.add(realDir);
  for (const entry of await listDir(dir)) {
    if (isHiddenName(entry.name)) continue;
    const p = join(dir, entry.name);
    const real = join(realDir, entry.name);
    if (entry.isDirectory()) await walkDir(p, real, w);
    else if (entry.isFile()) {
      if (!w.files.has(real)) w.files.set(real, p);
    } else if (entry.isSymbolicLink() && w.follow) w.links.push(p);
  }
}

/**
 * Follows one symbolic link: its target (all links resolved) must lie inside the source folder;
 * a dangling link or a cycle of links (ELOOP) is skipped.
 */
async function followLink(link: string, w: Walk): Promise<void> {
  const target = await realpath(link).catch(() => undefined);
  if (target === undefined) return;
  if (!isInside(w.realBase, target)) {
    w.onSkippedLink?.(link, target);
    return;
  }
  const st = await stat(target).catch(() => undefined);
  if (st?.isDirectory()) await walkDir(link, target, w);
  else if (st?.isFile() && !w.files.has(target)) w.files.set(target, link);
}

/**
 * Every file under the folder `dir`, as real path → listed path. Files reached without a link are
 * listed first, so a file also reachable through a link keeps its plain path; links found inside
 * followed folders are followed in turn, each real folder walked once (so a link loop ends).
 */
async function walk(dir: string, options: DiscoveryOptions): Promise<Map<string, string>> {
  const realBase = await realpath(dir).catch(() => resolve(dir));
  const w: Walk = {
    realBase,
    follow: options.followSymlinks !== false,
    files: new Map(),
    walked: new Set(),
    links: [],
    ...(options.onSkippedLink ? { onSkippedLink: options.onSkippedLink } : {}),
  };
  await walkDir(dir, realBase, w);
  for (let i = 0; i < w.links.length; i++) await followLink(w.links[i]!, w);
  return w.files;
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
 * Symbolic links: see `DiscoveryOptions.followSymlinks`; each file is listed once, whatever the
 * number of paths that reach it.
 */
export async function discoverFiles(pattern: string, options: DiscoveryOptions): Promise<DiscoveredFile[]> {
  const absolute = isAbsolute(pattern) ? pattern : resolve(options.root, pattern);
  const scan = picomatch.scan(absolute);
  let candidates: Map<string, string>;
  if (!scan.isGlob) {
    const st = await stat(absolute).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
      throw ioError(absolute, e);
    });
    if (st === undefined) return [];
    if (st.isDirectory()) candidates = await walk(absolute, options);
    else candidates = new Map([[await realpath(absolute).catch(() => absolute), absolute]]);
  } else {
    const base = scan.base === '' ? sep : scan.base;
    const isMatch = picomatch(scan.glob, { dot: false });
    const all = await walk(base, options);
    candidates = new Map([...all].filter(([, p]) => isMatch(relative(base, p))));
  }
  const files: DiscoveredFile[] = [];
  for (const [real, path] of candidates) {
    try {
      const st = await stat(path);
      if (!st.isFile()) continue;
      files.push({
        path,
        ...(real !== path ? { realPath: real } : {}),
        size: st.size,
        mtimeMs: Math.floor(st.mtimeMs),
      });
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

/**
 * Whether `file` was processed: by its identity, or by its listed path (offsets written before
 * files had a real path recorded name files by the path they were listed by).
 */
function isProcessed(processed: ProcessedFiles, file: DiscoveredFile): boolean {
  const has = (key: string) => (typeof processed === 'function' ? processed(key) : processed.has(key));
  return has(fileIdentity(file)) || (file.realPath !== undefined && has(file.path));
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
  const pending = [...discovered].sort(compareDiscovered).filter((f) => !isProcessed(processed, f));
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
