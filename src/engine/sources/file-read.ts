import { stat } from 'node:fs/promises';
import { SluiceError } from '../../errors/index.ts';
import type { FileFormat } from '../../model/index.ts';
import { parseDuckType, sqlIdent, sqlString } from '../../util/index.ts';
import { csvCast, jsonScalarCast } from './file-casts.ts';
import { firstLineOf, isCompressedFile, lineLimits, unreadableFile } from './file-checks.ts';
import type { CsvLayout } from './file-csv-layouts.ts';
import type { FileSourceOptions } from './file-options.ts';
import { type FileSchema, SOURCE_FILE_COLUMN } from './file-schema.ts';
import { xmlRawSql } from './file-xml.ts';
import { xmlCast } from './file-xml-values.ts';

/**
 * SQL building blocks for reading a batch of files. Every format is first turned into a *raw
 * relation* with the columns
 *   `__src` (file path), `__bad` (the raw record text when it could not be parsed at all),
 *   `__x` (JSON object of fields the schema does not know, or NULL), `__v0 … __vN` (the raw value of
 *   each schema column: for JSON the VARCHAR text of STRING columns and the JSON token of the
 *   others — so the token's type is known —, VARCHAR for CSV and text, native values for Parquet);
 * then one shared projection converts every value to its column type without loss (see
 * `file-casts.ts`) and builds the rescued data column.
 */

/** Column DuckDB's file readers write the file path to (a name no user column plausibly has). */
const FILENAME_COL = '__sluice_source_file';

/**
 * `read_csv` calls over `paths`, one for the plain files and one for the compressed ones (`.gz`,
 * `.zst`), joined by UNION ALL. Compressed files are read without parallelism: DuckDB's parallel
 * reader drops a line longer than `max_line_size` that ends a compressed file without an error,
 * where the serial reader fails on it (plain files are checked beforehand, see `checkRecordSizes`).
 * `args` are the reader's arguments after the file list.
 */
function readCsvCalls(paths: readonly string[], args: string, select: string): string {
  const plain = paths.filter((p) => !isCompressedFile(p));
  const packed = paths.filter((p) => isCompressedFile(p));
  const calls = [
    ...(plain.length > 0 ? [`${select} FROM read_csv(${fileList(plain)}, ${args})`] : []),
    ...(packed.length > 0 ? [`${select} FROM read_csv(${fileList(packed)}, ${args}, parallel = false)`] : []),
  ];
  return calls.join(' UNION ALL ');
}

function fileList(paths: readonly string[]): string {
  return `[${paths.map(sqlString).join(', ')}]`;
}

function valueCols(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `__v${i}`);
}

/** A raw relation with no rows (a batch whose files are all empty). */
function emptyRaw(n: number): string {
  const vs = valueCols(n).map((v) => `NULL::VARCHAR AS ${v}`);
  return `SELECT NULL::VARCHAR AS __src, NULL::VARCHAR AS __bad, NULL::JSON AS __x${vs.map((v) => `, ${v}`).join('')} WHERE false`;
}

/**
 * `to_json` of the entries whose value is not NULL, as one JSON object; NULL-free input of
 * `(key, JSON value)` pairs. Returns `'{}'` when every value is NULL.
 */
function jsonObjectOfNonNull(entries: readonly (readonly [string, string])[]): string {
  const list = entries.map(([k, v]) => `struct_pack(k := ${sqlString(k)}, v := (${v})::JSON)`).join(', ');
  return `to_json(map_from_entries(list_filter([${list}], e -> e.v IS NOT NULL)))`;
}

// ---------------------------------------------------------------------------------------------
// JSON

/**
 * `__line` is not blank (`trim(__line) <> ''`). `trim` scans the whole string, which is slow on
 * long lines; a line that starts like an object (after `ltrim`) is not blank, so `trim` only runs
 * on the others (CASE evaluates a branch only for the rows that reach it).
 */
const NOT_BLANK = `__line IS NOT NULL AND CASE WHEN ltrim(__line) ^@ '{' THEN true ELSE trim(__line) <> '' END`;

