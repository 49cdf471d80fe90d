/**
 * The file source of the engine: `read_files(path, format => 'json' | 'csv' | 'parquet' | 'text',
 * …)`, `cloud_files(path, format, map(…))` and file-path tables (``json.`path` ``), batch or
 * streamed.
 *
 * A micro-batch uses it in four steps, all plain data in between so the engine can log them:
 *   1. `discoverFiles(path, {root})` lists the files, in arrival order, each once (keyed by its real
 *      path; symbolic links followed only inside the source path);
 *   2. `planFileBatch(discovered, processed, limits)` picks the next batch (written ahead to the
 *      offset log; a replay reads exactly the logged files);
 *   3. `inferFileSchema` (first batch) / `evolveFileSchema` (later batches, by
 *      `schemaEvolutionMode`) give the schema, which the engine persists in the flow checkpoint
 *      (see `file-inference.ts`);
 *   4. `fileBatchSql(files, format, schema, options)` is one DuckDB SELECT returning the batch's rows —
 *      it streams inside DuckDB (nothing is materialized in JavaScript).
 * Every row has exactly the schema's columns (with their types), then the rescued data column
 * (`_rescued_data` unless the options say otherwise, see `FileSourceOptions.rescuedDataColumn`)
 * and `_source_file VARCHAR`. A value that does not convert exactly to its column's type is NULL
 * there and kept in the rescued data column as a JSON object `{"column": original value, …}` —
 * together with any field the schema does not have; a line that cannot be parsed at all has NULL
 * columns and its raw text there (see `file-casts.ts`: a value is never rounded). What cannot be
 * read that way is a coded error naming the file (and line), never a row lost: a line longer than
 * `maxRecordSize` (SOURCE_RECORD_TOO_LARGE), bytes that are not UTF-8, a corrupt gzip stream or
 * Parquet file (SOURCE_FILE_UNREADABLE — or, with `ignoreCorruptFiles`, the file is skipped, see
 * `findCorruptFiles`), a codec DuckDB lacks (SOURCE_FILE_COMPRESSION_UNSUPPORTED). `.gz` and `.zst`
 * files are read as they are.
 */

import { existsSync } from 'node:fs';
import { isSluiceError, type SluiceError, toSluiceError } from '../../errors/index.ts';
import type { FileFormat } from '../../model/index.ts';
import { type Database, queryRows, withConnection, withDatabase } from '../../util/index.ts';
import {
  culpritOf,
  type FileReadHooks,
  type FileRef,
  nonEmptyParquet,
  pathsOf,
  readableFiles,
  toFileSourceError,
} from './file-access.ts';
import { checkCompression, checkRecordSizes, diagnoseReadFailure, isCompressedFile } from './file-checks.ts';
import { readCsvLayouts } from './file-csv-layouts.ts';
import {
  checkFileFormat,
  type FileSourceOptions,
  type RawFileOptions,
  toFileOptions,
} from './file-options.ts';
import {
  CLEAN_JSON_CHECK_MIN_BYTES,
  jsonShapeCheckSql,
  projectRaw,
  rawRelationSql,
  readerCheckSql,
  xmlOptionsOf,
} from './file-read.ts';
import { type FileSchema, normalizeDuckDBType } from './file-schema.ts';
import { checkXmlFiles, checkXmlSchema } from './file-xml.ts';
import { checkNestedFit, xmlOccurrences } from './file-xml-nested.ts';
import type { ParquetColumns, ParquetSchemas } from './parquet-schemas.ts';

export { type FileReadHooks, type FileRef, toFileSourceError } from './file-access.ts';
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
export { evolveFileSchema, inferFileSchema } from './file-inference.ts';
export {
  DEFAULT_RESCUED_DATA_COLUMN,
  type FileSourceOptions,
  inputFileOptions,
  parseByteSize,
  parseFileOptions,
  type RawFileOptions,
  type SchemaEvolutionMode,
  toFileOptions,
} from './file-options.ts';
export {
  applySchemaHints,
  type FileColumn,
  type FileSchema,
  mergeFileSchemas,
  parseSchemaDdl,
  RESCUED_DATA_COLUMN,
  SOURCE_FILE_COLUMN,
} from './file-schema.ts';
export { ParquetSchemas } from './parquet-schemas.ts';

