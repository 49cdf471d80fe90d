/**
 * The replay of change events per key in sequence order, shared by SCD type 1 and 2 (all DuckDB
 * SQL): IGNORE NULL UPDATES carries values forward, and a delete starts a new segment across which
 * nothing is carried.
 */
import {
  type AutoCdc,
  CDC_DELETE_COLUMN,
  CDC_SEQUENCE_COLUMN,
  type ColumnSelection,
} from '../../model/index.ts';
import { sqlIdent } from '../../util/index.ts';

/** Temp table of one batch's fresh events (per flow connection): not stale, no re-deliveries, no truncates. */
export const FRESH = '__sluice_cdc_fresh';

/** The columns of a selection (`undefined`: all), in the order of `columns`. */
export function selected(sel: ColumnSelection | undefined, columns: readonly string[]): string[] {
  if (sel === undefined) return [...columns];
  const named = (c: string) => sel.columns.some((n) => n.toLowerCase() === c.toLowerCase());
  return columns.filter((c) => (sel.kind === 'include' ? named(c) : !named(c)));
}

/** What the target is made of: its source columns (keys among them) and their DuckDB types. */
export interface TargetShape {
  readonly columns: readonly string[];
  readonly keyNames: readonly string[];
  readonly typeOf: ReadonlyMap<string, string>;
  readonly seqType: string;
  /**
   * SQL of the state table's rows before this batch, one per key (and the truncate row), for
   * the keys this batch has events for only.
   */
  readonly state: string;
}

/** The target's columns that are not keys. */
export function valueColumns(s: Pick<TargetShape, 'columns' | 'keyNames'>): string[] {
  return s.columns.filter((c) => !s.keyNames.includes(c));
}

/**
 * The events of `events` (keys, value columns, sequence and delete columns) of each key replayed
 * in sequence order, preceded by the rows of `current` (`__from_target` true: the row the target
 * holds for the key, or nothing when `current` is undefined): values after IGNORE NULL UPDATES is
 * applied (a delete starts a new segment: no value is carried across it). Columns: keys, value
 * columns, sequence, delete flag and `__from_target`. A delete's values are NULL.
 */
export function replaySql(cdc: AutoCdc, s: TargetShape, events: string, current?: string): string {
  const id = sqlIdent;
  const seq = id(CDC_SEQUENCE_COLUMN);
  const del = id(CDC_DELETE_COLUMN);
  const keys = s.keyNames.map(id).join(', ');
  const values = valueColumns(s);
  const ignored = new Set(selected(cdc.ignoreNullUpdates, values));
  const ev = `SELECT ${keys}, ${values.map((c) => `CASE WHEN ${del} THEN NULL ELSE ${id(c)} END AS ${id(c)}`).join(', ')}${values.length ? ', ' : ''}${seq}, ${del}, false AS __from_target FROM ${events}${current === undefined ? '' : ` UNION ALL BY NAME ${current}`}`;
  // Without IGNORE NULL UPDATES nothing is carried forward: no segments to count.
  if (!cdc.ignoreNullUpdates) return ev;
  const w = `PARTITION BY ${keys} ORDER BY ${seq} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW`;
  const segmented = `SELECT *, sum(CASE WHEN ${del} THEN 1 ELSE 0 END) OVER (${w}) AS __seg FROM (${ev})`;
  const filled = values.map((c) =>
    cdc.ignoreNullUpdates && ignored.has(c)
      ? `last_value(${id(c)} IGNORE NULLS) OVER (PARTITION BY ${keys}, __seg ORDER BY ${seq} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS ${id(c)}`
      : id(c),
  );
  return `SELECT ${keys}, ${filled.join(', ')}${filled.length ? ', ' : ''}${seq}, ${del}, __from_target FROM (${segmented})`;
}

/**
 * Properties an AUTO CDC target gets when sluice creates it and the dataset does not set them:
 * deletion vectors on, so a batch that changes rows marks them in a vector file and writes only
 * the new rows instead of rewriting every file that holds a changed key (with keys spread over all
 * files, an increment of 1 % rewrote the whole table). Databricks recommends them for tables
 * changed row by row; `'delta.enableDeletionVectors' = 'false'` keeps copy-on-write.
 */
export const CDC_TARGET_DEFAULTS: Readonly<Record<string, string>> = {
  'delta.enableDeletionVectors': 'true',
};
