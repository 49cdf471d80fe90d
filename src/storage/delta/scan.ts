/**
 * Reading a snapshot's rows: SQL text for DuckDB that returns exactly the live rows, with the
 * table schema's column names and DuckDB types, in schema order.
 *
 * Shape of the generated SQL (files with different partition values stay one `read_parquet`):
 *
 *   SELECT CAST(d."a" AS T), p."__sluice_p0" AS "part", …
 *   FROM (SELECT CAST(NULL AS T) AS "a", … WHERE false          -- typed empty row set
 *         UNION ALL BY NAME
 *         SELECT * FROM read_parquet([files], filename='__sluice_file', union_by_name=true,
 *                                    hive_partitioning=false)) d
 *   JOIN (VALUES ('<file>', <typed partition literal>, …), …) p("__sluice_file", "__sluice_p0", …)
 *     ON d."__sluice_file" = p."__sluice_file"
 *
 * and when some files have a deletion vector, they are read along (up to 32 with a vector per
 * read_parquet), each row tested against its file's vector:
 *
 *   … FROM (… (SELECT *, file_index + 0 AS "__sluice_entry" FROM read_parquet([files], …)
 *               WHERE CASE file_index WHEN 2 THEN <file_row_number not in file 2's vector> …
 *                     ELSE true END) …) d
 *   JOIN (VALUES (0, …), (1, …), …) p("__sluice_entry", …) ON d."__sluice_entry" = p."__sluice_entry"
 *
 * The typed empty branch makes a column that no data file has yet (schema evolution) come out
 * NULL instead of failing to bind. `hive_partitioning=false` keeps DuckDB from guessing partition
 * columns from directory names: partition values come from the log only. A vector is a BIT
 * constant spanning its lowest to highest row (deletion-vectors.ts): one bit test per row, in
 * DuckDB (a vector joined as a column would be copied into every row). DuckDB scans the row
 * groups of a read_parquet in parallel. Columns are read under their physical names (column mapping `name`) or field
 * ids (`id`), and projected to their logical names and types by read-columns.ts.
 *
 * Assumption: the DuckDB session time zone is UTC (timestamps without time zone stored by old
 * writers, e.g. INT96, are cast to TIMESTAMP WITH TIME ZONE with the session zone).
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { SluiceError } from '../../errors/index.ts';
import { sqlIdent, sqlString } from '../../util/index.ts';
import type { AddAction } from './actions.ts';
import { columnMappingMode } from './column-mapping.ts';
import {
  deletionVectorOf,
  inBitmapSql,
  loadDeletionVector,
  ROW_INDEX_COLUMN,
  rowSetBitmap,
} from './deletion-vectors.ts';
import { decodeAddPath, partitionValueSql } from './partitions.ts';
import { plainReadSchema, type ReadColumn, type ReadSchema, readSchemaOf } from './read-columns.ts';
import type { RowIndexSet } from './roaring-bitmap.ts';
import { deltaTypeToDuckDB, type StructType } from './schema.ts';
import type { Snapshot } from './snapshot.ts';
import { numRecordsOf } from './stats.ts';

const FILE_COL = '__sluice_file';
/** A row's position in its file (`file_row_number`), when the scan is asked for it (`rowIndexColumn`). */
const ROW_COL = '__sluice_row';
/** A row's entry in the list of files scanned (`file_index`), with deletion vectors. */
const ENTRY_COL = '__sluice_entry';
/** DuckDB's virtual columns of read_parquet that scans with deletion vectors use. */
const VIRTUAL_COLUMNS: ReadonlySet<string> = new Set([ROW_INDEX_COLUMN, 'file_index']);

/** A data file to scan: its log path, partition values, and optional per-file literal columns. */
export interface ScanFile {
  /** As in the log (`add.path`): relative and URI-encoded, or an absolute `file:` URI. */
  readonly path: string;
  readonly partitionValues: Readonly<Record<string, string | null>>;
  /** SQL expressions, one per `ScanOptions.fileColumns` entry (e.g. `_commit_version` of the file). */
  readonly extra?: readonly string[];
  /** Rows left out: those whose position this vector holds (the file's `deletionVector`). */
  readonly deletionVector?: unknown;
  /** Only the rows at these positions (a change feed's rows a new deletion vector deleted). */
  readonly onlyRows?: RowIndexSet;
}

