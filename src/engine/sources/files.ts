/**
 * The file source of the engine: `STREAM read_files(path, format => 'json' | 'csv' | 'parquet', …)`.
 *
 * A micro-batch uses it in four steps, all plain data in between so the engine can log them:
 *   1. `discoverFiles(path, {root})` lists the files, in arrival order, each once (keyed by its real
 *      path; symbolic links followed only inside the source path);
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
 * `_rescued_data`. What cannot be read that way is a coded error naming the file (and line), never
 * a row lost: a line longer than `maxRecordSize` (SOURCE_RECORD_TOO_LARGE), bytes that are not
 * UTF-8, a corrupt gzip stream or Parquet file (SOURCE_FILE_UNREADABLE — or, with
 * `ignoreCorruptFiles`, the file is skipped, see `findCorruptFiles`), a codec DuckDB lacks
 * (SOURCE_FILE_COMPRESSION_UNSUPPORTED). `.gz` and `.zst` files are read as they are.
 */

import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isSluiceError, type SluiceError, toSluiceError } from '../../errors/index.ts';
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
import {
  checkCompression,
  checkRecordSizes,
  diagnoseReadFailure,
  isCompressedFile,
  unreadableFile,
} from './file-checks.ts';
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
  jsonObjectsSql,
  jsonShapeCheckSql,
  missingFile,
  projectRaw,
  rawRelationSql,
  readCsvLayouts,
  readerCheckSql,
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

export { displayPath, skippedFileWarning } from './file-checks.ts';
export {
  compareDiscovered,
  DEFAULT_MAX_FILES_PER_TRIGGER,
  type DiscoveredFile,
  type DiscoveryOptions,
  discoverFiles,
  type FileBatchLimits,
  fileIdentity,
  type ProcessedFiles,
  planFileBatch,
} from './file-discovery.ts';
export {
  type FileSourceOptions,
  parseByteSize,
  parseFileOptions,
  type RawFileOptions,
  toFileOptions,
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
async function nonEmptyParquet(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) if ((await stat(p)).size > 0) out.push(p);
  return out;
}

/** What reading files reports back, and where it reports from. */
export interface FileReadHooks {
  /** The pipeline folder: messages name files relative to it. */
  readonly root?: string;
  /** A planned file not read (`ignoreMissingFiles`: it no longer exists), with the error it gave. */
  readonly onSkipped?: (path: string, error: SluiceError) => Promise<void> | void;
}

/**
 * The files of a batch that can be read: refuses codecs sluice cannot read
 * (SOURCE_FILE_COMPRESSION_UNSUPPORTED) and lines longer than `maxRecordSize`
 * (SOURCE_RECORD_TOO_LARGE); a file that no longer exists is SOURCE_FILE_UNREADABLE (domain
 * external), or with `ignoreMissingFiles` left out and reported to `hooks.onSkipped`.
 */
async function readableFiles(
  paths: readonly string[],
  format: FileFormat,
  opts: FileSourceOptions,
  hooks: FileReadHooks,
): Promise<{ paths: string[]; bytes: number }> {
  checkCompression(paths, format, hooks.root);
  const { bytes, missing } = await checkFilesReadable(paths, hooks.root);
  let present = [...paths];
  if (missing.length > 0) {
    if (!opts.ignoreMissingFiles) throw missing[0]!.error;
    const gone = new Set(missing.map((m) => m.path));
    for (const m of missing) await hooks.onSkipped?.(m.path, m.error);
    present = present.filter((p) => !gone.has(p));
  }
  await checkRecordSizes(present, format, opts.multiLine, opts.maxRecordSize, hooks.root);
  return { paths: present, bytes };
}

/**
 * One DuckDB SELECT reading `files` with `schema`: the schema's columns in order and types, then
 * `_rescued_data`, `_source_file`. Checks first that every file can be read (see `readableFiles`)
 * and, for CSV, reads each file's first line to map its header to the schema by name
 * (case-insensitively); CSV without a header maps columns by position (`_c0` …). Empty files give
 * no rows; `.gz` and `.zst` files are decompressed by DuckDB. Errors DuckDB raises while running
 * the SQL can be classified with `toFileSourceError` / `explainFileReadError`.
 */
