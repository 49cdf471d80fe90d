/**
 * The last validated graph of a pipeline, kept on disk (under its storage folder) so a restarted
 * `sluice ui` paints at once instead of validating and laying out the whole graph first.
 *
 * An entry is keyed by a fingerprint of what the validation read: the content of the spec and of
 * every library file, the (visible) names in each folder they sit in (a file added or removed
 * there changes it), and where and how it was asked (folder, working folder, bundle selection, sluice version).
 * Invariant: an entry whose key equals the fingerprint of the files now on disk was validated from
 * exactly these files. What the fingerprint cannot see (a module a TypeScript file imports, a
 * change to sluice itself at the same version) is caught by validating again in the background
 * after a cached graph was served (see PipelineContext).
 *
 * The file is a cache (see cache-files.ts): a missing, unreadable or foreign entry is a miss,
 * never an error, and a write that fails leaves the dashboard working (it only starts slower).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { readCacheFile, writeCacheFile } from './cache-files.ts';
import type { GraphJson } from './dashboard-types.ts';

/** Bumped whenever GraphJson or the entry changes shape: an older entry is then a miss. */
const FORMAT = 2;

/** How a pipeline was asked for: part of the key (the graph JSON depends on it). */
export interface GraphCacheScope {
  readonly dir: string;
  readonly cwd: string;
  readonly bundle: unknown;
  readonly version: string;
}

/** One cached validation. `paths` are absolute: the spec, the library files and their folders. */
export interface GraphCacheEntry {
  readonly format: typeof FORMAT;
  readonly key: string;
  /** The spec's folder (library file locations are relative to it); null for an unloadable spec. */
  readonly root: string | null;
  /** Absolute paths of the library files (only these are ever served as sources). */
  readonly files: readonly string[];
  /** What the fingerprint covers: files (by content) and folders (by their names). */
  readonly paths: readonly string[];
  readonly graph: GraphJson;
}

/** The modification time of every path (-1 when missing): a cheap check that nothing changed since. */
export async function stampsOf(paths: Iterable<string>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const p of paths)
    out.set(
      p,
      await stat(p).then(
        (s) => s.mtimeMs,
        () => -1,
      ),
    );
  return out;
}

/**
 * A folder's entry names, sorted, without hidden ones: library globs never match those, and the
 * storage folder (`.sluice` by default, beside the spec) changes as the pipeline runs.
 */
async function visibleNames(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
}

/**
 * The fingerprint of `paths` as they are on disk now, in `scope`. Folders contribute their
 * sorted entry names, files their content, a missing path a marker.
 */
export async function sourcesKey(paths: readonly string[], scope: GraphCacheScope): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ format: FORMAT, ...scope }));
  for (const p of [...paths].sort()) {
    hash.update(`\u0000${p}\u0000`);
    const s = await stat(p).catch(() => undefined);
    if (!s) hash.update('missing');
    else if (s.isDirectory()) hash.update(`dir:${(await visibleNames(p)).join('/')}`);
    else hash.update(await readFile(p).catch(() => 'unreadable'));
  }
  return hash.digest('hex');
}

function isEntry(v: unknown): v is GraphCacheEntry {
  const e = v as Partial<GraphCacheEntry> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    e.format === FORMAT &&
    typeof e.key === 'string' &&
    Array.isArray(e.files) &&
    Array.isArray(e.paths) &&
    typeof e.graph === 'object' &&
    e.graph !== null
  );
}

/** The entry stored at `file`, or undefined (none, unreadable, or of another format). */
export async function readGraphCache(file: string): Promise<GraphCacheEntry | undefined> {
  const v = await readCacheFile(file);
  return isEntry(v) ? v : undefined;
}

/** Stores `entry` at `file` (best effort: false when it could not be written). */
export function writeGraphCache(file: string, entry: Omit<GraphCacheEntry, 'format'>): Promise<boolean> {
  return writeCacheFile(file, { format: FORMAT, ...entry });
}