function jsonRaw(paths: readonly string[], schema: FileSchema, options: FileSourceOptions): string {
  const names = schema.columns.map((c) => c.name);
  // STRING columns are extracted as VARCHAR (strings unquoted, other values as JSON text); every
  // other column as its JSON token, converted later by the token's type (see `file-casts.ts`).
  const fields = schema.columns.map((c) => [c.name, jsonExtractType(c.type)] as const);
  const spec = JSON.stringify(Object.fromEntries(fields.length > 0 ? fields : [['__sluice_none', 'JSON']]));
  const reader = jsonLines(paths, options);
  // Only lines that start like an object are parsed; `try` turns malformed JSON into NULL.
  const parsed =
    `SELECT __line, __src, CASE WHEN ltrim(__line) ^@ '{' THEN try(json_transform(__line, ${sqlString(spec)})) END AS __o ` +
    `FROM (${reader}) WHERE ${NOT_BLANK}`;
  const values = names.map((n, i) => `__o.${sqlIdent(n)} AS __v${i}`);
  // Unknown keys: when the object has a key that is not a schema field (json_transform matches
  // names exactly), remove the known keys with a merge patch; what remains is rescued. (Keys
  // repeated in the line can leave '{}', mapped to NULL.)
  const known = `[${names.map(sqlString).join(', ')}]::VARCHAR[]`;
  const removeKnown = JSON.stringify(Object.fromEntries(names.map((n) => [n, null])));
  const unknown =
    `CASE WHEN __o IS NOT NULL AND NOT list_has_all(${known}, json_keys(__line)) ` +
    `THEN NULLIF(json_merge_patch(__line, ${sqlString(removeKnown)}), '{}'::JSON) END`;
  return `SELECT __src, CASE WHEN __o IS NULL THEN __line END AS __bad, ${unknown} AS __x${values.map((v) => `, ${v}`).join('')} FROM (${parsed})`;
}

/**
 * `__x`: each non-blank line (or `multiLine` document) parsed as JSON when it is a non-empty
 * object, else NULL — the objects a batch reads from the same lines, for schema inference.
 * (A raw relation over an empty schema would give the same objects, at the cost of a merge patch
 * per line, which takes several times a long line's size in memory.)
 */
export function jsonObjectsSql(paths: readonly string[], options: FileSourceOptions): string {
  if (paths.length === 0) return 'SELECT NULL::JSON AS __x WHERE false';
  return (
    `SELECT CASE WHEN ltrim(__line) ^@ '{' THEN NULLIF(try(__line::JSON), '{}'::JSON) END AS __x ` +
    `FROM (${jsonLines(paths, options)}) WHERE ${NOT_BLANK}`
  );
}

/**
 * JSON batches at least this large are checked for a clean shape first (see `jsonShapeCheckSql`),
 * so that a clean batch is read by DuckDB's JSON reader; below it the check costs more than it saves.
 */
export const CLEAN_JSON_CHECK_MIN_BYTES = 1024 * 1024;

/**
 * Counts the records of newline-delimited JSON files that `jsonRecordsRaw` could not read exactly
 * as `jsonRaw` would: records that are not objects, or have a key the schema does not name
 * (compared exactly, as `json_transform` does). Fails when a line is not valid JSON. A batch that
 * counts 0 without failing is *clean*: nothing in it needs rescuing but wrong-typed values.
 * (DuckDB's default record size limit applies, 16 MB: a batch with a larger record is not clean.)
 */
export function jsonShapeCheckSql(paths: readonly string[], schema: FileSchema): string {
  const known = schema.columns.map((c) => `map_contains(json, ${sqlString(c.name)})::INT`).join(' + ');
  return (
    `SELECT count(*) FILTER (json IS NULL OR cardinality(json) <> ${known || '0'}) AS unclean ` +
    `FROM read_json(${fileList(paths)}, format = 'newline_delimited', records = false, ` +
    `columns = {'json': 'MAP(VARCHAR, JSON)'})`
  );
}

/**
 * The raw relation of a clean batch (see `jsonShapeCheckSql`) through DuckDB's JSON reader, which
 * parses each record once, in parallel: the same values `jsonRaw` extracts (the same transform
 * into VARCHAR / JSON), no unparsable lines and no unknown keys.
 */
