import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isSluiceError, SluiceError } from '../../errors/index.ts';
import type { FileFormat } from '../../model/index.ts';
import { type DuckDBConnection, parseDuckType, sqlIdent, sqlString } from '../../util/index.ts';
import {
  culpritOf,
  type FileReadHooks,
  type FileRef,
  pathsOf,
  readableFiles,
  toFileSourceError,
} from './file-access.ts';
import { csvCast } from './file-casts.ts';
import { diagnoseReadFailure } from './file-checks.ts';
import { readCsvLayouts } from './file-csv-layouts.ts';
import {
  checkFileFormat,
  type FileSourceOptions,
  type RawFileOptions,
  toFileOptions,
} from './file-options.ts';
import { jsonObjectsSql, rawRelationSql, TEXT_SCHEMA, xmlOptionsOf } from './file-read.ts';
import {
  applySchemaHints,
  type FileColumn,
  type FileSchema,
  mergeFileSchemas,
  normalizeDuckDBType,
  parseSchemaDdl,
  SOURCE_FILE_COLUMN,
} from './file-schema.ts';
import { inferXml } from './file-xml.ts';
import type { ParquetColumns, ParquetSchemas } from './parquet-schemas.ts';

/**
 * Schema inference and evolution of file sources, as Spark's readers infer:
 * - JSON (Spark's `JsonInferSchema`): integers → BIGINT, other numbers → DOUBLE, booleans →
 *   BOOLEAN, strings → STRING (a string that looks like a date or timestamp stays a STRING: Spark
 *   infers those only with `inferTimestamp`), integers and doubles together → DOUBLE, any other mix
 *   → STRING, objects → STRUCT, arrays → ARRAY of the merged element type; struct fields — and the
 *   top-level columns — sorted by name; empty strings count as no value (NULL); objects with no
 *   fields are dropped; a field never seen with a value is a STRING. With `inferColumnTypes =
 *   false` (Auto Loader's default) every top-level column is a STRING (objects as their JSON text).
 * - CSV: BOOLEAN, INT, BIGINT, DOUBLE, DATE, TIMESTAMP — the first every non-empty sampled value
 *   reads as (by the rules the batch reads values with, see `file-casts.ts`), else STRING; an
 *   integer column with values beyond BIGINT is a STRING (Spark: DECIMAL).
 * - Parquet: the files' own types; text: one `value STRING` column.
 */

/** Rows sampled for type inference, in file order. */
const INFERENCE_ROWS = 20000;

/** A key that stands for an empty object in the inference sample (Spark drops empty structs). */
const EMPTY_OBJECT_KEY = '__sluice_empty_object__';

/**
 * The sampled object `x` (JSON) as text json_structure reads the way Spark infers: empty strings
 * become null, `{}` an object whose only key is EMPTY_OBJECT_KEY. In minified JSON these patterns
 * can only be those tokens (a quote inside a string is escaped), and a replacement inside a string
 * value keeps it a string. Each runs twice: neighbouring tokens share the separator between them.
 * Objects with neither pattern (most) are left as they are: a long line is not copied.
 */
function inferenceText(x: string): string {
  let t = `json(${x})::VARCHAR`;
  for (let i = 0; i < 2; i++) t = `regexp_replace(${t}, '([:\\[,])""([,\\]}])', '\\1null\\2', 'g')`;
  const empty = `{"${EMPTY_OBJECT_KEY}":null}`;
  for (let i = 0; i < 2; i++) t = `regexp_replace(${t}, '([:\\[,])\\{\\}([,\\]}])', '\\1${empty}\\2', 'g')`;
  const text = `${x}::VARCHAR`;
  return `CASE WHEN contains(${text}, '""') OR regexp_matches(${text}, '\\{\\s*\\}') THEN ${t} ELSE ${text} END`;
}

/** Keeps the first of names differing only by case (DuckDB identifiers and struct fields are case-insensitive). */
function dedupeNames<T extends { readonly name: string }>(items: readonly T[]): T[] {
  const seen = new Set<string>();
  return items.filter((c) => !seen.has(c.name.toLowerCase()) && seen.add(c.name.toLowerCase()) !== undefined);
}

