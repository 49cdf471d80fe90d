/**
 * Where things live under a pipeline's storage folder. The one place that maps names to paths:
 *
 * ```
 * <storage>/tables/<schema>/<table>/      Delta tables (streaming tables, materialized views, quarantines)
 * <storage>/checkpoints/<flow>/<reset>/   a flow's offset log, per reset generation of its target
 * <storage>/checkpoints/<flow>/<reset>/cdc_state/   an AUTO CDC flow's state (a Delta table)
 * <storage>/system/event_log/             the event log (a Delta table)
 * <storage>/system/open_updates/          markers of updates not yet recorded as ended
 * <storage>/system/ui/                    caches of `sluice ui` (the server names its files there)
 * <storage>/lock.json                     the update lock
 * ```
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** The schema a dataset lives in when none is given. */
export const DEFAULT_SCHEMA = 'default';

/** The folder of a table's Delta log and data files. */
export function tableFolder(
  storage: string,
  table: { readonly name: string; readonly schema?: string },
): string {
  return join(storage, 'tables', table.schema ?? DEFAULT_SCHEMA, table.name);
}

/** The folder holding a flow's offset log for one reset generation of its target. */
export function checkpointFolder(storage: string, flow: string, generation: number): string {
  return join(storage, 'checkpoints', flow, String(generation));
}

/** The Delta table of an AUTO CDC flow's per-key state, beside its offset log. */
export function cdcStateFolder(storage: string, flow: string, generation: number): string {
  return join(checkpointFolder(storage, flow, generation), 'cdc_state');
}

/** The pipeline's event log table. */
export function eventLogFolder(storage: string): string {
  return join(storage, 'system', 'event_log');
}

/** Markers of updates that have not recorded their end yet. */
export function openUpdatesFolder(storage: string): string {
  return join(storage, 'system', 'open_updates');
}

/** The pipeline's update lock file. */
export function lockFile(storage: string): string {
  return join(storage, 'lock.json');
}

/** A Delta table found under a pipeline's storage folder. */
export interface StoredTable {
  /** `table` in the default schema, else `schema.table`; `event_log` for the event log. */
  readonly name: string;
  readonly path: string;
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

async function subfolders(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/**
 * Every Delta table of a pipeline on disk — its tables (datasets, quarantine tables, tables of
 * datasets since dropped) and its event log — in name order, the event log last.
 */
export async function storedTables(storage: string): Promise<StoredTable[]> {
  const out: StoredTable[] = [];
  const tables = join(storage, 'tables');
  for (const schema of await subfolders(tables)) {
    for (const name of await subfolders(join(tables, schema))) {
      const path = join(tables, schema, name);
      if (!(await isDir(join(path, '_delta_log')))) continue;
      out.push({ name: schema === DEFAULT_SCHEMA ? name : `${schema}.${name}`, path });
    }
  }
  if (await isDir(join(eventLogFolder(storage), '_delta_log')))
    out.push({ name: 'event_log', path: eventLogFolder(storage) });
  return out;
}

/**
 * The AUTO CDC state tables under a pipeline's checkpoints (named `<flow>/cdc_state`): not
 * datasets, but Delta tables that table maintenance compacts and vacuums like the others.
 */
export async function cdcStateTables(storage: string): Promise<StoredTable[]> {
  const out: StoredTable[] = [];
  const root = join(storage, 'checkpoints');
  for (const flow of await subfolders(root)) {
    for (const generation of await subfolders(join(root, flow))) {
      const path = join(root, flow, generation, 'cdc_state');
      if (await isDir(join(path, '_delta_log'))) out.push({ name: `${flow}/cdc_state`, path });
    }
  }
  return out;
}
