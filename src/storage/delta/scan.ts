/**
 * Reading a snapshot's rows: SQL text for DuckDB that returns exactly the live rows, with the
 * table schema's column names and DuckDB types, in schema order.
 *
 * Shape of the generated SQL (files with different partition values stay one `read_parquet`):
 *
 *   SELECT CAST(d."a" AS T), p."__sluice_p0" AS "part", …
 *   FROM (SELECT CAST(NULL AS T) AS "a", … WHERE false          -- typed empty row set
 *         UNION ALL BY NAME
 *         SELECT * FROM read_parquet([files], filename='__sluice_file', union_by_name=true, hive_partitioning=false)) d
 *   JOIN (VALUES ('<file>', <typed partition literal>, …), …) p("__sluice_file", "__sluice_p0", …)
 *     ON d."__sluice_file" = p."__sluice_file"
 *
 * The typed empty branch makes a column that no data file has yet (schema evolution) come out
 * NULL instead of failing to bind. `hive_partitioning=false` keeps DuckDB from guessing partition
 * columns from directory names: partition values come from the log only.
 *
 * Assumption: the DuckDB session time zone is UTC (timestamps without time zone stored by old
 * writers, e.g. INT96, are cast to TIMESTAMP WITH TIME ZONE with the session zone).
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { SluiceError } from '../../errors/index.ts';
import { sqlIdent, sqlString } from '../../util/index.ts';
import type { AddAction } from './actions.ts';
import { decodeAddPath, partitionValueSql } from './partitions.ts';
import { deltaTypeToDuckDB, type StructType } from './schema.ts';
import type { Snapshot } from './snapshot.ts';

const FILE_COL = '__sluice_file';

/** A data file to scan: its log path, partition values, and optional per-file literal columns. */
export interface ScanFile {
  /** As in the log (`add.path`): relative and URI-encoded, or an absolute `file:` URI. */
  readonly path: string;
  readonly partitionValues: Readonly<Record<string, string | null>>;
  /** SQL expressions, one per `ScanOptions.fileColumns` entry (e.g. `_commit_version` of the file). */
  readonly extra?: readonly string[];
}

export interface ScanOptions {
  /** Check that every file exists first (DELTA_MISSING_DATA_FILE). Default true. */
  readonly checkFiles?: boolean;
  /** Columns read from the data files in addition to the schema (e.g. `_change_type` of cdc files), appended in order. */
  readonly dataColumns?: readonly { name: string; type: string }[];
  /** Constant-per-file columns appended after `dataColumns`; values come from `ScanFile.extra`. */
  readonly fileColumns?: readonly { name: string; type: string }[];
}

/** The absolute local path of a data file named in the log of `tablePath`. */
export function dataFilePath(tablePath: string, logPath: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(logPath) && !logPath.startsWith('file:')) {
    throw new SluiceError(
      'DELTA_UNSUPPORTED_FEATURE',
      `data file ${logPath} of ${tablePath} is not on the local file system`,
      {
        params: { feature: 'remoteDataFile', table: tablePath, file: logPath },
      },
    );
  }
  const p = decodeAddPath(logPath);
  return isAbsolute(p) ? p : join(tablePath, p);
}

/** SQL for the rows of a snapshot (see module comment). Throws DELTA_MISSING_DATA_FILE. */
export function snapshotScanSql(snapshot: Snapshot, options: ScanOptions = {}): string {
  return filesScanSql(
    snapshot.tablePath,
    snapshot.schema,
    snapshot.partitionColumns,
    snapshot.files,
    options,
  );
}

/**
 * SQL for the rows of some files of a snapshot's table, read with the snapshot's schema (no
 * files: an empty relation with the table's columns). Throws DELTA_MISSING_DATA_FILE.
 */
export function snapshotFilesScanSql(snapshot: Snapshot, files: readonly (AddAction | ScanFile)[]): string {
  return filesScanSql(snapshot.tablePath, snapshot.schema, snapshot.partitionColumns, files);
}