export interface ScanOptions {
  /** Check that every file exists first (DELTA_MISSING_DATA_FILE). Default true. */
  readonly checkFiles?: boolean;
  /** Columns read from the data files in addition to the schema (e.g. `_change_type` of cdc files), appended in order. */
  readonly dataColumns?: readonly { name: string; type: string }[];
  /** Constant-per-file columns appended after `dataColumns`; values come from `ScanFile.extra`. */
  readonly fileColumns?: readonly { name: string; type: string }[];
  /** How the files name and type the columns (default: by the schema's names and types). */
  readonly readSchema?: ReadSchema;
  /** Name of a BIGINT column to append: each row's 0-based position in its data file. */
  readonly rowIndexColumn?: string;
}

/** The read schema of a snapshot's table: its column mapping and special types. */
export function snapshotReadSchema(snapshot: Pick<Snapshot, 'protocol' | 'metadata'>): ReadSchema {
  return readSchemaOf(
    snapshot.metadata.schemaString,
    columnMappingMode(snapshot.protocol, snapshot.metadata),
  );
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
  return filesScanSql(snapshot.tablePath, snapshot.schema, snapshot.partitionColumns, snapshot.files, {
    readSchema: snapshotReadSchema(snapshot),
    ...options,
  });
}

/**
 * SQL for the rows of some files of a snapshot's table, read with the snapshot's schema (no
 * files: an empty relation with the table's columns). Throws DELTA_MISSING_DATA_FILE.
 */
export function snapshotFilesScanSql(snapshot: Snapshot, files: readonly (AddAction | ScanFile)[]): string {
  return filesScanSql(snapshot.tablePath, snapshot.schema, snapshot.partitionColumns, files, {
    readSchema: snapshotReadSchema(snapshot),
  });
}

/**
 * Which rows of a file to keep: all (undefined), all but those of `set` (`drop`), or only those
 * of `set` (`keep`).
 */
type RowSelection = { readonly mode: 'drop' | 'keep'; readonly set: RowIndexSet };

function rowSelection(tablePath: string, file: AddAction | ScanFile): RowSelection | undefined {
  const descriptor = deletionVectorOf(file);
  const dv =
    descriptor && Number(descriptor.cardinality) !== 0
      ? loadDeletionVector(tablePath, descriptor, file.path)
      : undefined;
  const only = 'onlyRows' in file ? file.onlyRows : undefined;
  if (only) return { mode: 'keep', set: dv ? only.minus(dv) : only };
  return dv ? { mode: 'drop', set: dv } : undefined;
}