export async function fileBatchSql(
  files: readonly FileRef[],
  format: FileFormat | string,
  schema: FileSchema,
  options: RawFileOptions | FileSourceOptions = {},
  db?: Database,
  hooks: FileReadHooks = {},
): Promise<string> {
  const fmt = checkFileFormat(format);
  const opts = toFileOptions(options);
  const readable = await readableFiles(pathsOf(files), fmt, opts, hooks);
  let paths = readable.paths;
  if (fmt === 'parquet') paths = await nonEmptyParquet(paths);
  const layouts = fmt === 'csv' ? await csvLayouts(db, paths, opts) : [];
  const clean =
    fmt === 'json' &&
    !opts.multiLine &&
    schema.columns.length > 0 &&
    readable.bytes >= CLEAN_JSON_CHECK_MIN_BYTES &&
    (await isCleanJsonBatch(db, paths, schema));
  return projectRaw(rawRelationSql(fmt, paths, layouts, schema, opts, clean), fmt, schema);
}

/** CSV layouts; a connection is opened only when a compressed file's first line must be read. */
async function csvLayouts(db: Database | undefined, paths: readonly string[], opts: FileSourceOptions) {
  if (!paths.some(isCompressedFile)) return readCsvLayouts(paths, opts);
  return withDatabase(db, (d) => withConnection(d, (conn) => readCsvLayouts(paths, opts, conn)));
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

/** The file of `paths` an error message names (the longest match: `a.json.gz` over `a.json`). */
function culpritOf(error: Error, paths: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const p of paths)
    if (error.message.includes(p) && (best === undefined || p.length > best.length)) best = p;
  return best;
}

/**
 * Turns an error raised while running a `fileBatchSql` query into SOURCE_FILE_UNREADABLE when
 * DuckDB names one of the batch's files in it (domain external when the file no longer exists —
 * deleted or moved under us —, user otherwise: not valid UTF-8, a corrupt gzip stream or Parquet
 * footer); otherwise returns the error unchanged. `explainFileReadError` also finds the line.
 */
export function toFileSourceError(error: unknown, files: readonly FileRef[], root?: string): unknown {
  if (isSluiceError(error) || !(error instanceof Error)) return error;
  const culprit = culpritOf(error, pathsOf(files));
  if (culprit === undefined) return error;
  if (!existsSync(culprit)) return missingFile(culprit, error, root);
  return unreadableFile(culprit, reasonLine(error), {
    cause: error,
    ...(root !== undefined ? { root } : {}),
  });
}

function reasonLine(error: Error): string {
  return toSluiceError(error).message.split('\n')[0]!;
}

/**
 * `toFileSourceError`, and for a file that still exists the diagnosis of `diagnoseReadFailure`:
 * the line that is not valid UTF-8 or longer than `maxRecordSize`, or DuckDB's reason.
 */
export async function explainFileReadError(
  db: Database | undefined,
  error: unknown,
  files: readonly FileRef[],
  format: FileFormat | string,
  options: RawFileOptions | FileSourceOptions,
  root?: string,
): Promise<unknown> {
  if (isSluiceError(error) || !(error instanceof Error)) return error;
  const culprit = culpritOf(error, pathsOf(files));
  if (culprit === undefined || !existsSync(culprit)) return toFileSourceError(error, files, root);
  const opts = toFileOptions(options);
  return withDatabase(db, (d) =>
    withConnection(d, (conn) =>
      diagnoseReadFailure(conn, culprit, error, {
        format: checkFileFormat(format),
        multiLine: opts.multiLine,
        maxRecordSize: opts.maxRecordSize,
        ...(root !== undefined ? { root } : {}),
      }),
    ),
  );
}

/** Errors that say nothing about a file: never a reason to skip one. */
function isResourceFailure(e: unknown): boolean {
  const code = toSluiceError(e).code;
  return code === 'OUT_OF_MEMORY' || code === 'DISK_FULL' || /interrupt/i.test(String((e as Error)?.message));
}

/**
 * For `ignoreCorruptFiles`: the files of `files` that cannot be read, each with the error reading
 * it gives (SOURCE_FILE_UNREADABLE naming the file, and the line when one is to blame). The files
 * are read once, as a batch would read them; when that fails, the file DuckDB names (else each half
 * of the files, recursively) is read alone, so the cost grows with the number of bad files only.
 * Lines longer than `maxRecordSize` and codecs sluice cannot read are not corruption: they fail
 * (SOURCE_RECORD_TOO_LARGE, SOURCE_FILE_COMPRESSION_UNSUPPORTED) rather than being skipped. Files
 * that no longer exist are not examined (see `fileBatchSql`).
 */
