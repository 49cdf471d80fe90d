import { SluiceError } from '../../errors/index.ts';
import type { FileFormat, FileInputFormat, FileReader } from '../../model/index.ts';
import { parseXmlOptions, XML_OPTION_KEYS, type XmlReadOptions } from '../../sql/index.ts';
import { DEFAULT_MAX_FILES_PER_TRIGGER } from './file-discovery.ts';

/** `read_files` options as written in SQL (strings) or the TypeScript API (booleans / numbers too). */
export type RawFileOptions = Readonly<Record<string, string | number | boolean | undefined>>;

/** Auto Loader's `schemaEvolutionMode`: what a batch does with columns the schema lacks. */
export type SchemaEvolutionMode = 'addNewColumns' | 'rescue' | 'failOnNewColumns' | 'none';

const EVOLUTION_MODES: readonly SchemaEvolutionMode[] = [
  'addNewColumns',
  'rescue',
  'failOnNewColumns',
  'none',
];

/** The rescued data column of `read_files` and Auto Loader when the schema is inferred. */
export const DEFAULT_RESCUED_DATA_COLUMN = '_rescued_data';

/**
 * Normalized file source options. Defaults follow Databricks `read_files` / Auto Loader (and
 * Spark's plain reader for file-path tables, `reader = 'path'`), see `parseFileOptions`.
 */
export interface FileSourceOptions {
  /** The reader the options were written for; it set the defaults below. */
  readonly reader: FileReader;
  /**
   * CSV: the first line of each file names its columns. Default true when the schema is inferred
   * (Auto Loader and `read_files` treat the first line as a header then), false with an explicit
   * `schema` and for ``csv.`path` `` (Spark's reader), where columns are `_c0`, `_c1`, ….
   */
  readonly header: boolean;
  readonly delimiter: string;
  readonly quote: string;
  readonly escape: string;
  /** JSON: one document may span lines / the file is an array. Such files get no per-line rescue. */
  readonly multiLine: boolean;
  /** Text: one row per file (Spark's `wholetext`) instead of one per line. */
  readonly wholeText: boolean;
  /** Explicit Spark DDL schema; when set there is no inference and no schema evolution. */
  readonly schema?: string;
  /**
   * False: inferred JSON/CSV columns are all VARCHAR (nested JSON values as their JSON text).
   * Default true for `read_files` and ``json.`path` ``, false for `cloud_files` (Auto Loader's
   * `cloudFiles.inferColumnTypes`) and ``csv.`path` `` (Spark's `inferSchema`).
   */
  readonly inferColumnTypes: boolean;
  /** `schemaHints` (Spark DDL, `a INT, b STRING`): types that override the inferred ones. */
  readonly schemaHints?: string;
  /**
   * `schemaEvolutionMode`: `addNewColumns` (default without `schema`) adds the columns new files
   * bring; `rescue` keeps the schema and puts new columns in the rescued data column;
   * `failOnNewColumns` fails the flow (SOURCE_SCHEMA_NEW_COLUMNS); `none` (default with `schema`)
   * keeps the schema and ignores new columns (rescued only when `rescuedDataColumn` is set).
   */
  readonly schemaEvolutionMode: SchemaEvolutionMode;
  /**
   * The rescued data column's name, or undefined for none: `_rescued_data` when the schema is
   * inferred (`read_files`, `cloud_files`) and evolves; none unless `rescuedDataColumn` names one
   * with an explicit `schema` or in mode `none` (Auto Loader: "data is not rescued unless the
   * rescuedDataColumn option is set"), for file-path tables (Spark's plain reader: a value that
   * does not fit its column is NULL) and for text files.
   */
  readonly rescuedDataColumn?: string;
  /** Whether fields the schema lacks go to the rescued data column (not in mode `none`, unless it was named). */
  readonly rescueNewColumns: boolean;
  readonly maxFilesPerTrigger: number;
  readonly maxBytesPerTrigger?: number;
  /** How many of the first files schema inference samples (default 100). */
  readonly schemaInferenceFiles: number;
  /**
   * `followSymlinks` (sluice's own option, default true): symbolic links under the source path are
   * followed only when their target lies inside the source path itself (a link leading elsewhere is
   * skipped with a SOURCE_SYMLINK_SKIPPED warning, a link back up the tree is a loop and is not
   * walked again). False: every symbolic link below the path is ignored.
   */
  readonly followSymlinks: boolean;
  /**
   * Spark's `ignoreCorruptFiles`: a file that cannot be decoded is skipped (a SOURCE_FILE_SKIPPED
   * warning), not fatal. Spark returns what it read of such a file before the failure; sluice skips
   * all of it. Costs one more read of every new file (to find the corrupt ones before planning).
   */
  readonly ignoreCorruptFiles: boolean;
  /** Spark's `ignoreMissingFiles`: a planned file deleted before it is read is skipped (a warning). */
  readonly ignoreMissingFiles: boolean;
  /**
   * Auto Loader's `cloudFiles.allowOverwrites`: a file whose size or modification time changed after
   * it was read is read again, in full, as a new file. Otherwise the change is a SOURCE_FILE_CHANGED
   * warning and the file is not read again.
   */
  readonly allowOverwrites: boolean;
  /**
   * `minFileAge` (sluice's own option; seconds, or a duration like `30 seconds`, `2m`): files
   * modified less than this long ago are left for a later update, for writers that write files in
   * place. 0 (the default) reads a file as soon as it is listed.
   */
  readonly minFileAgeMs: number;
  /**
   * `maxRecordSize` (sluice's own option, a byte size, default 16m): the largest line a JSON-lines or
   * CSV file may have. A longer line is SOURCE_RECORD_TOO_LARGE naming the file and line, never
   * dropped. The reader holds a buffer of about this size per file it reads in parallel.
   */
  readonly maxRecordSize: number;
  /** XML sources (format xml): the XML reader's options (see `XmlReadOptions`); undefined for other formats. */
  readonly xml?: XmlReadOptions;
}