/** SQL for the rows of an explicit set of add actions (e.g. the files one commit added). */
export function filesScanSql(
  tablePath: string,
  schema: StructType,
  partitionColumns: readonly string[],
  adds: readonly (AddAction | ScanFile)[],
  options: ScanOptions = {},
): string {
  const dataColumns = options.dataColumns ?? [];
  const fileColumns = options.fileColumns ?? [];
  const partSet = new Set(partitionColumns);
  const dataFields = schema.fields.filter((f) => !partSet.has(f.name));
  const partFields = schema.fields.filter((f) => partSet.has(f.name));

  const emptyCols = [
    ...dataFields.map((f) => ({ name: f.name, type: deltaTypeToDuckDB(f.type) })),
    ...dataColumns,
  ];
  if (adds.length === 0) {
    const cols = [
      ...schema.fields.map((f) => `CAST(NULL AS ${deltaTypeToDuckDB(f.type)}) AS ${sqlIdent(f.name)}`),
      ...[...dataColumns, ...fileColumns].map((c) => `CAST(NULL AS ${c.type}) AS ${sqlIdent(c.name)}`),
    ];
    return `SELECT ${cols.join(', ')} WHERE false`;
  }

  const files = adds.map((a) => dataFilePath(tablePath, a.path));
  if (options.checkFiles !== false) {
    for (let i = 0; i < files.length; i++) {
      if (!existsSync(files[i] as string)) {
        throw new SluiceError(
          'DELTA_MISSING_DATA_FILE',
          `data file ${adds[i]?.path} of Delta table ${tablePath} is missing (${files[i]})`,
          { params: { table: tablePath, file: files[i], path: adds[i]?.path } },
        );
      }
    }
  }

  const emptyBranch =
    emptyCols.length > 0
      ? `SELECT ${emptyCols.map((c) => `CAST(NULL AS ${c.type}) AS ${sqlIdent(c.name)}`).join(', ')} WHERE false`
      : undefined;
  const needJoin = partFields.length > 0 || fileColumns.length > 0;
  // Each distinct file is read once; a file listed twice (e.g. added then removed, in a change
  // feed) yields its rows once per VALUES entry through the join.
  const distinct = [...new Set(files)];
  const read = `SELECT * FROM read_parquet([${distinct.map(sqlString).join(', ')}]${needJoin ? `, filename=${sqlString(FILE_COL)}` : ''}, union_by_name=true, hive_partitioning=false)`;
  const source = emptyBranch ? `(${emptyBranch} UNION ALL BY NAME ${read})` : `(${read})`;

  const select: string[] = [];
  for (const f of schema.fields) {
    const type = deltaTypeToDuckDB(f.type);
    const pi = partFields.indexOf(f);
    select.push(
      pi >= 0
        ? `p.${sqlIdent(`__sluice_p${pi}`)} AS ${sqlIdent(f.name)}`
        : `CAST(d.${sqlIdent(f.name)} AS ${type}) AS ${sqlIdent(f.name)}`,
    );
  }
  for (const c of dataColumns) select.push(`CAST(d.${sqlIdent(c.name)} AS ${c.type}) AS ${sqlIdent(c.name)}`);
  fileColumns.forEach((c, i) => {
    select.push(`p.${sqlIdent(`__sluice_x${i}`)} AS ${sqlIdent(c.name)}`);
  });

  if (!needJoin) return `SELECT ${select.join(', ')} FROM ${source} AS d`;

  const rows = adds.map((a, i) => {
    const values = [sqlString(files[i] as string)];
    for (const f of partFields) values.push(partitionValueSql(a.partitionValues?.[f.name], f.type));
    const extra = 'extra' in a && Array.isArray(a.extra) ? a.extra : [];
    fileColumns.forEach((c, j) => {
      values.push(`CAST(${extra[j] ?? 'NULL'} AS ${c.type})`);
    });
    return `(${values.join(', ')})`;
  });
  const names = [
    FILE_COL,
    ...partFields.map((_, i) => `__sluice_p${i}`),
    ...fileColumns.map((_, i) => `__sluice_x${i}`),
  ];
  return (
    `SELECT ${select.join(', ')} FROM ${source} AS d ` +
    `JOIN (VALUES ${rows.join(', ')}) AS p(${names.map(sqlIdent).join(', ')}) ` +
    `ON d.${sqlIdent(FILE_COL)} = p.${sqlIdent(FILE_COL)}`
  );
}
