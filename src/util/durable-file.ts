/**
 * The one way sluice writes a file that something else depends on: Delta commits, checkpoints,
 * data files, offset logs, update markers and the pipeline lock. Each primitive makes a file
 * visible only with its full content, and durable (file and directory fsynced) before it returns,
 * so a crash or a power loss leaves either the old state or the new one, never a torn file or an
 * entry that points at nothing.
 */
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Prefix of every temporary file these primitives create; readers and listings skip it. */
export const TEMP_PREFIX = '.sluice-tmp-';

/** A unique temp path in the same directory as `target` (so link/rename stay on one file system). */
export function tempPathFor(target: string): string {
  return join(dirname(target), `${TEMP_PREFIX}${basename(target)}.${randomUUID()}`);
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

/** fsyncs an existing file (e.g. one DuckDB just wrote) before it is published. */
export async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function writeNew(path: string, data: string | Uint8Array, durable: boolean): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    await fh.writeFile(data);
    if (durable) await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes a new temp file next to `target`, creating the directory when it is missing. */
async function writeTemp(target: string, data: string | Uint8Array, durable: boolean): Promise<string> {
  const tmp = tempPathFor(target);
  try {
    await writeNew(tmp, data, durable);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    await mkdir(dirname(target), { recursive: true });
    await writeNew(tmp, data, durable);
  }
  return tmp;
}

export interface PutOptions {
  /**
   * fsync the file and its directory (default true). Only for files that are hints which readers
   * can do without (e.g. `_last_checkpoint`).
   */
  readonly durable?: boolean;
}

/**
 * Creates `path` with `data` only if it does not exist yet. Returns true when this call created
 * it, false when the path already existed (someone else won).
 *
 * Invariant: the target is never visible partially written. The content goes to a unique temp
 * file first (fsynced), which is then hard-linked to the target — `link` fails with EEXIST
 * atomically when the target exists — and the temp name is removed. A crash at any point leaves
 * either no target or a complete one, plus possibly a stray temp file (removed by maintenance).
 */
export async function putIfAbsent(
  path: string,
  data: string | Uint8Array,
  opts: PutOptions = {},
): Promise<boolean> {
  const durable = opts.durable ?? true;
  const tmp = await writeTemp(path, data, durable);
  try {
    await link(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  // The temp name goes away while the directory is synced (the new entry is what must be durable).
  await Promise.all([unlink(tmp).catch(() => {}), durable ? fsyncDir(dirname(path)) : undefined]);
  return true;
}

/**
 * Replaces `path` atomically and durably (temp file + rename): readers see the old or the new
 * content, never a mix, and after a crash the new content is there once this returned.
 */
export async function putAtomic(
  path: string,
  data: string | Uint8Array,
  opts: PutOptions = {},
): Promise<void> {
  const durable = opts.durable ?? true;
  const tmp = await writeTemp(path, data, durable);
  await publishFile(tmp, path, { durable, synced: true });
}

/**
 * Replaces each of `files` (all in one directory) atomically, as {@link putAtomic} does, with one
 * directory fsync for all: their contents are written and fsynced together, then each is renamed
 * into place in the order given, then the directory is fsynced. Once it returns every file is
 * durable. A process that dies before leaves the first of them in place (a prefix, in order); a
 * power loss before may leave any subset of the renamed ones — never a torn file.
 */
export async function putAllAtomic(
  files: readonly { readonly path: string; readonly data: string | Uint8Array }[],
): Promise<void> {
  if (files.length === 0) return;
  const dir = dirname(files[0]!.path);
  if (files.some((f) => dirname(f.path) !== dir))
    throw new Error(`putAllAtomic: the files are not all in ${dir}`);
  const written = await Promise.allSettled(files.map((f) => writeTemp(f.path, f.data, true)));
  const tmps = written.flatMap((w) => (w.status === 'fulfilled' ? [w.value] : []));
  const failed = written.find((w) => w.status === 'rejected');
  if (failed) {
    await Promise.all(tmps.map((t) => unlink(t).catch(() => {})));
    throw failed.reason;
  }
  for (const [i, f] of files.entries()) {
    try {
      await rename(tmps[i]!, f.path);
    } catch (e) {
      await Promise.all(tmps.slice(i).map((t) => unlink(t).catch(() => {})));
      throw e;
    }
  }
  await fsyncDir(dir);
}

/**
 * Writes `data` to a new temp file next to `target` (see {@link tempPathFor}), fsynced, for
 * {@link publishFiles}; creates the directory when it is missing.
 */
export function writeSyncedTemp(target: string, data: string | Uint8Array): Promise<string> {
  return writeTemp(target, data, true);
}

/**
 * Publishes complete, fsynced temp files (see {@link writeSyncedTemp}, {@link fsyncFile}) that
 * all live in the directory `dir`: renames each over its target, then fsyncs the directory once.
 * Once it returns every target is durable; a crash before that may leave any subset of them in
 * place — so only for files nothing depends on until a later, separately durable record (a
 * commit) names them.
 */
export async function publishFiles(
  dir: string,
  files: readonly { readonly tmp: string; readonly path: string }[],
): Promise<void> {
  for (const f of files) {
    if (dirname(f.path) !== dir || dirname(f.tmp) !== dir)
      throw new Error(`publishFiles: ${f.tmp} → ${f.path} is outside ${dir}`);
  }
  const moved = await Promise.allSettled(files.map((f) => rename(f.tmp, f.path)));
  const failed = moved.find((m) => m.status === 'rejected');
  if (failed) {
    await Promise.all(files.map((f) => unlink(f.tmp).catch(() => {})));
    throw failed.reason;
  }
  await fsyncDir(dir);
}

/**
 * Moves a complete file (written by someone else, e.g. a DuckDB `COPY`) into place: fsyncs it,
 * renames it over `path` and fsyncs the directory. Publish every file a commit will reference
 * this way before the commit, so a committed version never points at a missing or torn file.
 */
export async function publishFile(
  tmp: string,
  path: string,
  opts: PutOptions & { readonly synced?: boolean } = {},
): Promise<void> {
  const durable = opts.durable ?? true;
  if (durable && !opts.synced) await fsyncFile(tmp);
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  if (durable) await fsyncDir(dirname(path));
}
