import { type MaintenanceReport, maintainPipelineStorage } from '../engine/index.ts';
import { type BundleSelection, loadSpec } from '../spec/index.ts';
import { inSession, type Session } from './session.ts';

export interface MaintainPipelineOptions {
  /** Where the pipeline is searched from when `dir` is not given (default: the process's cwd). */
  readonly cwd?: string;
  /** For a Databricks Asset Bundle: its target, variables and pipeline key. */
  readonly bundle?: BundleSelection;
  /** Report what would be compacted and deleted; change nothing (takes no lock). */
  readonly dryRun?: boolean;
  /** Only these tables (`name`, `schema.name` outside the default schema, `event_log`). */
  readonly tables?: readonly string[];
  readonly session?: Session;
}

/**
 * Maintains the tables of the pipeline in `dir` (or found from `cwd`) by hand, under the pipeline
 * lock: compacts small files (any partition with two or more), deletes log files past
 * `delta.logRetentionDuration`, vacuums files unreferenced for longer than
 * `delta.deletedFileRetentionDuration` and removes stale temp files. Updates do the same by
 * themselves (see the engine's maintenance policy); this runs it now, e.g. after changing a
 * retention. Failures of single tables are in `report.errors` (TABLE_MAINTENANCE_FAILED).
 * @throws SluiceError PIPELINE_SPEC_NOT_FOUND; PIPELINE_ALREADY_RUNNING while an update runs.
 */
export function maintainPipeline(
  dir: string | undefined,
  options: MaintainPipelineOptions = {},
): Promise<MaintenanceReport> {
  return inSession(options.session, async (session) => {
    const spec = await loadSpec(dir, { cwd: options.cwd ?? process.cwd(), ...options.bundle });
    return maintainPipelineStorage(spec.storage, {
      db: session.db,
      ...(options.dryRun ? { dryRun: true } : {}),
      ...(options.tables ? { tables: options.tables } : {}),
    });
  });
}