/** Default `maxRecordSize`: 16 MiB. */
export const DEFAULT_MAX_RECORD_SIZE = 16 * 1024 * 1024;

/**
 * Hadoop's codec names, accepted for Spark's `compression` option. Spark uses it only when it
 * writes files; reading, it picks the codec from each file's extension, and so does sluice.
 */
const COMPRESSION_CODECS = new Set([
  'none',
  'uncompressed',
  'bzip2',
  'deflate',
  'gzip',
  'lz4',
  'snappy',
  'zstd',
]);

function invalid(key: string, value: unknown, expected: string): SluiceError {
  return new SluiceError(
    'INVALID_FILE_SOURCE_OPTION',
    `read_files option ${key} = '${String(value)}': ${expected}`,
    {
      params: { option: key, value: String(value) },
    },
  );
}

function parseBool(key: string, v: string | number | boolean): boolean {
  if (typeof v === 'boolean') return v;
  const s = String(v).trim().toLowerCase();
  if (s === 'true') return true;
  if (s === 'false') return false;
  throw invalid(key, v, 'expected true or false');
}

function parsePositiveInt(key: string, v: string | number | boolean): number {
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  if (!Number.isInteger(n) || n < 1) throw invalid(key, v, 'expected a positive integer');
  return n;
}

const BYTE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
};

/** Parses `1048576`, `512k`, `10m`, `1g` (binary units, as Spark's byte strings). */
export function parseByteSize(key: string, v: string | number | boolean): number {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(String(v));
  const unit = m ? BYTE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined || Number(m[1]) <= 0)
    throw invalid(key, v, 'expected a byte size like 1048576, 64m or 1g');
  return Math.floor(Number(m[1]) * unit);
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  '': 1000,
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

/** Parses `30` (seconds), `30s`, `500 ms`, `2 minutes`, `1h`, `1 day` into milliseconds (0 allowed). */
export function parseDurationMs(key: string, v: string | number | boolean): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.round(v * 1000);
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(String(v));
  const unit = m ? DURATION_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined)
    throw invalid(key, v, "expected seconds or a duration like '30 seconds' or '5m'");
  return Math.round(Number(m[1]) * unit);
}

function parseCompression(v: string | number | boolean): string {
  const s = String(v).trim().toLowerCase();
  if (!COMPRESSION_CODECS.has(s)) {
    throw invalid('compression', v, `expected one of ${[...COMPRESSION_CODECS].join(', ')}`);
  }
  return s;
}

function parseChar(key: string, v: string | number | boolean, allowEmpty: boolean): string {
  const s = String(v).replaceAll('\\t', '\t');
  if (s.length > 1 || (!allowEmpty && s.length === 0)) throw invalid(key, v, 'expected a single character');
  return s;
}

/**
 * Spark and Auto Loader reader options sluice does not implement, each with the values that change
 * nothing (Spark's defaults, lower case). Any other value would make Spark read different rows or
 * values than sluice does, so it is refused rather than ignored. Options that only tune how Spark
 * works (`cloudFiles.schemaLocation`, `samplingRatio`, …) are ignored.
 */
