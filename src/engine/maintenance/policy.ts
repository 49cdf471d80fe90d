/**
 * When sluice maintains a pipeline's tables by itself, and how hard. Databricks runs these
 * operations for managed pipelines; sluice runs them at the end of every update and, in
 * continuous mode, between rounds. The Delta side (what each operation may delete, per table
 * property) lives in storage; this is the engine's schedule.
 *
 * Pipeline configuration (spec `configuration`):
 * - `sluice.maintenance.enabled` = false turns automatic maintenance off (`sluice maintain` still works);
 * - `sluice.maintenance.interval` (default 30 s): continuous mode compacts at most this often;
 * - `sluice.maintenance.cleanupInterval` (default 10 min): continuous mode cleans up expired logs,
 *   vacuums and sweeps stale temp files at most this often (each lists the table's folder);
 * - `spark.databricks.delta.autoCompact.minNumFiles` (Delta's name; default 50): small files a
 *   partition needs before automatic compaction rewrites them.
 * Table property `pipelines.autoOptimize.managed` = false (Databricks' name) leaves a table out of
 * automatic compaction; its log clean-up and vacuum still follow its Delta properties.
 */
import { parseIntervalMs, tableProperty } from '../../storage/index.ts';

/**
 * Automatic compaction starts on a partition holding this many small files: Delta's auto
 * compaction default (`autoCompact.minNumFiles` = 50). A streaming table gets one file per
 * micro-batch, so this bounds its live files to about 50 per partition plus what arrives between
 * two passes, while each rewrite merges enough files to be worth its cost.
 */
export const AUTO_COMPACT_MIN_FILES = 50;

/** `sluice maintain` compacts any partition with two or more small files, as OPTIMIZE does. */
export const MANUAL_COMPACT_MIN_FILES = 2;

/**
 * One automatic pass starts no new step after this long (a step under way finishes; compaction
 * stops adding bins): the end of an update, or a pause between rounds, stays short. What is left
 * is done by the next pass (most fragmented tables go first).
 */
export const AUTO_BUDGET_MS = 5_000;

/** Continuous mode: a compaction pass at most this often (`sluice.maintenance.interval`). */
export const DEFAULT_COMPACTION_INTERVAL_MS = 30_000;

/** Continuous mode: log clean-up, vacuum and temp sweep at most this often (`sluice.maintenance.cleanupInterval`). */
export const DEFAULT_CLEANUP_INTERVAL_MS = 10 * 60_000;

/** The automatic schedule a pipeline's configuration asks for. */
export interface AutoSchedule {
  readonly enabled: boolean;
  /** Small files per partition that start an automatic compaction. */
  readonly minFiles: number;
  readonly compactionIntervalMs: number;
  readonly cleanupIntervalMs: number;
}

export function autoSchedule(configuration: Readonly<Record<string, string>>): AutoSchedule {
  const interval = (key: string, dflt: number) => {
    const v = configuration[key];
    return (v !== undefined ? parseIntervalMs(v) : undefined) ?? dflt;
  };
  const minFiles = Number(configuration['spark.databricks.delta.autoCompact.minNumFiles']);
  return {
    enabled: (configuration['sluice.maintenance.enabled'] ?? 'true').trim().toLowerCase() !== 'false',
    minFiles: Number.isInteger(minFiles) && minFiles >= 2 ? minFiles : AUTO_COMPACT_MIN_FILES,
    compactionIntervalMs: interval('sluice.maintenance.interval', DEFAULT_COMPACTION_INTERVAL_MS),
    cleanupIntervalMs: interval('sluice.maintenance.cleanupInterval', DEFAULT_CLEANUP_INTERVAL_MS),
  };
}

/** False when the table opts out of automatic compaction (`pipelines.autoOptimize.managed` = false). */
export function autoCompactionAllowed(metadata: {
  readonly configuration: Readonly<Record<string, string>>;
}): boolean {
  return (
    (tableProperty(metadata, 'pipelines.autoOptimize.managed') ?? 'true').trim().toLowerCase() !== 'false'
  );
}
