/**
 * The pipeline's compile cache on disk: `<storage>/system/cache/compiled-queries.json`, read when
 * a pipeline loads and written whole (aside, then renamed) when the load compiled anything, so
 * every command that loads the pipeline (validate, run, ui) reuses what an earlier one compiled.
 * It is only a cache: a missing, unreadable or damaged file is an empty cache and a write that
 * fails is ignored (see `sql/compile-cache.ts` for what keys an entry).
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CompileCache } from '../sql/index.ts';

/** The compile cache file of the pipeline whose storage folder is `storage`. */
export function compileCacheFile(storage: string): string {
  return join(storage, 'system', 'cache', 'compiled-queries.json');
}

/** Whether loads keep compiled queries on disk (`SLUICE_COMPILE_CACHE=0` turns it off). */
export function compileCacheEnabled(): boolean {
  return process.env.SLUICE_COMPILE_CACHE !== '0';
}

/** The cache in `storage`, for code identified by `salt`; empty when there is none or it is damaged. */
export async function readCompileCache(storage: string, salt: string): Promise<CompileCache> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(compileCacheFile(storage), 'utf8'));
  } catch {
    return CompileCache.empty(salt);
  }
  return CompileCache.fromJson(value, salt);
}

/** Writes `cache` whole when it changed; true when written (never throws). */
export async function writeCompileCache(storage: string, cache: CompileCache): Promise<boolean> {
  if (!cache.changed) return false;
  const file = compileCacheFile(storage);
  const temp = `${file}.${process.pid}-${Date.now()}.tmp`;
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(temp, JSON.stringify(cache.toJson()));
    await rename(temp, file);
    return true;
  } catch {
    await rm(temp, { force: true }).catch(() => undefined);
    return false;
  }
}
