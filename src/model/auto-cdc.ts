import type { SourceLocation } from '../errors/index.ts';

/**
 * A column selection as AUTO CDC clauses write it: `(a, b)` (`include`) or `* EXCEPT (a, b)`
 * (`except`). Names are unqualified column names as written.
 */
export type ColumnSelection =
  | { readonly kind: 'include'; readonly columns: readonly string[] }
  | { readonly kind: 'except'; readonly columns: readonly string[] };

/**
 * The change-data-capture part of an AUTO CDC (formerly APPLY CHANGES) flow: how the change
 * events its query reads are applied to the target. The flow's query selects the source's
 * columns plus the computed columns {@link CDC_SEQUENCE_COLUMN}, {@link CDC_DELETE_COLUMN} and
 * {@link CDC_TRUNCATE_COLUMN} (SEQUENCE BY, APPLY AS DELETE WHEN, APPLY AS TRUNCATE WHEN), so the
 * front ends translate every Spark expression once, with the query.
 *
 * Invariants: `keys` is non-empty; `trackHistory` only with `scdType` 2; `truncateWhen` only with
 * `scdType` 1.
 */
export interface AutoCdc {
  readonly kind: 'auto_cdc';
  /** The source relation as written after FROM (e.g. `STREAM(cdc_events)`). */
  readonly source: string;
  readonly keys: readonly string[];
  /** SEQUENCE BY as written (Spark SQL). */
  readonly sequenceBy: string;
  /** APPLY AS DELETE WHEN as written. */
  readonly deleteWhen?: string;
  /** APPLY AS TRUNCATE WHEN as written. */
  readonly truncateWhen?: string;
  /**
   * IGNORE NULL UPDATES [ON …]: in the selected columns, a NULL value of an update keeps the
   * value the target holds. Plain IGNORE NULL UPDATES selects every column (`* EXCEPT ()`).
   */
  readonly ignoreNullUpdates?: ColumnSelection;
  /** COLUMNS: the source columns written to the target (default: all). */
  readonly columns?: ColumnSelection;
  readonly scdType: 1 | 2;
  /** TRACK HISTORY ON (SCD type 2): changes to other columns update the current version in place. */
  readonly trackHistory?: ColumnSelection;
  readonly location?: SourceLocation;
}

/** Column of an AUTO CDC flow's query holding the event's SEQUENCE BY value. */
export const CDC_SEQUENCE_COLUMN = '__sluice_cdc_sequence';
/** Column of an AUTO CDC flow's query: true when the event is a delete. */
export const CDC_DELETE_COLUMN = '__sluice_cdc_delete';
/** Column of an AUTO CDC flow's query: true when the event truncates the target. */
export const CDC_TRUNCATE_COLUMN = '__sluice_cdc_truncate';

/** The SCD type 2 columns holding a version's validity interval, of the sequence's type. */
export const SCD2_START_COLUMN = '__START_AT';
export const SCD2_END_COLUMN = '__END_AT';

/**
 * The Spark SQL text of an AUTO CDC flow's query: the source relation with the computed event
 * columns appended. `source` is a relation as written after FROM (e.g. `STREAM(cdc_events)`).
 */
export function autoCdcQueryText(
  cdc: Pick<AutoCdc, 'sequenceBy' | 'deleteWhen' | 'truncateWhen'>,
  source: string,
): string {
  return `SELECT *, ${autoCdcComputedColumns(cdc)} FROM ${source}`;
}

/** The select items computing the event columns (see {@link autoCdcQueryText}). */
export function autoCdcComputedColumns(
  cdc: Pick<AutoCdc, 'sequenceBy' | 'deleteWhen' | 'truncateWhen'>,
): string {
  return [
    `(${cdc.sequenceBy}) AS ${CDC_SEQUENCE_COLUMN}`,
    `coalesce((${cdc.deleteWhen ?? 'false'}), false) AS ${CDC_DELETE_COLUMN}`,
    `coalesce((${cdc.truncateWhen ?? 'false'}), false) AS ${CDC_TRUNCATE_COLUMN}`,
  ].join(', ');
}

