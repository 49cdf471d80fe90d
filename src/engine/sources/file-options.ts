import { SluiceError } from '../../errors/index.ts';
import type { FileFormat } from '../../model/index.ts';
import { DEFAULT_MAX_FILES_PER_TRIGGER } from './file-discovery.ts';

/** `read_files` options as written in SQL (strings) or the TypeScript API (booleans / numbers too). */
export type RawFileOptions = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * Normalized `read_files` options. Defaults follow Databricks `read_files`:
 * CSV `header = false` (columns are then `_c0`, `_c1`, …), `delimiter = ','`, `quote = '"'`,
 * `escape = '"'`; `inferColumnTypes = true`; `multiLine = false` (JSON lines).
 */
export interface FileSourceOptions {
  readonly header: boolean;
  readonly delimiter: string;
  readonly quote: string;
  readonly escape: string;
  /** JSON: one document may span lines / the file is an array. Such files get no per-line rescue. */
  readonly multiLine: boolean;
  /** Explicit Spark DDL schema; when set there is no inference and no schema evolution. */
  readonly schema?: string;
  /** False: inferred JSON/CSV columns are all VARCHAR (Spark's string inference). */
  readonly inferColumnTypes: boolean;
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
 * Normalizes options; keys are case-insensitive (`maxFilesPerTrigger` = `maxfilespertrigger`), Auto
 * Loader's `cloudFiles.` prefix is optional (`cloudFiles.allowOverwrites` = `allowOverwrites`; the
 * unprefixed key wins when both are given) and `sep` is an alias of `delimiter`. Options that do
 * not apply to file reading (`format` is taken separately) are ignored, as Spark does.
 */
export function parseFileOptions(raw: RawFileOptions): FileSourceOptions {
  const o = new Map<string, string | number | boolean>();
  const prefixed = new Map<string, string | number | boolean>();
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    const key = k.toLowerCase();
    if (key.startsWith('cloudfiles.')) prefixed.set(key.slice('cloudfiles.'.length), v);
    else o.set(key, v);
  }
  for (const [k, v] of prefixed) if (!o.has(k)) o.set(k, v);
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
  return {
    header: header === undefined ? false : parseBool('header', header),
    delimiter: delimiter === undefined ? ',' : parseChar('delimiter', delimiter, false),
    quote: quote === undefined ? '"' : parseChar('quote', quote, true),
    escape: escapeOpt === undefined ? '"' : parseChar('escape', escapeOpt, true),
    multiLine: multiLine === undefined ? false : parseBool('multiLine', multiLine),
    ...(schema !== undefined && String(schema).trim() !== '' ? { schema: String(schema) } : {}),
    inferColumnTypes: infer === undefined ? true : parseBool('inferColumnTypes', infer),
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
  };
}

/** Options as given or already normalized. */
export function toFileOptions(options: RawFileOptions | FileSourceOptions): FileSourceOptions {
  return isNormalized(options) ? options : parseFileOptions(options as RawFileOptions);
}

function isNormalized(o: RawFileOptions | FileSourceOptions): o is FileSourceOptions {
  return (
    typeof o.header === 'boolean' &&
    typeof o.maxFilesPerTrigger === 'number' &&
    'schemaInferenceFiles' in o &&
    typeof o.maxRecordSize === 'number'
  );
}

/** Rejects formats `read_files` does not ingest. */
export function checkFileFormat(format: string): FileFormat {
  const f = format.toLowerCase();
  if (f === 'json' || f === 'csv' || f === 'parquet') return f;
  throw invalid('format', format, "expected 'json', 'csv' or 'parquet'");
}