function jsonRecordsRaw(paths: readonly string[], schema: FileSchema): string {
  const columns = schema.columns
    .map((c) => `${sqlString(c.name)}: ${sqlString(jsonExtractType(c.type))}`)
    .join(', ');
  const values = schema.columns.map((c, i) => `, ${sqlIdent(c.name)} AS __v${i}`).join('');
  return (
    `SELECT ${FILENAME_COL} AS __src, NULL::VARCHAR AS __bad, NULL::JSON AS __x${values} ` +
    `FROM read_json(${fileList(paths)}, format = 'newline_delimited', records = true, columns = {${columns}}, ` +
    `filename = '${FILENAME_COL}')`
  );
}

/** How a JSON batch extracts a column of `type`: STRING columns as text, others as JSON tokens. */
function jsonExtractType(type: string): 'VARCHAR' | 'JSON' {
  return JSON_TEXT_TYPES.has(type) ? 'VARCHAR' : 'JSON';
}

/**
 * Column types a JSON batch reads from the value's text (strings unquoted, other tokens as JSON
 * text), cast with TRY_CAST: STRING itself, and dates and timestamps, whose text no number,
 * boolean, array or object token can have — so the cast is exact without telling token kinds
 * apart, which costs more than the cast for these long values. (Spark also reads an integer token
 * into TIMESTAMP as seconds since the epoch; here it is rescued.)
 */
const JSON_TEXT_TYPES = new Set(['VARCHAR', 'DATE', 'TIMESTAMP', 'TIMESTAMPTZ', 'TIMESTAMP WITH TIME ZONE']);

/**
 * One row per JSON line (`__line`, `__src`); multi-line documents with `multiLine`. Lines are read
 * as one VARCHAR each, up to `maxRecordSize` bytes (see `lineLimits`).
 */
function jsonLines(paths: readonly string[], options: FileSourceOptions): string {
  if (options.multiLine) {
    return `SELECT json::VARCHAR AS __line, ${FILENAME_COL} AS __src FROM read_json_objects(${fileList(paths)}, format = 'auto', filename = '${FILENAME_COL}')`;
  }
  const args =
    `columns = {'line': 'VARCHAR'}, delim = '\x01', quote = '', escape = '', header = false, auto_detect = false, ` +
    `strict_mode = false, new_line = '\\n', ${lineLimits(options.maxRecordSize)}, filename = '${FILENAME_COL}'`;
  return readCsvCalls(paths, args, `SELECT line AS __line, ${FILENAME_COL} AS __src`);
}

// ---------------------------------------------------------------------------------------------
// CSV

function csvRaw(layouts: readonly CsvLayout[], schema: FileSchema, options: FileSourceOptions): string {
  const groups = new Map<string, { columns: readonly string[]; paths: string[] }>();
  for (const l of layouts) {
    if (l.columns === null) continue;
    const key = JSON.stringify(l.columns);
    const g = groups.get(key);
    if (g) g.paths.push(l.path);
    else groups.set(key, { columns: l.columns, paths: [l.path] });
  }
  if (groups.size === 0) return emptyRaw(schema.columns.length);
  const parts: string[] = [];
  for (const { columns, paths } of groups.values()) {
    const byLower = new Map(columns.map((c) => [c.toLowerCase(), c]));
    const used = new Set<string>();
    const values = schema.columns.map((col, i) => {
      const src = columns.includes(col.name) ? col.name : byLower.get(col.name.toLowerCase());
      if (src === undefined) return `NULL::VARCHAR AS __v${i}`;
      used.add(src);
      return `${sqlIdent(src)} AS __v${i}`;
    });
    const extra = columns.filter((c) => !used.has(c));
    const unknown =
      extra.length === 0
        ? 'NULL::JSON'
        : `CASE WHEN ${extra.map((c) => `${sqlIdent(c)} IS NOT NULL`).join(' OR ')} THEN ${jsonObjectOfNonNull(extra.map((c) => [c, `to_json(${sqlIdent(c)})`]))}::JSON END`;
    const colSpec = `{${columns.map((c) => `${sqlString(c)}: 'VARCHAR'`).join(', ')}}`;
    const args =
      `columns = ${colSpec}, header = ${options.header}, ` +
      `delim = ${sqlString(options.delimiter)}, quote = ${sqlString(options.quote)}, escape = ${sqlString(options.escape)}, ` +
      `auto_detect = false, null_padding = true, strict_mode = false, ${lineLimits(options.maxRecordSize)}, filename = '${FILENAME_COL}'`;
    parts.push(
      readCsvCalls(
        paths,
        args,
        `SELECT ${FILENAME_COL} AS __src, NULL::VARCHAR AS __bad, ${unknown} AS __x${values.map((v) => `, ${v}`).join('')}`,
      ),
    );
  }
  return parts.join('\nUNION ALL\n');
}