/**
 * One DuckDB SELECT reading `files` with `schema`: the schema's columns in order and types, then
 * the rescued data column (when the options have one, see `FileSourceOptions.rescuedDataColumn`)
 * and `_source_file`. Checks first that every file can be read (see `readableFiles`) and, for CSV,
 * reads each file's first line to map its header to the schema by name (case-insensitively); CSV
 * without a header maps columns by position (`_c0` …). Empty files give no rows; `.gz` and `.zst`
 * files are decompressed by DuckDB. Errors DuckDB raises while running the SQL can be classified
 * with `toFileSourceError` / `explainFileReadError`.
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
  const opts = toFileOptions(options, { format: fmt });
  const readable = await readableFiles(pathsOf(files), fmt, opts, hooks);
  let paths = readable.paths;
  if (fmt === 'parquet') paths = await nonEmptyParquet(paths);
  const layouts = fmt === 'csv' ? await csvLayouts(db, paths, opts) : [];
  let xmlNested = false;
  if (fmt === 'xml') {
    checkXmlSchema(schema);
    const xml = xmlOptionsOf(opts);
    xmlNested = await withDatabase(db, (d) =>
      withConnection(d, async (conn) => {
        const nested = await checkXmlFiles(conn, paths, xml, hooks.root, hooks.xmlChecked);
        if (nested) {
          const rescue = opts.rescuedDataColumn !== undefined && opts.rescueNewColumns;
          const found =
            (await hooks.xmlChecked?.occurrencesOf(paths, xml)) ??
            (await xmlOccurrences(conn, paths, xml, undefined, hooks.root, false));
          checkNestedFit(found.occurrences, schema, xml, rescue, hooks.root);
        }
        return nested;
      }),
    );
  }
  const clean =
    fmt === 'json' &&
    !opts.multiLine &&
    schema.columns.length > 0 &&
    readable.bytes >= CLEAN_JSON_CHECK_MIN_BYTES &&
    (await isCleanJsonBatch(db, paths, schema));
  const sourceTypes =
    fmt === 'parquet' && paths.length > 0
      ? await parquetTypes(db, paths, schema, hooks.parquetSchemas)
      : undefined;
  return projectRaw(rawRelationSql(fmt, paths, layouts, schema, opts, clean, xmlNested), fmt, schema, {
    rescuedDataColumn: opts.rescuedDataColumn,
    rescueNewColumns: opts.rescueNewColumns,
    ...(sourceTypes ? { sourceTypes } : {}),
  });
}

/**
 * The Parquet files' own type of each schema column (as the batch's reader unifies them), for the
 * lossless conversion to the schema's type: `{type}` is the DuckDB type to convert back to, and
 * undefined marks a column whose files already have the schema's type (no conversion at all).
 */
async function parquetTypes(
  db: Database | undefined,
  paths: readonly string[],
  schema: FileSchema,
  remembered?: ParquetSchemas,
): Promise<(string | undefined)[]> {
  const list = `[${paths.map((p) => `'${p.replaceAll("'", "''")}'`).join(', ')}]`;
  const read = async (): Promise<ParquetColumns> => {
    const reader = await withDatabase(db, (d) =>
      withConnection(d, (conn) =>
        conn.runAndReadAll(`SELECT * FROM read_parquet(${list}, union_by_name = true) LIMIT 0`),
      ),
    );
    return { names: reader.columnNames(), types: reader.columnTypes() };
  };
  const { names, types } = remembered ? await remembered.of(paths, read) : await read();
  const byName = new Map(names.map((n, i) => [n.toLowerCase(), types[i]!]));
  return schema.columns.map((c) => {
    const t = byName.get(c.name.toLowerCase());
    if (t === undefined) return undefined;
    return normalizeDuckDBType(t, true) === c.type ? c.type : t.toString();
  });
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
