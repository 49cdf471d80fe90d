/**
 * The dashboard's caches on disk: JSON files under `<storage>/system/ui/`, beside the event log.
 * They only make `sluice ui` start faster; a missing, unreadable or half-written file is a miss
 * (readers check the shape of what they get), and a write that fails is ignored.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** A cache file of the pipeline whose storage folder is `storage`. */
export function uiCacheFile(storage: string, name: 'graph' | 'event-log-index' | 'status'): string {
  return join(storage, 'system', 'ui', `${name}.json`);
}

/** The JSON value in `file`, or undefined when there is none or it does not parse. */
export async function readCacheFile(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Writes `value` to `file` as JSON, aside first and then renamed, so a reader never sees half of
 * it. True when written; false (never an exception) when the folder cannot be written.
 */
export async function writeCacheFile(file: string, value: unknown): Promise<boolean> {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(temp, JSON.stringify(value));
    await rename(temp, file);
    return true;
  } catch {
    return false;
  }
}
