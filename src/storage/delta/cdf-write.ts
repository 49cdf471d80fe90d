/**
 * Change Data Feed files. A commit that removes rows of a CDF-enabled table also writes
 * `_change_data/` Parquet files holding the changed rows plus `_change_type`, and `cdc` actions
 * naming them. When a commit has cdc actions, CDF readers take that commit's changes from the cdc
 * files only, so such a commit records its inserted rows there too.
 */
import type { DuckDBConnection } from '../../util/index.ts';
import type { CdcAction, MetadataAction } from './actions.ts';
import { type WriteLayout, writeParquetFiles } from './data-files.ts';

/** Directory (under the table root) of change data files. */
export const CHANGE_DATA_DIR = '_change_data';

/** The CDF change types sluice writes. */
export type ChangeType = 'insert' | 'delete' | 'update_preimage' | 'update_postimage';

/** True when the table's configuration enables the change data feed. */
export function cdfEnabled(metadata: Pick<MetadataAction, 'configuration'>): boolean {
  return String(metadata.configuration['delta.enableChangeDataFeed'] ?? '').toLowerCase() === 'true';
}

/**
 * Writes change rows as `_change_data/<partition dirs>/cdc-….zstd.parquet` files.
 * `changesSql` must select the table's columns plus a `_change_type` VARCHAR column.
 * Returns the cdc actions (dataChange = false, as the protocol requires).
 */
export async function writeChangeDataFiles(
  conn: DuckDBConnection,
  tablePath: string,
  changesSql: string,
  layout: WriteLayout,
): Promise<CdcAction[]> {
  const files = await writeParquetFiles(conn, tablePath, changesSql, {
    ...layout,
    dir: CHANGE_DATA_DIR,
    filePrefix: 'cdc',
    extraColumns: ['_change_type'],
  });
  return files.map((f) => ({
    path: f.path,
    partitionValues: f.partitionValues,
    size: f.size,
    dataChange: false,
  }));
}

/** SQL of `rowsSql` tagged with a change type. */
export function withChangeType(rowsSql: string, type: ChangeType): string {
  return `SELECT *, '${type}' AS _change_type FROM (${rowsSql.trim().replace(/;+\s*$/, '')}) AS __c`;
}
