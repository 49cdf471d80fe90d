/**
 * The local-filesystem object store under every Delta table. It offers exactly the primitives the
 * Delta commit protocol needs: list a directory, read a file, and an atomic, race-free
 * "put if absent" that makes a file visible only with its full content.
 */
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** One directory entry with its size and modification time (milliseconds since the epoch). */
export interface ObjectInfo {
  readonly name: string;
  readonly path: string;
  readonly size: number;
  readonly modificationTime: number;
  readonly isDirectory: boolean;
}

/** Prefix of every temporary file this module creates; readers ignore dot-files in `_delta_log/`. */
export const TEMP_PREFIX = '.sluice-tmp-';

/** A unique temp path in the same directory as `target` (so link/rename stay on one file system). */
export function tempPathFor(target: string): string {
  return join(dirname(target), `${TEMP_PREFIX}${basename(target)}.${randomUUID()}`);
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

/** fsyncs a directory so a newly linked/renamed entry survives a power loss (best effort). */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(dir, constants.O_RDONLY);
    await fh.sync();
  } catch {
    // Some file systems refuse fsync on directories; durability is then the platform's.
  } finally {
    await fh?.close();
  }
}

async function writeDurable(path: string, data: string | Uint8Array, durable: boolean): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    await fh.writeFile(data);
    if (durable) await fh.sync();
  } finally {
    await fh.close();
  }
}

export interface PutOptions {
  /** fsync the file and its directory (default true). */
  readonly durable?: boolean;
}

/**
 * Creates `path` with `data` only if it does not exist yet. Returns true when this call created
 * it, false when the path already existed (someone else won).
 *
 * Invariant: the target is never visible partially written. The content goes to a unique temp
 * file first (fsynced), which is then hard-linked to the target — `link` fails with EEXIST
 * atomically when the target exists — and the temp name is removed. A crash at any point leaves
 * either no target or a complete one, plus possibly a stray temp file (removed by vacuum).
 */
export async function putIfAbsent(
  path: string,
  data: string | Uint8Array,
  opts: PutOptions = {},
): Promise<boolean> {
  const durable = opts.durable ?? true;
  const dir = dirname(path);
  const tmp = tempPathFor(path);
  try {
    await writeDurable(tmp, data, durable);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    await mkdir(dir, { recursive: true });
    await writeDurable(tmp, data, durable);
  }
  try {
    await link(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  // The temp name goes away while the directory is synced (the new entry is what must be durable).
  await Promise.all([unlink(tmp).catch(() => {}), durable ? fsyncDir(dir) : undefined]);
  return true;
}

/**
 * Replaces `path` atomically (temp file + rename): readers see the old or the new content,
 * never a mix. Used for `_last_checkpoint`, which may be overwritten.
 */
export async function putAtomic(
  path: string,
  data: string | Uint8Array,
  opts: PutOptions = {},
): Promise<void> {
  const durable = opts.durable ?? true;
  const tmp = tempPathFor(path);
  await mkdir(dirname(path), { recursive: true });
  await writeDurable(tmp, data, durable);
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  if (durable) await fsyncDir(dirname(path));
}

/** fsyncs an existing file (e.g. one DuckDB just wrote) before it is published by rename. */
export async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
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