const UNIMPLEMENTED_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  mode: ['permissive'],
  nullvalue: [''],
  emptyvalue: [''],
  nanvalue: ['nan'],
  positiveinf: ['inf'],
  negativeinf: ['-inf'],
  comment: [''],
  skiprows: ['0'],
  linesep: ['\n'],
  encoding: ['utf-8', 'utf8'],
  charset: ['utf-8', 'utf8'],
  locale: ['en-us'],
  dateformat: ['yyyy-mm-dd'],
  timestampformat: ["yyyy-mm-dd't'hh:mm:ss[.sss][xxx]"],
  ignoreleadingwhitespace: ['false'],
  ignoretrailingwhitespace: ['false'],
  primitivesasstring: ['false'],
  prefersdecimal: ['false'],
  infertimestamp: ['false'],
  dropfieldifallnull: ['false'],
  allowcomments: ['false'],
  allownumericleadingzeros: ['false'],
  allowunquotedfieldnames: ['false'],
  allowbackslashescapinganycharacter: ['false'],
  includeexistingfiles: ['true'],
  partitioncolumns: [''],
  pathglobfilter: [],
  modifiedafter: [],
  modifiedbefore: [],
};

/** Refuses an option sluice does not implement with a value that would change what is read. */
function checkImplemented(key: string, value: string | number | boolean): void {
  const accepted = UNIMPLEMENTED_OPTIONS[key];
  if (accepted === undefined || accepted.includes(String(value).trim().toLowerCase())) return;
  const hint =
    key === 'dateformat' || key === 'timestampformat'
      ? '; read the column as STRING (schemaHints) and convert it with to_date / to_timestamp(column, format)'
      : '';
  throw invalid(
    key,
    value,
    (accepted.length > 0
      ? `sluice does not implement this option; it reads as with '${accepted[0]}' (Spark's default)`
      : 'sluice does not implement this option') + hint,
  );
}

/** What the defaults of a file source's options depend on besides the options themselves. */
export interface FileOptionsContext {
  /** Default `read_files`. */
  readonly reader?: FileReader;
  /** The format read (file-path tables infer JSON types but not CSV ones, as Spark's reader). */
  readonly format?: FileInputFormat;
}

function parseEvolutionMode(v: string | number | boolean): SchemaEvolutionMode {
  const s = String(v).trim().toLowerCase();
  const mode = EVOLUTION_MODES.find((m) => m.toLowerCase() === s);
  if (!mode) throw invalid('schemaEvolutionMode', v, `expected one of ${EVOLUTION_MODES.join(', ')}`);
  return mode;
}

/**
 * Normalizes options; keys are case-insensitive (`maxFilesPerTrigger` = `maxfilespertrigger`), Auto
 * Loader's `cloudFiles.` prefix is optional (`cloudFiles.allowOverwrites` = `allowOverwrites`; the
 * unprefixed key wins when both are given) and `sep` is an alias of `delimiter`. Options that do
 * not apply to file reading (`format` is taken separately) are ignored, as Spark does. Defaults
 * depend on the reader (`context`), see the fields of {@link FileSourceOptions}.
 */
