/**
 * The file source of the engine: `STREAM read_files(path, format => 'json' | 'csv' | 'parquet', …)`.
 *
 * A micro-batch uses it in four steps, all plain data in between so the engine can log them:
 *   1. `discoverFiles(path, {root})` lists the files, in arrival order;
 *   2. `planFileBatch(discovered, processed, limits)` picks the next batch (written ahead to the
 *      offset log; a replay reads exactly the logged files);
 *   3. `inferFileSchema` (first batch) / `evolveFileSchema` (later batches) give the schema, which the
 *      engine persists in the flow checkpoint;
 *   4. `fileBatchSql(files, format, schema, options)` is one DuckDB SELECT returning the batch's rows —
 *      it streams inside DuckDB (nothing is materialized in JavaScript).
 * Every row has exactly the schema's columns (with their types), then `_rescued_data VARCHAR` and
 * `_source_file VARCHAR`. A value that does not fit its column is NULL there and kept in
 * `_rescued_data` as a JSON object `{"column": original value, …}` — together with any field the
 * schema does not have; a line that cannot be parsed at all has NULL columns and its raw text in
 * `_rescued_data`.
 */

import { stat } from 'node:fs/promises';
import { isSluiceError } from '../../errors/index.ts';
import type { FileFormat } from '../../model/index.ts';
import {
  type Database,
  type DuckDBConnection,
  queryRows,
  sqlIdent,
  sqlString,
  withConnection,
  withDatabase,
} from '../../util/index.ts';
import type { DiscoveredFile } from './file-discovery.ts';
import {
  checkFileFormat,
  type FileSourceOptions,
  type RawFileOptions,
  toFileOptions,
} from './file-options.ts';
import {
  CLEAN_JSON_CHECK_MIN_BYTES,
  checkFilesReadable,
  jsonShapeCheckSql,
  projectRaw,
  rawRelationSql,
  readCsvLayouts,
  unreadable,
} from './file-read.ts';
import {
  type FileColumn,
  type FileSchema,
  mergeFileSchemas,
  normalizeDuckDBType,
  parseSchemaDdl,
  RESCUED_DATA_COLUMN,
  SOURCE_FILE_COLUMN,
} from './file-schema.ts';

export {
  compareDiscovered,
  DEFAULT_MAX_FILES_PER_TRIGGER,
  type DiscoveredFile,
  discoverFiles,
  type FileBatchLimits,
  type ProcessedFiles,
  planFileBatch,
} from './file-discovery.ts';
export {
  type FileSourceOptions,
  parseByteSize,
  parseFileOptions,
  type RawFileOptions,
} from './file-options.ts';
export {
  type FileColumn,
  type FileSchema,
  mergeFileSchemas,
  parseSchemaDdl,
  RESCUED_DATA_COLUMN,
  SOURCE_FILE_COLUMN,
} from './file-schema.ts';

type FileRef = DiscoveredFile | string;

function pathsOf(files: readonly FileRef[]): string[] {
  return files.map((f) => (typeof f === 'string' ? f : f.path));
}

/** Parquet files of size 0 are not Parquet; JSON/CSV empty files simply have no rows. */
async function nonEmptyParquet(paths: readonly string[], files: readonly FileRef[]): Promise<string[]> {
  const out: string[] = [];
  for (const [i, p] of paths.entries()) {
    const f = files[i]!;
    const size = typeof f === 'string' ? (await stat(p)).size : f.size;
    if (size > 0) out.push(p);
  }
  return out;
}

/**
 * One DuckDB SELECT reading `files` with `schema`: the schema's columns in order and types, then
 * `_rescued_data`, `_source_file`. Checks first that every file still exists (SOURCE_FILE_UNREADABLE,
 * domain external, naming the file) and, for CSV, reads each file's first line to map its header to
 * the schema by name (case-insensitively); CSV without a header maps columns by position (`_c0` …).
 * Empty files give no rows. Errors DuckDB raises while running the SQL can be classified with
 * `toFileSourceError`.
 */
