/**
 * The local-filesystem object store under every Delta table. It offers exactly the primitives the
 * Delta commit protocol needs: list a directory, read a file, and an atomic, race-free
 * "put if absent" that makes a file visible only with its full content.
 */
import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fsyncDir } from '../util/index.ts';

export {
  fsyncDir,
  fsyncFile,
  type PutOptions,
  publishFile,
  putAtomic,
  putIfAbsent,
  TEMP_PREFIX,
  tempPathFor,
} from '../util/index.ts';

/** One directory entry with its size and modification time (milliseconds since the epoch). */
export interface ObjectInfo {
  readonly name: string;
  readonly path: string;
  readonly size: number;
  readonly modificationTime: number;
  readonly isDirectory: boolean;
}

/** Names in a directory (not recursive), sorted; an empty list when the directory does not exist. */
export async function listNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/**
 * Creates `dir` (and missing parents) durably: every directory this call created is fsynced into
 * its parent, so a file later published inside it (and fsynced with its own directory) cannot be
 * lost with a directory entry that never reached the disk. Nothing to do when `dir` exists.
 */
export async function ensureDir(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  // `first` is the topmost directory created: sync its parent, then each created level.
  const levels = relative(first, dir) === '' ? [] : relative(first, dir).split(sep);
  const created = [first];
  for (const l of levels) created.push(join(created.at(-1) as string, l));
  await fsyncDir(dirname(first));
  for (const d of created.slice(0, -1)) await fsyncDir(d);
}

/** Directory entries with sizes and times; an empty list when the directory does not exist. */
export async function list(dir: string): Promise<ObjectInfo[]> {
  const names = await listNames(dir);
  const out: ObjectInfo[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      const s = await stat(path);
      out.push({ name, path, size: s.size, modificationTime: s.mtimeMs, isDirectory: s.isDirectory() });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // deleted meanwhile
    }
  }
  return out;
}

/** Every file below `dir` (recursive), paths relative to `dir` with '/' separators. */
export async function listFilesRecursive(dir: string): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  async function walk(abs: string, rel: string): Promise<void> {
    for (const entry of await list(abs)) {
      const r = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory) await walk(entry.path, r);
      else out.push({ ...entry, name: r });
    }
  }
  await walk(dir, '');
  return out;
}

/** Reads a whole file. */
export function read(path: string): Promise<Buffer> {
  return readFile(path);
}

/** Deletes a file; a missing file is not an error. Returns true if it existed. */
export async function remove(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}