/** Spark's order of field names (Java `String.compareTo`: UTF-16 code units). */
function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** A type inferred from JSON values, before Spark's canonicalization (NullType, empty structs). */
type Inferred =
  | 'null'
  | 'boolean'
  | 'long'
  | 'double'
  | 'string'
  | { readonly array: Inferred }
  | { readonly fields: ReadonlyMap<string, Inferred> };

/** One json_structure node of a single document as an inferred type. */
function fromStructure(node: unknown): Inferred {
  if (Array.isArray(node)) return { array: fromStructure(node[0] ?? 'NULL') };
  if (node !== null && typeof node === 'object') {
    const fields = new Map<string, Inferred>();
    for (const [name, child] of Object.entries(node))
      if (name !== EMPTY_OBJECT_KEY) fields.set(name, fromStructure(child));
    return { fields };
  }
  switch (node) {
    case 'NULL':
      return 'null';
    case 'BOOLEAN':
      return 'boolean';
    case 'UBIGINT':
    case 'BIGINT':
    case 'HUGEINT':
      return 'long';
    case 'DOUBLE':
      return 'double';
    default:
      return 'string'; // VARCHAR, and JSON: values of conflicting types within the document
  }
}

/** Spark's `compatibleType` of two inferred types: the narrowest type both fit, STRING when none. */
function mergeInferred(a: Inferred, b: Inferred): Inferred {
  if (a === 'null') return b;
  if (b === 'null') return a;
  if (typeof a === 'string' && typeof b === 'string') {
    if (a === b) return a;
    if ((a === 'long' && b === 'double') || (a === 'double' && b === 'long')) return 'double';
    return 'string';
  }
  if (typeof a === 'object' && typeof b === 'object') {
    if ('array' in a && 'array' in b) return { array: mergeInferred(a.array, b.array) };
    if ('fields' in a && 'fields' in b) {
      const fields = new Map(a.fields);
      for (const [name, t] of b.fields) {
        const known = fields.get(name);
        fields.set(name, known === undefined ? t : mergeInferred(known, t));
      }
      return { fields };
    }
  }
  return 'string';
}

/**
 * An inferred type as a column type, canonicalized as Spark does: never-seen values are STRING,
 * structs sorted by field name, and a struct with no fields (or an array of such) dropped.
 */
function columnType(t: Inferred): string | undefined {
  if (typeof t === 'string') {
    return { null: 'VARCHAR', boolean: 'BOOLEAN', long: 'BIGINT', double: 'DOUBLE', string: 'VARCHAR' }[t];
  }
  if ('array' in t) {
    const element = columnType(t.array);
    return element === undefined ? undefined : `${element}[]`;
  }
  const fields = structFields(t.fields);
  return fields.length === 0
    ? undefined
    : `STRUCT(${fields.map((f) => `${sqlIdent(f.name)} ${f.type}`).join(', ')})`;
}

function structFields(fields: ReadonlyMap<string, Inferred>): FileColumn[] {
  const out: FileColumn[] = [];
  for (const [name, t] of fields) {
    if (name === '') continue;
    const type = columnType(t);
    if (type !== undefined) out.push({ name, type });
  }
  return dedupeNames(out.sort(byName));
}

async function queryRowsOf(conn: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await conn.runAndReadAll(sql)).getRowsJson() as unknown[][];
}

/**
 * JSON: the structure of each of the first ${INFERENCE_ROWS} objects (json_structure, one
 * document at a time, so a long line is parsed alone), merged by Spark's rules over the distinct
 * structures.
 */