export async function fileBatchSql(
  files: readonly FileRef[],
  format: FileFormat | string,
  schema: FileSchema,
  options: RawFileOptions | FileSourceOptions = {},
  db?: Database,
): Promise<string> {
  const fmt = checkFileFormat(format);
  const opts = toFileOptions(options);
  let paths = pathsOf(files);
  const bytes = await checkFilesReadable(paths);
  if (fmt === 'parquet') paths = await nonEmptyParquet(paths, files);
  const layouts = fmt === 'csv' ? await readCsvLayouts(paths, opts) : [];
  const clean =
    fmt === 'json' &&
    !opts.multiLine &&
    schema.columns.length > 0 &&
    bytes >= CLEAN_JSON_CHECK_MIN_BYTES &&
    (await isCleanJsonBatch(db, paths, schema));
  return projectRaw(rawRelationSql(fmt, paths, layouts, schema, opts, clean), fmt, schema);
}

/**
 * Whether a newline-delimited JSON batch is clean (see `jsonShapeCheckSql`). Any failure — a
 * malformed line, a record too large for the reader — means "not clean": the line-based reader
 * then reads the batch and rescues what needs rescuing.
 */
async function isCleanJsonBatch(
  db: Database | undefined,
  paths: readonly string[],
  schema: FileSchema,
): Promise<boolean> {
  try {
    const [row] = await withDatabase(db, (d) =>
      withConnection(d, (conn) =>
        queryRows<{ unclean: number | string }>(conn, jsonShapeCheckSql(paths, schema)),
      ),
    );
    return Number(row?.unclean) === 0;
  } catch {
    return false;
  }
}

/**
 * Turns an error raised while running a `fileBatchSql` query into SOURCE_FILE_UNREADABLE (domain
 * external) when DuckDB names one of the batch's files in an I/O or input error (deleted, truncated,
 * not valid UTF-8, a corrupt Parquet footer); otherwise returns the error unchanged.
 */
export function toFileSourceError(error: unknown, files: readonly FileRef[]): unknown {
  if (isSluiceError(error) || !(error instanceof Error)) return error;
  const culprit = pathsOf(files).find((p) => error.message.includes(p));
  return culprit === undefined ? error : unreadable(culprit, error);
}

// ---------------------------------------------------------------------------------------------
// Schema inference

async function columnsOf(conn: DuckDBConnection, sql: string, keepNtz: boolean): Promise<FileColumn[]> {
  const reader = await conn.runAndReadAll(`SELECT * FROM (${sql}) LIMIT 0`);
  const names = reader.columnNames();
  const types = reader.columnTypes();
  return names
    .map((name, i) => ({ name, type: normalizeDuckDBType(types[i]!, keepNtz) }))
    .filter((c) => c.name !== RESCUED_DATA_COLUMN && c.name !== SOURCE_FILE_COLUMN);
}

/** Maps one node of `json_structure` output to a column type. */
function structureType(node: unknown): string {
  if (Array.isArray(node)) return `${structureType(node[0] ?? 'NULL')}[]`;
  if (node !== null && typeof node === 'object') {
    const entries = Object.entries(node);
    if (entries.length === 0) return 'VARCHAR';
    return `STRUCT(${entries.map(([k, v]) => `${sqlIdent(k)} ${structureType(v)}`).join(', ')})`;
  }
  switch (node) {
    case 'BOOLEAN':
      return 'BOOLEAN';
    case 'UBIGINT':
    case 'BIGINT':
    case 'HUGEINT': // json_structure's merge of signed and unsigned integers
      return 'BIGINT';
    case 'DOUBLE':
      return 'DOUBLE';
    default:
      return 'VARCHAR'; // VARCHAR, NULL (never seen a value), JSON (conflicting types)
  }
}

/** Rows sampled for type inference, in file order. */
const INFERENCE_ROWS = 20000;