// ---------------------------------------------------------------------------------------------
// Parquet

function parquetRaw(paths: readonly string[], schema: FileSchema): string {
  if (paths.length === 0) return emptyRaw(schema.columns.length);
  // A typed-free empty relation UNION ALL BY NAME the files: schema columns missing from every file
  // still exist (as NULL), and files with different column sets line up by name.
  const placeholders = [
    ...schema.columns.map((c) => `NULL AS ${sqlIdent(c.name)}`),
    `NULL AS ${FILENAME_COL}`,
  ];
  const unioned =
    `(SELECT ${placeholders.join(', ')} WHERE false) UNION ALL BY NAME ` +
    `(SELECT * FROM read_parquet(${fileList(paths)}, union_by_name = true, filename = '${FILENAME_COL}'))`;
  const values = schema.columns.map((c, i) => `${sqlIdent(c.name)} AS __v${i}`);
  return `SELECT ${FILENAME_COL}::VARCHAR AS __src, NULL::VARCHAR AS __bad, NULL::JSON AS __x${values.map((v) => `, ${v}`).join('')} FROM (${unioned})`;
}

// ---------------------------------------------------------------------------------------------
// Text

/** The one column of a text source (Spark's `value`). */
export const TEXT_SCHEMA: FileSchema = { columns: [{ name: 'value', type: 'VARCHAR' }] };

/**
 * Text files as Spark's text source reads them: one row per line (`\n`, `\r\n` or `\r` ends a
 * line, and a file's last line needs no end; an empty line is an empty string), or one row per
 * file with `wholeText`. Every schema column reads the line (the schema is `value STRING`). Plain
 * files are read whole and split (DuckDB's CSV reader would split a file that mixes `\n` and
 * `\r\n` into extra empty lines); compressed ones line by line through the CSV reader.
 */
function textRaw(paths: readonly string[], schema: FileSchema, options: FileSourceOptions): string {
  const n = schema.columns.length;
  if (paths.length === 0) return emptyRaw(n);
  const values = (expr: string) => Array.from({ length: n }, (_, i) => `, ${expr} AS __v${i}`).join('');
  const plain = paths.filter((p) => !isCompressedFile(p));
  const packed = paths.filter((p) => isCompressedFile(p));
  const parts: string[] = [];
  if (plain.length > 0 && options.wholeText) {
    parts.push(
      `SELECT filename AS __src, NULL::VARCHAR AS __bad, NULL::JSON AS __x${values('content')} FROM read_text(${fileList(plain)})`,
    );
  } else if (plain.length > 0) {
    const lines = `regexp_split_to_array(content, '\\r\\n|\\r|\\n')`;
    const kept = `list_slice(__p, 1, CASE WHEN __p[-1] = '' THEN len(__p) - 1 ELSE len(__p) END)`;
    parts.push(
      `SELECT __src, NULL::VARCHAR AS __bad, NULL::JSON AS __x${values('__line')} FROM (` +
        `SELECT __src, unnest(${kept}) AS __line FROM (SELECT filename AS __src, ${lines} AS __p FROM read_text(${fileList(plain)})))`,
    );
  }
  if (packed.length > 0) {
    if (options.wholeText) {
      throw new SluiceError(
        'INVALID_FILE_SOURCE_OPTION',
        `read_files option wholeText = 'true' reads plain text files only; ${packed[0]} is compressed`,
        { params: { option: 'wholeText', value: 'true' } },
      );
    }
    const args =
      `columns = {'line': 'VARCHAR'}, delim = '\x01', quote = '', escape = '', header = false, auto_detect = false, ` +
      `strict_mode = false, ${lineLimits(options.maxRecordSize)}, filename = '${FILENAME_COL}', parallel = false`;
    parts.push(
      `SELECT ${FILENAME_COL} AS __src, NULL::VARCHAR AS __bad, NULL::JSON AS __x${values("COALESCE(line, '')")} FROM read_csv(${fileList(packed)}, ${args})`,
    );
  }
  return parts.join(' UNION ALL ');
}

// ---------------------------------------------------------------------------------------------
// Shared projection

