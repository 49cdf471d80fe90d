/**
 * Where things live under a pipeline's storage folder. The one place that maps names to paths:
 *
 * ```
 * <storage>/tables/<schema>/<table>/      Delta tables (streaming tables, materialized views, quarantines)
 * <storage>/checkpoints/<flow>/<reset>/   a flow's offset log, per reset generation of its target
 * <storage>/system/event_log/             the event log (a Delta table)
 * <storage>/system/open_updates/          markers of updates not yet recorded as ended
 * <storage>/lock.json                     the update lock
 * ```
 */
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