/** Per-column counts telling which type every non-null sampled value of `v` (VARCHAR) fits. */
function typeChecks(v: string): string {
  return [
    `count(${v})`,
    `count(${v}) FILTER (lower(trim(${v})) IN ('true', 'false'))`,
    `count(${v}) FILTER (regexp_full_match(trim(${v}), '[+-]?[0-9]+') AND TRY_CAST(${v} AS BIGINT) IS NOT NULL)`,
    `count(${v}) FILTER (TRY_CAST(${v} AS DOUBLE) IS NOT NULL)`,
    `count(${v}) FILTER (regexp_full_match(trim(${v}), '[0-9]{4}-[0-9]{2}-[0-9]{2}') AND TRY_CAST(${v} AS DATE) IS NOT NULL)`,
    `count(${v}) FILTER (regexp_matches(trim(${v}), '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]') AND TRY_CAST(${v} AS TIMESTAMPTZ) IS NOT NULL)`,
  ].join(', ');
}

function typeFromChecks(counts: readonly number[], stringsOnly: boolean): string {
  const [n, bool, int, dbl, date, ts] = counts as [number, number, number, number, number, number];
  if (n === 0) return 'VARCHAR';
  if (!stringsOnly && bool === n) return 'BOOLEAN';
  if (!stringsOnly && int === n) return 'BIGINT';
  if (!stringsOnly && dbl === n) return 'DOUBLE';
  if (date === n) return 'DATE';
  if (ts === n) return 'TIMESTAMPTZ';
  return 'VARCHAR';
}

/**
 * JSON: the merged `json_structure` of the first ${INFERENCE_ROWS} object lines —
 * integers → BIGINT, numbers → DOUBLE, objects → STRUCT, arrays → T[], conflicting types → VARCHAR —
 * and top-level strings that are all ISO dates / timestamps → DATE / TIMESTAMPTZ. Malformed lines
 * are skipped. Reads lines the same way batches do, so inference never fails where reading would not.
 */
async function inferJson(
  conn: DuckDBConnection,
  paths: string[],
  opts: FileSourceOptions,
): Promise<FileColumn[]> {
  const raw = rawRelationSql('json', paths, [], { columns: [] }, opts);
  const sample = `SELECT __x, row_number() OVER () AS __rn FROM (SELECT __x FROM (${raw}) WHERE __x IS NOT NULL LIMIT ${INFERENCE_ROWS})`;
  const rows = await queryRowsOf(
    conn,
    `SELECT (json_structure(to_json(list(__x ORDER BY __rn))) -> 0)::VARCHAR AS s FROM (${sample})`,
  );
  const structure = rows[0]?.[0];
  if (typeof structure !== 'string') return [];
  const parsed = JSON.parse(structure) as Record<string, unknown>;
  let cols = Object.entries(parsed).map(([name, node]) => ({ name, type: structureType(node) }));
  if (!opts.inferColumnTypes) return cols.map((c) => ({ name: c.name, type: 'VARCHAR' }));
  const strings = cols.filter((c) => c.type === 'VARCHAR' && parsed[c.name] === 'VARCHAR');
  if (strings.length > 0) {
    const checks = strings.map((c) => typeChecks(`(__x ->> ${sqlString(`$.${JSON.stringify(c.name)}`)})`));
    const counts = (await queryRowsOf(conn, `SELECT ${checks.join(', ')} FROM (${sample})`))[0]!.map(Number);
    const refined = new Map(
      strings.map((c, i) => [c.name, typeFromChecks(counts.slice(i * 6, i * 6 + 6), true)]),
    );
    cols = cols.map((c) => ({ name: c.name, type: refined.get(c.name) ?? c.type }));
  }
  return cols;
}

async function queryRowsOf(conn: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await conn.runAndReadAll(sql)).getRowsJson() as unknown[][];
}

/**
 * CSV columns come from the headers (union over the sampled files, in order of appearance); their
 * types from the values of up to 20,000 sampled rows: BOOLEAN, BIGINT, DOUBLE, DATE, TIMESTAMPTZ when
 * every non-empty value parses as such, else VARCHAR.
 */