/** The original value as JSON for the rescued data column (JSON values are JSON tokens already). */
function rescueValue(format: FileFormat, value: string, type: string): string {
  return format === 'json' && jsonExtractType(type) === 'JSON' ? value : `to_json(${value})`;
}

/**
 * The conversion of a raw value to its column type; NULL when it does not convert exactly (the
 * value is rescued). `sourceType`: Parquet, the files' own type of the column.
 */
function castSql(format: FileFormat, value: string, type: string, sourceType: string | undefined): string {
  const t = parseDuckType(type);
  switch (format) {
    case 'json':
      return jsonExtractType(type) === 'VARCHAR' ? `TRY_CAST(${value} AS ${type})` : jsonScalarCast(value, t);
    case 'csv':
    case 'text':
      return csvCast(value, t);
    case 'xml':
      return xmlCast(value, t);
    case 'parquet':
      // Round trip through the column type: a value the cast changes (1.5 into BIGINT) is rescued.
      return sourceType === undefined
        ? `TRY_CAST(${value} AS ${type})`
        : `CASE WHEN TRY_CAST(TRY_CAST(${value} AS ${type}) AS ${sourceType}) IS NOT DISTINCT FROM ${value} THEN TRY_CAST(${value} AS ${type}) END`;
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}

/**
 * Whether the raw values of a column already have its type, so no conversion can fail: JSON
 * STRING columns and CSV / text fields are extracted as VARCHAR; Parquet columns whose files
 * have the column's own type.
 */
function rawIsTyped(format: FileFormat, type: string, sourceType: string | undefined): boolean {
  return format === 'parquet' ? sourceType === type : type === 'VARCHAR';
}

/** How a batch's projection treats what does not fit the schema (see `FileSourceOptions`). */
export interface Projection {
  /** The rescued data column's name; undefined: none (values that do not fit are NULL, as Spark's plain reader). */
  readonly rescuedDataColumn?: string | undefined;
  /** Whether fields the schema lacks are rescued (else ignored). */
  readonly rescueNewColumns: boolean;
  /** Parquet: the files' own type of each schema column (undefined where unknown or absent). */
  readonly sourceTypes?: readonly (string | undefined)[];
}

/**
 * Converts the raw relation's values to the schema and adds the rescued data column (when the
 * projection names one) and `_source_file`. Kept small on purpose: DuckDB's planning cost grows
 * with the expression count and dominates tiny batches, so columns whose conversion cannot fail
 * get neither a conversion nor a rescue check.
 */
export function projectRaw(
  raw: string,
  format: FileFormat,
  schema: FileSchema,
  projection: Projection = { rescuedDataColumn: '_rescued_data', rescueNewColumns: true },
): string {
  const cols = schema.columns;
  const source = (i: number) => projection.sourceTypes?.[i];
  const typed = cols.map((c, i) => rawIsTyped(format, c.type, source(i)));
  const castItems = cols.map((c, i) =>
    typed[i] ? `__v${i}` : castSql(format, `__v${i}`, c.type, source(i)),
  );
  const checked = cols.flatMap((c, i) => (typed[i] ? [] : [[c, i] as const]));
  const inner = `SELECT __src, __bad, __x${cols.map((_, i) => `, __v${i}`).join('')}${castItems.map((c, i) => `, ${c} AS __c${i}`).join('')} FROM (${raw})`;
  const outCols = cols.map((c, i) => `__c${i} AS ${sqlIdent(c.name)}`);
  const rescueColumn = projection.rescuedDataColumn;
  if (rescueColumn !== undefined) {
    // A JSON null in a patch removes nothing here (`__x` never holds a schema column's exact name),
    // so the failed values are patched in as one `json_object` whose other entries are null.
    const failures = `json_object(${checked
      .map(
        ([c, i]) =>
          `${sqlString(c.name)}, (CASE WHEN __c${i} IS NULL THEN ${rescueValue(format, `__v${i}`, c.type)} END)::JSON`,
      )
      .join(', ')})`;
    const unknown = projection.rescueNewColumns ? '__x' : 'NULL::JSON';
    const rescued =
      `CASE WHEN __bad IS NOT NULL THEN __bad ` +
      `WHEN ${[`${unknown} IS NOT NULL`, ...checked.map(([, i]) => `(__v${i} IS NOT NULL AND __c${i} IS NULL)`)].join(' OR ')} ` +
      `THEN json_merge_patch(COALESCE(${unknown}, '{}'::JSON), ${failures})::VARCHAR END`;
    outCols.push(`${rescued} AS ${sqlIdent(rescueColumn)}`);
  }
  return `SELECT ${[...outCols, `__src::VARCHAR AS ${SOURCE_FILE_COLUMN}`].join(', ')}\nFROM (${inner})`;
}

/**
 * The raw relation for a batch (see the module comment). `cleanJson`: the batch is newline-delimited
 * JSON that `jsonShapeCheckSql` found clean, so DuckDB's JSON reader reads it.
 */
export function rawRelationSql(
  format: FileFormat,
  paths: readonly string[],
  csvLayouts: readonly CsvLayout[],
  schema: FileSchema,
  options: FileSourceOptions,
  cleanJson = false,
  xmlNested = false,
): string {
  switch (format) {
    case 'json':
      if (paths.length === 0) return emptyRaw(schema.columns.length);
      return cleanJson && !options.multiLine && schema.columns.length > 0
        ? jsonRecordsRaw(paths, schema)
        : jsonRaw(paths, schema, options);
    case 'csv':
      return csvRaw(csvLayouts, schema, options);
    case 'parquet':
      return parquetRaw(paths, schema);
    case 'text':
      return textRaw(paths, schema, options);
    case 'xml':
      if (paths.length === 0) return emptyRaw(schema.columns.length);
      return xmlRawSql(paths, schema, xmlOptionsOf(options), xmlNested);
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}

/** The XML options of an XML source's options (set whenever the format is xml). */
export function xmlOptionsOf(options: FileSourceOptions) {
  if (options.xml === undefined) throw new Error('XML source options without rowTag');
  return options.xml;
}

/**
 * A query that reads every byte of `paths` the way a batch's reader does (decompressing, decoding
 * UTF-8, splitting lines or CSV fields, decoding every Parquet column) and fails where it fails,
 * without the cost of the batch's projection: for finding the files that cannot be read.
 */
export function readerCheckSql(
  format: FileFormat,
  paths: readonly string[],
  csvLayouts: readonly CsvLayout[],
  options: FileSourceOptions,
): string {
  switch (format) {
    case 'json':
      return paths.length === 0 ? 'SELECT 0' : `SELECT count(__line) FROM (${jsonLines(paths, options)})`;
    case 'csv':
      return `SELECT count(__x) FROM (${csvRaw(csvLayouts, { columns: [] }, options)})`;
    case 'parquet':
      return paths.length === 0
        ? 'SELECT 0'
        : `SELECT count(COLUMNS(*)) FROM read_parquet(${fileList(paths)}, union_by_name = true)`;
    case 'text':
      return `SELECT count(__v0) FROM (${textRaw(paths, TEXT_SCHEMA, options)})`;
    case 'xml':
      return paths.length === 0 ? 'SELECT 0' : `SELECT count(content) FROM read_text(${fileList(paths)})`;
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}

/** SOURCE_FILE_UNREADABLE for a planned file that no longer exists (see `checkFilesReadable`). */
export function missingFile(path: string, cause: unknown, root?: string): SluiceError {
  const code = (cause as NodeJS.ErrnoException)?.code;
  const reason = code === 'ENOENT' || code === 'ENOTDIR' ? 'it no longer exists' : firstLineOf(cause);
  return unreadableFile(path, reason, {
    cause,
    domain: 'external',
    hint: false,
    advice:
      "restore it, or set the read_files option ignoreMissingFiles => 'true' to skip files deleted after they were listed (each one is reported as a warning)",
    ...(root !== undefined ? { root } : {}),
  });
}

/**
 * The files' total size in bytes, and the files that no longer exist (or are no longer regular
 * files) — each a SOURCE_FILE_UNREADABLE error naming it.
 */
export async function checkFilesReadable(
  paths: readonly string[],
  root?: string,
): Promise<{ bytes: number; missing: { path: string; error: SluiceError }[] }> {
  let bytes = 0;
  const missing: { path: string; error: SluiceError }[] = [];
  for (const path of paths) {
    try {
      const st = await stat(path);
      if (!st.isFile()) throw new Error('not a regular file');
      bytes += st.size;
    } catch (e) {
      missing.push({ path, error: missingFile(path, e, root) });
    }
  }
  return { bytes, missing };
}