export function parseFileOptions(raw: RawFileOptions, context: FileOptionsContext = {}): FileSourceOptions {
  const reader = context.reader ?? 'read_files';
  const o = new Map<string, string | number | boolean>();
  const prefixed = new Map<string, string | number | boolean>();
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    const key = k.toLowerCase();
    if (key.startsWith('cloudfiles.')) prefixed.set(key.slice('cloudfiles.'.length), v);
    else o.set(key, v);
  }
  for (const [k, v] of prefixed) if (!o.has(k)) o.set(k, v);
  const isXml = context.format === 'xml';
  for (const [k, v] of o) if (!(isXml && XML_OPTION_KEYS.has(k))) checkImplemented(k, v);
  const get = (k: string) => o.get(k.toLowerCase());
  const bool = (k: string, fallback: boolean) => {
    const v = get(k);
    return v === undefined ? fallback : parseBool(k, v);
  };
  const header = get('header');
  const delimiter = get('delimiter') ?? get('sep');
  const quote = get('quote');
  const escapeOpt = get('escape');
  const multiLine = get('multiLine');
  const schema = get('schema');
  const infer = get('inferColumnTypes') ?? get('inferSchema');
  const maxFiles = get('maxFilesPerTrigger');
  const maxBytes = get('maxBytesPerTrigger');
  const sampleFiles = get('schemaInferenceFiles');
  const minAge = get('minFileAge');
  const maxRecord = get('maxRecordSize');
  const compression = get('compression');
  if (compression !== undefined) parseCompression(compression);
  const explicitSchema = schema !== undefined && String(schema).trim() !== '';
  const hints = get('schemaHints');
  const mode = get('schemaEvolutionMode');
  const schemaEvolutionMode =
    mode === undefined ? (explicitSchema ? 'none' : 'addNewColumns') : parseEvolutionMode(mode);
  if (explicitSchema && schemaEvolutionMode === 'addNewColumns') {
    throw invalid(
      'schemaEvolutionMode',
      mode ?? '',
      "addNewColumns needs an inferred schema: drop the schema option (schemaHints sets some types), or use 'rescue', 'failOnNewColumns' or 'none'",
    );
  }
  const rescueOpt = get('rescuedDataColumn');
  const rescueNamed = rescueOpt !== undefined && String(rescueOpt).trim() !== '';
  const rescuedDataColumn = rescueNamed
    ? String(rescueOpt).trim()
    : reader !== 'path' && !explicitSchema && schemaEvolutionMode !== 'none' && context.format !== 'text'
      ? DEFAULT_RESCUED_DATA_COLUMN
      : undefined;
  const inferDefault = reader === 'read_files' || (reader === 'path' && context.format === 'json');
  return {
    reader,
    header: header === undefined ? reader !== 'path' && !explicitSchema : parseBool('header', header),
    delimiter: delimiter === undefined ? ',' : parseChar('delimiter', delimiter, false),
    quote: quote === undefined ? '"' : parseChar('quote', quote, true),
    escape: escapeOpt === undefined ? '"' : parseChar('escape', escapeOpt, true),
    multiLine: multiLine === undefined ? isXml : parseBool('multiLine', multiLine),
    wholeText: bool('wholeText', false),
    ...(explicitSchema ? { schema: String(schema) } : {}),
    inferColumnTypes: infer === undefined ? inferDefault : parseBool('inferColumnTypes', infer),
    ...(hints !== undefined && String(hints).trim() !== '' ? { schemaHints: String(hints) } : {}),
    schemaEvolutionMode,
    ...(rescuedDataColumn !== undefined ? { rescuedDataColumn } : {}),
    rescueNewColumns: rescuedDataColumn !== undefined && (schemaEvolutionMode !== 'none' || rescueNamed),
    maxFilesPerTrigger:
      maxFiles === undefined
        ? DEFAULT_MAX_FILES_PER_TRIGGER
        : parsePositiveInt('maxFilesPerTrigger', maxFiles),
    ...(maxBytes !== undefined ? { maxBytesPerTrigger: parseByteSize('maxBytesPerTrigger', maxBytes) } : {}),
    schemaInferenceFiles:
      sampleFiles === undefined ? 100 : parsePositiveInt('schemaInferenceFiles', sampleFiles),
    followSymlinks: bool('followSymlinks', true),
    ignoreCorruptFiles: bool('ignoreCorruptFiles', false),
    ignoreMissingFiles: bool('ignoreMissingFiles', false),
    allowOverwrites: bool('allowOverwrites', false),
    minFileAgeMs: minAge === undefined ? 0 : parseDurationMs('minFileAge', minAge),
    maxRecordSize:
      maxRecord === undefined ? DEFAULT_MAX_RECORD_SIZE : parseByteSize('maxRecordSize', maxRecord),
    ...(isXml ? { xml: parseXmlOptions(raw) } : {}),
  };
}

/**
 * Options as given or already normalized (raw options get the defaults of `read_files` — or of
 * `context`).
 */
export function toFileOptions(
  options: RawFileOptions | FileSourceOptions,
  context: FileOptionsContext = {},
): FileSourceOptions {
  return isNormalized(options) ? options : parseFileOptions(options as RawFileOptions, context);
}

function isNormalized(o: RawFileOptions | FileSourceOptions): o is FileSourceOptions {
  return (
    typeof o.header === 'boolean' &&
    typeof o.maxFilesPerTrigger === 'number' &&
    'schemaInferenceFiles' in o &&
    typeof o.maxRecordSize === 'number' &&
    typeof o.rescueNewColumns === 'boolean'
  );
}

/** A files input as the options parser needs it (a `QueryInput` of kind `files`). */
export interface FileInputLike {
  readonly format: FileInputFormat;
  readonly options: RawFileOptions;
  readonly reader?: FileReader;
}

/** The normalized options of a files input, with its reader's defaults. */
export function inputFileOptions(input: FileInputLike): FileSourceOptions {
  return parseFileOptions(input.options, { reader: input.reader ?? 'read_files', format: input.format });
}

/** Rejects formats `read_files` does not ingest. */
export function checkFileFormat(format: string): FileFormat {
  const f = format.toLowerCase();
  if (f === 'json' || f === 'csv' || f === 'parquet' || f === 'text' || f === 'xml') return f;
  throw invalid('format', format, "expected 'json', 'csv', 'parquet', 'text' or 'xml'");
}
