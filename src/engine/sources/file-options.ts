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
}

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

function parseChar(key: string, v: string | number | boolean, allowEmpty: boolean): string {
  const s = String(v).replaceAll('\\t', '\t');
  if (s.length > 1 || (!allowEmpty && s.length === 0)) throw invalid(key, v, 'expected a single character');
  return s;
}

/**
 * Normalizes options; keys are case-insensitive (`maxFilesPerTrigger` = `maxfilespertrigger`) and
 * `sep` is an alias of `delimiter`. Options that do not apply to file reading (`format` is taken
 * separately) are ignored, as Spark does.
 */
export function parseFileOptions(raw: RawFileOptions): FileSourceOptions {
  const o = new Map<string, string | number | boolean>();
  for (const [k, v] of Object.entries(raw)) if (v !== undefined) o.set(k.toLowerCase(), v);
  const get = (k: string) => o.get(k.toLowerCase());
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
  };
}

/** Options as given or already normalized. */
export function toFileOptions(options: RawFileOptions | FileSourceOptions): FileSourceOptions {
  return isNormalized(options) ? options : parseFileOptions(options as RawFileOptions);
}

function isNormalized(o: RawFileOptions | FileSourceOptions): o is FileSourceOptions {
  return (
    typeof o.header === 'boolean' && typeof o.maxFilesPerTrigger === 'number' && 'schemaInferenceFiles' in o
  );
}

/** Rejects formats `read_files` does not ingest. */
export function checkFileFormat(format: string): FileFormat {
  const f = format.toLowerCase();
  if (f === 'json' || f === 'csv' || f === 'parquet') return f;
  throw invalid('format', format, "expected 'json', 'csv' or 'parquet'");
}