export async function findCorruptFiles(
  db: Database,
  files: readonly FileRef[],
  format: FileFormat | string,
  options: RawFileOptions | FileSourceOptions,
  root?: string,
): Promise<Map<string, SluiceError>> {
  const fmt = checkFileFormat(format);
  const opts = toFileOptions(options);
  const paths = pathsOf(files).filter((p) => existsSync(p));
  checkCompression(paths, fmt, root);
  await checkRecordSizes(paths, fmt, opts.multiLine, opts.maxRecordSize, root);
  const bad = new Map<string, SluiceError>();
  await withConnection(db, async (conn) => {
    const check = async (group: readonly string[]): Promise<void> => {
      if (group.length === 0) return;
      try {
        const readable = fmt === 'parquet' ? await nonEmptyParquet(group) : group;
        const layouts = fmt === 'csv' ? await readCsvLayouts(readable, opts, conn) : [];
        await conn.run(readerCheckSql(fmt, readable, layouts, opts));
      } catch (e) {
        if (isResourceFailure(e)) throw e;
        if (group.length === 1) {
          const cause = isSluiceError(e) && e.cause instanceof Error ? e.cause : e;
          const found = await diagnoseReadFailure(conn, group[0]!, cause, {
            format: fmt,
            multiLine: opts.multiLine,
            maxRecordSize: opts.maxRecordSize,
            hint: false,
            ...(root !== undefined ? { root } : {}),
          });
          if (found.code === 'SOURCE_RECORD_TOO_LARGE') throw found;
          bad.set(group[0]!, found);
          return;
        }
        const named = e instanceof Error ? culpritOf(e, group) : undefined;
        if (named !== undefined) {
          await check([named]);
          await check(group.filter((p) => p !== named));
          return;
        }
        const half = Math.ceil(group.length / 2);
        await check(group.slice(0, half));
        await check(group.slice(half));
      }
    };
    await check(paths);
  });
  return bad;
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

/**
 * `v` for the type checks: a value longer than any boolean, number, date or timestamp is
 * replaced by one that fits none of them, so a long value (a text of megabytes) is not copied
 * by every check.
 */
function checkedValue(v: string, alias: string): string {
  return `CASE WHEN strlen(${v}) > 256 THEN '#' ELSE ${v} END AS ${alias}`;
}

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
  const raw = jsonObjectsSql(paths, opts);
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
    const values = strings.map((c, i) =>
      checkedValue(`(__x ->> ${sqlString(`$.${JSON.stringify(c.name)}`)})`, `__s${i}`),
    );
    const checks = strings.map((_, i) => typeChecks(`__s${i}`));
    const counts = (
      await queryRowsOf(
        conn,
        `SELECT ${checks.join(', ')} FROM (SELECT ${values.join(', ')} FROM (${sample}))`,
      )
    )[0]!.map(Number);
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
  const layouts = await readCsvLayouts(paths, opts, conn);
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
  const checks = names.map((_, i) => typeChecks(`__s${i}`));
  const values = names.map((_, i) => checkedValue(`__v${i}`, `__s${i}`));
  const reader = await conn.runAndReadAll(
    `SELECT ${checks.join(', ')} FROM (SELECT ${values.join(', ')} FROM (SELECT * FROM (${raw}) LIMIT ${INFERENCE_ROWS}))`,
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
  hooks: FileReadHooks,
): Promise<FileSchema> {
  const { paths: all } = await readableFiles(pathsOf(files), format, opts, hooks);
  const sample: string[] = [];
  for (const p of all) {
    if (sample.length >= opts.schemaInferenceFiles) break;
    if ((await stat(p)).size > 0) sample.push(p);
  }
  if (sample.length === 0) return { columns: [] };
  try {
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
  } catch (e) {
    throw await explainInferenceError(conn, e, sample, format, opts, hooks.root);
  }
}

/** `explainFileReadError` on the flow's own connection (inference has no database handle). */
async function explainInferenceError(
  conn: DuckDBConnection,
  error: unknown,
  paths: readonly string[],
  format: FileFormat,
  opts: FileSourceOptions,
  root: string | undefined,
): Promise<unknown> {
  if (isSluiceError(error) || !(error instanceof Error)) return error;
  const culprit = culpritOf(error, paths);
  if (culprit === undefined || !existsSync(culprit)) return toFileSourceError(error, paths, root);
  return diagnoseReadFailure(conn, culprit, error, {
    format,
    multiLine: opts.multiLine,
    maxRecordSize: opts.maxRecordSize,
    ...(root !== undefined ? { root } : {}),
  });
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
  hooks: FileReadHooks = {},
): Promise<FileSchema> {
  const opts = toFileOptions(options);
  if (opts.schema !== undefined) return parseSchemaDdl(opts.schema);
  return inferFromFiles(conn, files, checkFileFormat(format), opts, hooks);
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
  hooks: FileReadHooks = {},
): Promise<FileSchema> {
  const opts = toFileOptions(options);
  if (opts.schema !== undefined || newFiles.length === 0) return persisted;
  const found = await inferFromFiles(conn, newFiles, checkFileFormat(format), opts, hooks);
  return mergeFileSchemas(persisted, found);
}