async function inferJson(
  conn: DuckDBConnection,
  paths: string[],
  opts: FileSourceOptions,
): Promise<FileColumn[]> {
  const raw = jsonObjectsSql(paths, opts);
  const sample = `SELECT __x FROM (${raw}) WHERE __x IS NOT NULL LIMIT ${INFERENCE_ROWS}`;
  const rows = await queryRowsOf(
    conn,
    `SELECT DISTINCT json_structure(${inferenceText('__x')})::VARCHAR AS s FROM (${sample})`,
  );
  let merged: Inferred = 'null';
  for (const [structure] of rows) {
    if (typeof structure === 'string') merged = mergeInferred(merged, fromStructure(JSON.parse(structure)));
  }
  if (typeof merged !== 'object' || !('fields' in merged)) return [];
  if (opts.inferColumnTypes) return structFields(merged.fields);
  const names = [...merged.fields.keys()].filter((n) => n !== '').map((name) => ({ name, type: 'VARCHAR' }));
  return dedupeNames(names.sort(byName));
}

/**
 * `v` for the type checks: a value longer than any boolean, number, date or timestamp is
 * replaced by one that fits none of them, so a long value (a text of megabytes) is not copied
 * by every check.
 */
function checkedValue(v: string, alias: string): string {
  return `CASE WHEN strlen(${v}) > 256 THEN '#' ELSE ${v} END AS ${alias}`;
}

/** CSV types in the order Spark's `CSVInferSchema` tries them (INT before BIGINT: `1` is an INT). */
const CSV_CANDIDATES = ['BOOLEAN', 'INTEGER', 'BIGINT', 'DOUBLE', 'DATE', 'TIMESTAMPTZ'] as const;

/** Per-column counts: the non-null sampled values of `v` (VARCHAR), and how many read as each candidate type. */
function typeChecks(v: string): string {
  const dateLike = `regexp_full_match(trim(${v}), '[0-9]{4}-[0-9]{2}-[0-9]{2}')`;
  const timestampLike = `regexp_matches(trim(${v}), '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]')`;
  const reads = (type: string) => `${csvCast(v, parseDuckType(type))} IS NOT NULL`;
  // An integer too large for BIGINT is no DOUBLE (Spark infers a DECIMAL; DOUBLE would round it).
  const integral = `regexp_full_match(${v}, '[+-]?[0-9]+')`;
  return [
    `count(${v})`,
    `count(${v}) FILTER (${reads('BOOLEAN')})`,
    `count(${v}) FILTER (${reads('INTEGER')})`,
    `count(${v}) FILTER (${reads('BIGINT')})`,
    `count(${v}) FILTER (${reads('DOUBLE')} AND (NOT ${integral} OR ${reads('BIGINT')}))`,
    `count(${v}) FILTER (${dateLike} AND ${reads('DATE')})`,
    `count(${v}) FILTER (${timestampLike} AND ${reads('TIMESTAMPTZ')})`,
  ].join(', ');
}

function typeFromChecks(counts: readonly number[]): string {
  const [n, ...fits] = counts as [number, ...number[]];
  if (n === 0) return 'VARCHAR';
  const i = fits.indexOf(n);
  return i < 0 ? 'VARCHAR' : CSV_CANDIDATES[i]!;
}