/**
 * An AUTO CDC FROM SNAPSHOT flow (`createAutoCdcFromSnapshotFlow`, Python's
 * `create_auto_cdc_from_snapshot_flow`): each update compares the source's current snapshot (a
 * full copy of the rows) with the previous one and applies the difference — keys new to the
 * snapshot are inserted, keys whose values changed are updated, keys no longer in it are deleted.
 * The flow's query reads the source in batch (`SELECT * FROM source`).
 *
 * Invariants: `keys` is non-empty; `trackHistory` only with `scdType` 2. Snapshots are numbered
 * 1, 2, … in the order the flow processes them; that number is the SCD 2 `__START_AT` /
 * `__END_AT` (BIGINT).
 */
export interface AutoCdcFromSnapshot {
  readonly kind: 'auto_cdc_snapshot';
  /**
   * The source dataset, read whole each time it changed; with `nextSnapshot`, a description of
   * the function for messages (`<function name>`), naming no dataset.
   */
  readonly source: string;
  /**
   * The source given as a function (Python's `source` lambda): called with the last processed
   * snapshot version, it gives the next snapshot and its version, or nothing when there is none.
   * Its versions number the snapshots (the SCD 2 `__START_AT` / `__END_AT`) instead of 1, 2, ….
   */
  readonly nextSnapshot?: NextSnapshotFunction;
  readonly keys: readonly string[];
  readonly scdType: 1 | 2;
  readonly trackHistory?: ColumnSelection;
  readonly location?: SourceLocation;
}

/**
 * A snapshot version as a snapshot function gives it: an integer that fits a BIGINT, as a JS
 * number (a safe integer) or a bigint. The function is handed back the type it returned.
 */
export type SnapshotVersion = number | bigint;

/**
 * The next snapshot of a snapshot function: `sql`, a batch query in Spark SQL (rendered by the
 * front end that took the function) whose whole result is the snapshot, and its version.
 * Invariant: `version` is an integer within BIGINT's range.
 */
export interface NextSnapshot {
  readonly sql: string;
  readonly version: SnapshotVersion;
}

/**
 * A snapshot source given as a function, as the engine calls it: `latest` is the version of the
 * last snapshot the flow processed (undefined before the first), `configuration` the pipeline's.
 * Resolves to undefined when there is no next snapshot.
 * @throws SluiceError AUTO_CDC_SNAPSHOT_FUNCTION_INVALID (a result of the wrong shape),
 *   AUTO_CDC_SNAPSHOT_FUNCTION_FAILED (the user's function threw).
 */
export type NextSnapshotFunction = (
  latest: SnapshotVersion | undefined,
  configuration: Readonly<Record<string, string>>,
) => Promise<NextSnapshot | undefined>;

/** Databricks' table property: how long an AUTO CDC target's delete tombstones are kept. */
export const TOMBSTONE_RETENTION_PROPERTY = 'pipelines.cdc.tombstoneGCThresholdInSeconds';
/** Databricks' default tombstone retention: 172,800 seconds (2 days). */
export const DEFAULT_TOMBSTONE_RETENTION_SECONDS = 172_800;

/**
 * The tombstone retention of an AUTO CDC target in seconds: its
 * `pipelines.cdc.tombstoneGCThresholdInSeconds` property (a non-negative integer, checked at
 * validate), else Databricks' default.
 */
export function tombstoneRetentionSeconds(target: {
  readonly properties: Readonly<Record<string, string>>;
}): number {
  const lower = TOMBSTONE_RETENTION_PROPERTY.toLowerCase();
  const v = Object.entries(target.properties)
    .find(([k]) => k.toLowerCase() === lower)?.[1]
    ?.trim();
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : DEFAULT_TOMBSTONE_RETENTION_SECONDS;
}