/** `schema = MAP {id: {name, type, default_value}}` of read_parquet: the `id`-mode columns by field id. */
function fieldIdSchemaSql(columns: readonly ReadColumn[]): string {
  const entries = columns
    .filter((c) => c.fieldId !== undefined && c.fileType !== undefined)
    .map(
      (c) =>
        `${c.fieldId}: {name: ${sqlString(c.physical)}, type: ${sqlString(c.fileType as string)}, default_value: NULL}`,
    );
  return `MAP {${entries.join(', ')}}`;
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
  const read = options.readSchema ?? plainReadSchema(schema);
  const partSet = new Set(partitionColumns);
  const dataFields = read.columns.filter((c) => !partSet.has(c.name));
  const partFields = read.columns.filter((c) => partSet.has(c.name));

  if (adds.length === 0) {
    const cols = [
      ...read.columns.map((c) => `CAST(NULL AS ${deltaTypeToDuckDB(c.type)}) AS ${sqlIdent(c.name)}`),
      ...[...dataColumns, ...fileColumns].map((c) => `CAST(NULL AS ${c.type}) AS ${sqlIdent(c.name)}`),
      ...(options.rowIndexColumn !== undefined
        ? [`CAST(NULL AS BIGINT) AS ${sqlIdent(options.rowIndexColumn)}`]
        : []),
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

  const emptyCols = [
    ...dataFields.flatMap((c) => (c.fileType === undefined ? [] : [{ name: c.physical, type: c.fileType }])),
    ...dataColumns,
  ];
  const emptyBranch =
    emptyCols.length > 0
      ? `SELECT ${emptyCols.map((c) => `CAST(NULL AS ${c.type}) AS ${sqlIdent(c.name)}`).join(', ')} WHERE false`
      : undefined;
  const needJoin = partFields.length > 0 || fileColumns.length > 0;
  // By field id, every file comes out with the same columns (union_by_name cannot be combined).
  // Columns without an id (`_change_type` of change data files) cannot be read along: those
  // files are read by physical name, which Spark writes next to the ids.
  const byId =
    read.mode === 'id' && dataColumns.length === 0 ? `, schema=${fieldIdSchemaSql(dataFields)}` : '';
  const readOptions = `hive_partitioning=false${byId}`;

  const selections = adds.map((a) => rowSelection(tablePath, a));
  const filtered = selections.some((x) => x !== undefined) || options.rowIndexColumn !== undefined;
  // DuckDB's virtual columns, selected by name (the file_row_number option cannot be combined
  // with a field id schema): a data column of the same name would hide them.
  const hiding = read.columns.find((c) => VIRTUAL_COLUMNS.has(c.physical.toLowerCase()));
  if (filtered && hiding) {
    throw new SluiceError(
      'DELTA_UNSUPPORTED_FEATURE',
      `Delta table at ${tablePath} has a column named ${hiding.physical} and deletion vectors; sluice cannot tell the column from a row's position in its file — rename the column or purge the vectors (REORG TABLE … APPLY (PURGE))`,
      { params: { feature: 'deletionVectors', table: tablePath, column: hiding.physical } },
    );
  }
  const reads: FileRead = {
    files,
    adds,
    byId,
    readOptions,
    needJoin,
    rowIndex: options.rowIndexColumn !== undefined,
  };
  const plan = filtered ? vectorReadPlan(reads, selections) : undefined;
  const readSql = plan?.sql ?? plainReadSql(reads);
  const source = `(${emptyBranch ? `${emptyBranch} UNION ALL BY NAME ${readSql}` : readSql})`;
  const key = plan ? ENTRY_COL : FILE_COL;
  const select: string[] = [];
  for (const c of read.columns) {
    const pi = partFields.indexOf(c);
    select.push(
      pi >= 0
        ? `p.${sqlIdent(`__sluice_p${pi}`)} AS ${sqlIdent(c.name)}`
        : `${c.fileType === undefined ? c.project('NULL') : c.project(`d.${sqlIdent(c.physical)}`)} AS ${sqlIdent(c.name)}`,
    );
  }
  for (const c of dataColumns) select.push(`CAST(d.${sqlIdent(c.name)} AS ${c.type}) AS ${sqlIdent(c.name)}`);
  fileColumns.forEach((c, i) => {
    select.push(`p.${sqlIdent(`__sluice_x${i}`)} AS ${sqlIdent(c.name)}`);
  });
  if (options.rowIndexColumn !== undefined)
    select.push(`CAST(d.${sqlIdent(ROW_COL)} AS BIGINT) AS ${sqlIdent(options.rowIndexColumn)}`);

  if (!needJoin) return `SELECT ${select.join(', ')} FROM ${source} AS d`;

  const rows = perFileValues(
    adds,
    (i) => (plan ? `${plan.entryOf[i]}::UBIGINT` : sqlString(files[i] as string)),
    partFields,
    fileColumns,
  );
  const names = [
    key,
    ...partFields.map((_, i) => `__sluice_p${i}`),
    ...fileColumns.map((_, i) => `__sluice_x${i}`),
  ];
  return (
    `SELECT ${select.join(', ')} FROM ${source} AS d ` +
    `JOIN (VALUES ${rows.join(', ')}) AS p(${names.map(sqlIdent).join(', ')}) ` +
    `ON d.${sqlIdent(key)} = p.${sqlIdent(key)}`
  );
}

/** How a scan's files are read: their local paths, their actions, and read_parquet's options. */
interface FileRead {
  readonly files: readonly string[];
  readonly adds: readonly (AddAction | ScanFile)[];
  /** `, schema=…` (field ids) or empty. */
  readonly byId: string;
  readonly readOptions: string;
  /** Whether rows are joined to per-file values (partition values, file columns). */
  readonly needJoin: boolean;
  /** Whether each row carries its position in its file (as `__sluice_row`). */
  readonly rowIndex: boolean;
}

/**
 * Files without deletion vectors: one read_parquet (DuckDB scans its files in parallel). Each
 * distinct file is read once; a file listed twice (e.g. added then removed, in a change feed)
 * yields its rows once per VALUES entry through the join on its name.
 */
function plainReadSql(r: FileRead): string {
  const listed = [...new Set(r.files)];
  return `SELECT * FROM read_parquet([${listed.map(sqlString).join(', ')}]${r.needJoin ? `, filename=${sqlString(FILE_COL)}` : ''}${r.byId ? '' : ', union_by_name=true'}, ${r.readOptions})`;
}

/**
 * At most this many files with a row selection share one read_parquet, whose CASE on `file_index`
 * picks each row's vector: DuckDB tests the WHENs in turn, so each row costs a few comparisons per
 * file before its own — cheap for a few dozen, not for thousands.
 */
const SELECTIONS_PER_READ = 32;

/**
 * Files some of which have a row selection (a deletion vector, or the rows a change feed keeps),
 * read by as few read_parquet as {@link SELECTIONS_PER_READ} allows — the first with every file
 * without a selection — each filtered by a CASE on `file_index` that tests a row's
 * `file_row_number` against its file's vector (a BIT constant) and keeps the rows of files
 * without one. One read_parquet over all the files costs the same as without vectors plus the
 * bit tests; a read_parquet per file cost ≈ 12 % more on ten files of 1M rows, before any test.
 * A row's entry number is its read's first entry plus its `file_index` (`entryOf`, per add):
 * what the VALUES of per-file columns are keyed by. Every entry is read as its own file (DuckDB
 * reads a path listed twice twice, each with its own `file_index` and so its own selection).
 */
function vectorReadPlan(
  r: FileRead,
  selections: readonly (RowSelection | undefined)[],
): { readonly sql: string; readonly entryOf: readonly number[] } {
  const plainIdx = selections.flatMap((s, i) => (s ? [] : [i]));
  const vectorIdx = selections.flatMap((s, i) => (s ? [i] : []));
  const reads: number[][] = [];
  for (let j = 0; j < vectorIdx.length || reads.length === 0; j += SELECTIONS_PER_READ) {
    reads.push([...(j === 0 ? plainIdx : []), ...vectorIdx.slice(j, j + SELECTIONS_PER_READ)]);
  }
  const entryOf: number[] = new Array(r.adds.length);
  const row = r.rowIndex ? `, ${ROW_INDEX_COLUMN} AS ${sqlIdent(ROW_COL)}` : '';
  let first = 0;
  const branches = reads.map((files) => {
    const whens: string[] = [];
    files.forEach((i, k) => {
      entryOf[i] = first + k;
      const sel = selections[i];
      if (sel) whens.push(`WHEN ${k} THEN ${selectionSql(r.adds[i] as AddAction | ScanFile, sel)}`);
    });
    const from = `read_parquet([${files.map((i) => sqlString(r.files[i] as string)).join(', ')}]${r.byId || files.length === 1 ? '' : ', union_by_name=true'}, ${r.readOptions})`;
    const only = files.length === 1 ? selections[files[0] as number] : undefined;
    // A read of one file tests its vector alone: DuckDB then tests it inside the Parquet scan.
    const where = only
      ? ` WHERE ${selectionSql(r.adds[files[0] as number] as AddAction | ScanFile, only)}`
      : whens.length > 0
        ? ` WHERE CASE file_index ${whens.join(' ')} ELSE true END`
        : '';
    const entry = first === 0 ? 'file_index' : `file_index + ${first}::UBIGINT`;
    const sql = `SELECT *, ${entry} AS ${sqlIdent(ENTRY_COL)}${row} FROM ${from}${where}`;
    first += files.length;
    return sql;
  });
  return { sql: branches.map((b) => `(${b})`).join(' UNION ALL BY NAME '), entryOf };
}

/** TRUE for the rows of a file that its selection keeps (a test of `file_row_number`). */
function selectionSql(add: AddAction | ScanFile, sel: RowSelection): string {
  // A dense vector spans its whole file: with the file's row count, no clamping per row.
  const rows = numRecordsOf(add as { stats?: string | null });
  const b = rowSetBitmap(sel.set, sel.set.cardinality * 16 >= rows && rows > 0 ? rows : undefined);
  const keep = sel.mode === 'keep';
  if (!b) return keep ? 'false' : 'true';
  return inBitmapSql(ROW_INDEX_COLUMN, b, !keep);
}

/** One VALUES row per scanned entry: its join key, its typed partition values, its per-file columns. */
function perFileValues(
  adds: readonly (AddAction | ScanFile)[],
  keyOf: (i: number) => string,
  partFields: readonly ReadColumn[],
  fileColumns: readonly { name: string; type: string }[],
): string[] {
  return adds.map((a, i) => {
    const values = [keyOf(i)];
    for (const c of partFields) {
      const pv = a.partitionValues ?? {};
      // Mapped tables key partition values by physical name in the log (logical in a snapshot).
      const v = c.physical in pv ? pv[c.physical] : pv[c.name];
      values.push(partitionValueSql(v, c.type));
    }
    const extra = 'extra' in a && Array.isArray(a.extra) ? a.extra : [];
    fileColumns.forEach((c, j) => {
      values.push(`CAST(${extra[j] ?? 'NULL'} AS ${c.type})`);
    });
    return `(${values.join(', ')})`;
  });
}