/**
 * CSV columns come from the headers (union over the sampled files, in order of appearance); their
 * types from the values of up to ${INFERENCE_ROWS} sampled rows (see the module comment).
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
  const width = CSV_CANDIDATES.length + 1;
  return names.map((name, i) => ({ name, type: typeFromChecks(row.slice(i * width, (i + 1) * width)) }));
}

async function inferParquet(
  conn: DuckDBConnection,
  paths: string[],
  opts: FileSourceOptions,
  remembered?: ParquetSchemas,
): Promise<FileColumn[]> {
  const read = async (): Promise<ParquetColumns> => {
    const sql = `SELECT * FROM read_parquet([${paths.map(sqlString).join(', ')}], union_by_name = true)`;
    const reader = await conn.runAndReadAll(`SELECT * FROM (${sql}) LIMIT 0`);
    return { names: reader.columnNames(), types: reader.columnTypes() };
  };
  try {
    const { names, types } = remembered ? await remembered.of(paths, read) : await read();
    return names
      .map((name, i) => ({ name, type: normalizeDuckDBType(types[i]!, true) }))
      .filter((c) => c.name !== SOURCE_FILE_COLUMN && c.name !== opts.rescuedDataColumn);
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
  if (format === 'text') return TEXT_SCHEMA;
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
        return { columns: dedupeNames(await inferJson(conn, sample, opts)) };
      case 'csv':
        return { columns: dedupeNames(await inferCsv(conn, sample, opts)) };
      case 'parquet':
        return { columns: dedupeNames(await inferParquet(conn, sample, opts, hooks.parquetSchemas)) };
      case 'xml': {
        const hinted = new Set(
          opts.schemaHints ? parseSchemaDdl(opts.schemaHints).columns.map((c) => c.name.toLowerCase()) : [],
        );
        const columns = await inferXml(
          conn,
          sample,
          xmlOptionsOf(opts),
          opts.inferColumnTypes,
          hinted,
          hooks.root,
          hooks.xmlChecked,
        );
        return { columns };
      }
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

/**
 * The schema to read a file source with: the explicit `schema` option (Spark DDL, see
 * `parseSchemaDdl`) when given, else inferred from the first `schemaInferenceFiles` non-empty
 * files of `files` (see the module comment) with the types of `schemaHints` applied. Text files
 * have the fixed schema `value STRING`. Only empty files (or none) give `{columns: []}` (or just
 * the hinted columns) — a later batch then evolves it. With a `schema` and `failOnNewColumns`,
 * files with columns the schema lacks are SOURCE_SCHEMA_NEW_COLUMNS already.
 */
export async function inferFileSchema(
  conn: DuckDBConnection,
  files: readonly FileRef[],
  format: FileFormat | string,
  options: RawFileOptions | FileSourceOptions = {},
  hooks: FileReadHooks = {},
): Promise<FileSchema> {
  const fmt = checkFileFormat(format);
  const opts = toFileOptions(options, { format: fmt });
  if (fmt === 'text') return TEXT_SCHEMA;
  if (opts.schema === undefined)
    return applySchemaHints(await inferFromFiles(conn, files, fmt, opts, hooks), opts.schemaHints);
  const declared = parseSchemaDdl(opts.schema);
  // failOnNewColumns holds the first files to the declared schema too.
  return opts.schemaEvolutionMode === 'failOnNewColumns'
    ? evolveFileSchema(conn, declared, files, fmt, opts, hooks)
    : declared;
}

/**
 * The schema for a later batch, by `schemaEvolutionMode`: `addNewColumns` appends the columns
 * first seen in `newFiles` (existing columns keep their types: a value that no longer fits is
 * rescued); `rescue` and `none` keep `persisted` (new fields are rescued, or ignored); with
 * `failOnNewColumns`, new columns are SOURCE_SCHEMA_NEW_COLUMNS naming them.
 */
export async function evolveFileSchema(
  conn: DuckDBConnection,
  persisted: FileSchema,
  newFiles: readonly FileRef[],
  format: FileFormat | string,
  options: RawFileOptions | FileSourceOptions = {},
  hooks: FileReadHooks = {},
): Promise<FileSchema> {
  const fmt = checkFileFormat(format);
  const opts = toFileOptions(options, { format: fmt });
  if (newFiles.length === 0 || fmt === 'text') return persisted;
  const mode = opts.schemaEvolutionMode;
  if (mode === 'rescue' || mode === 'none') return persisted;
  const found = applySchemaHints(await inferFromFiles(conn, newFiles, fmt, opts, hooks), opts.schemaHints);
  const merged = mergeFileSchemas(persisted, found);
  if (mode === 'addNewColumns' || merged === persisted) return merged;
  const added = merged.columns.slice(persisted.columns.length).map((c) => c.name);
  throw new SluiceError(
    'SOURCE_SCHEMA_NEW_COLUMNS',
    `new files bring column${added.length > 1 ? 's' : ''} ${added.map((n) => `'${n}'`).join(', ')} that the source's schema lacks, ` +
      `and schemaEvolutionMode is failOnNewColumns; add ${added.length > 1 ? 'them' : 'it'} to the schema (schema or schemaHints), ` +
      `remove the files, or read with schemaEvolutionMode 'addNewColumns' or 'rescue'`,
    { params: { columns: added } },
  );
}
