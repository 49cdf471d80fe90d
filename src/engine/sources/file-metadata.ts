import { basename } from 'node:path';
import { sqlString } from '../../util/index.ts';
import type { PlannedFile } from '../checkpoints/offsets.ts';
import { SOURCE_FILE_COLUMN } from './file-schema.ts';

/**
 * The hidden `_metadata` column of file sources, as Spark and Databricks define it: a struct of
 * the file each row was read from. sluice reads a file whole, so a row's block is its file
 * (`file_block_start` 0, `file_block_length` its size). Size and modification time are those the
 * file had when its batch was planned (recorded in the offset), so a replay gives the same values.
 */

/** The type of `_metadata` (Spark: STRING, STRING, BIGINT, BIGINT, BIGINT, TIMESTAMP). */
export const METADATA_TYPE =
  'STRUCT(file_path VARCHAR, file_name VARCHAR, file_size BIGINT, file_block_start BIGINT, file_block_length BIGINT, file_modification_time TIMESTAMPTZ)';

/** Characters a URI path cannot hold as they are (Java's `URI` quotes them the same way). */
const URI_UNSAFE = /[\u0000-\u0020"#%<>?[\\\]^`{|}\u007f]/gu;

/** A local file's path as Spark names it: the `file:` URI of its absolute path (`file:/data/a%20b.json`). */
export function fileUri(path: string): string {
  const slashed = path.replaceAll('\\', '/');
  const encoded = slashed.replace(URI_UNSAFE, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
  return `file:${encoded.startsWith('/') ? '' : '/'}${encoded}`;
}

/**
 * `fileSql` (a `fileBatchSql` query, with `_source_file`) with `_metadata` added and `_source_file`
 * removed: each row joined to the planned file it came from.
 */
export function withFileMetadata(fileSql: string, files: readonly PlannedFile[]): string {
  if (files.length === 0)
    return `SELECT * EXCLUDE (${SOURCE_FILE_COLUMN}), NULL::${METADATA_TYPE} AS _metadata FROM (${fileSql})`;
  const rows = files.map((f) => {
    const size = Math.trunc(f.size);
    return `(${sqlString(f.path)}, ${sqlString(fileUri(f.path))}, ${sqlString(basename(f.path))}, ${size}, ${Math.floor(f.mtimeMs)})`;
  });
  const meta =
    `struct_pack(file_path := __m.uri, file_name := __m.name, file_size := __m.size::BIGINT, ` +
    `file_block_start := 0::BIGINT, file_block_length := __m.size::BIGINT, ` +
    `file_modification_time := to_timestamp(0) + to_milliseconds(__m.mtime::BIGINT))`;
  return (
    `SELECT __b.* EXCLUDE (${SOURCE_FILE_COLUMN}), ${meta} AS _metadata FROM (${fileSql}) AS __b ` +
    `LEFT JOIN (VALUES ${rows.join(', ')}) AS __m(path, uri, name, size, mtime) ON __m.path = __b.${SOURCE_FILE_COLUMN}`
  );
}