async function inferCsv(
  conn: DuckDBConnection,
  paths: string[],
  opts: FileSourceOptions,
): Promise<FileColumn[]> {
  const layouts = await readCsvLayouts(paths, opts);
  const names: string[] = [];
  const seen = new Set<string>();
  for (const l of layouts)
    for (const c of l.columns ?? [])
      if (!seen.has(c.toLowerCase())) {
        seen.add(c.toLowerCase());
        names.push(c);
      }
  if (names.length === 0) return [];
  const varchar: FileSchema = { columns: names.map((name) => ({ name, type: 'VARCHAR' })) };
  if (!opts.inferColumnTypes) return [...varchar.columns];
  const raw = rawRelationSql('csv', paths, layouts, varchar, opts);
  const checks = names.map((_, i) => typeChecks(`__v${i}`));
  const reader = await conn.runAndReadAll(
    `SELECT ${checks.join(', ')} FROM (SELECT * FROM (${raw}) LIMIT ${INFERENCE_ROWS})`,
  );
  const row = reader.getRows()[0]!.map((x) => Number(x));
  return names.map((name, i) => ({ name, type: typeFromChecks(row.slice(i * 6, i * 6 + 6), false) }));
}

async function inferParquet(conn: DuckDBConnection, paths: string[]): Promise<FileColumn[]> {
  const sql = `SELECT * FROM read_parquet([${paths.map(sqlString).join(', ')}], union_by_name = true)`;
  try {
    return await columnsOf(conn, sql, true);
  } catch (e) {
    throw toFileSourceError(e, paths);
  }
}

async function inferFromFiles(
  conn: DuckDBConnection,
  files: readonly FileRef[],
  format: FileFormat,
  opts: FileSourceOptions,
): Promise<FileSchema> {
  const all = pathsOf(files);
  await checkFilesReadable(all);
  const sample: string[] = [];
  for (const [i, p] of all.entries()) {
    if (sample.length >= opts.schemaInferenceFiles) break;
    const f = files[i]!;
    const size = typeof f === 'string' ? (await stat(p)).size : f.size;
    if (size > 0) sample.push(p);
  }
  if (sample.length === 0) return { columns: [] };
  switch (format) {
    case 'json':
      return { columns: dedupe(await inferJson(conn, sample, opts)) };
    case 'csv':
      return { columns: dedupe(await inferCsv(conn, sample, opts)) };
    case 'parquet':
      return { columns: dedupe(await inferParquet(conn, sample)) };
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}

/** DuckDB identifiers are case-insensitive: keep the first of names differing only by case. */
function dedupe(columns: readonly FileColumn[]): FileColumn[] {
  const seen = new Set<string>();
  return columns.filter(
    (c) => !seen.has(c.name.toLowerCase()) && seen.add(c.name.toLowerCase()) !== undefined,
  );
}

/**
 * The schema to read a file source with: the explicit `schema` option (Spark DDL, see
 * `parseSchemaDdl`) when given, else inferred from the first `schemaInferenceFiles` non-empty
 * files of `files`. JSON inference is DuckDB's (nested objects → STRUCT or MAP, ISO timestamps →
 * TIMESTAMPTZ); CSV as described at `inferCsv`; Parquet uses the files' own types. With
 * `inferColumnTypes = false`, JSON and CSV columns are all VARCHAR. Only empty files (or none)
 * give `{columns: []}` — a later batch then evolves it.
 */
export async function inferFileSchema(
  conn: DuckDBConnection,
  files: readonly FileRef[],
  format: FileFormat | string,
  options: RawFileOptions | FileSourceOptions = {},
): Promise<FileSchema> {
  const opts = toFileOptions(options);
  if (opts.schema !== undefined) return parseSchemaDdl(opts.schema);
  return inferFromFiles(conn, files, checkFileFormat(format), opts);
}

/**
 * `persisted` plus the columns first seen in `newFiles`, appended at the end; existing columns keep
 * their types (a value that no longer fits goes to `_rescued_data`). With an explicit `schema`
 * option the schema never evolves: unknown fields are rescued instead.
 */
export async function evolveFileSchema(
  conn: DuckDBConnection,
  persisted: FileSchema,
  newFiles: readonly FileRef[],
  format: FileFormat | string,
  options: RawFileOptions | FileSourceOptions = {},
): Promise<FileSchema> {
  const opts = toFileOptions(options);
  if (opts.schema !== undefined || newFiles.length === 0) return persisted;
  const found = await inferFromFiles(conn, newFiles, checkFileFormat(format), opts);
  return mergeFileSchemas(persisted, found);
}
