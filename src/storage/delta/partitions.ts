/**
 * Partition directories and values.
 *
 * On disk a partitioned file lives under Hive-style directories `col=value/…`, where column
 * names and values are escaped the way Spark's `escapePathName` does (each character of a fixed
 * set becomes `%XX`) and a null value is `__HIVE_DEFAULT_PARTITION__`. In the log, `add.path` is
 * that relative path URI-encoded once more (so `A/A` → dir `x=A%2FA` → path `x=A%252FA`).
 * Partition values in the log are strings serialized per the Delta protocol.
 */
import { sqlString } from '../../util/index.ts';
import { type DeltaType, deltaTypeToDuckDB } from './schema.ts';

/** Directory name used for a null partition value. */
export const HIVE_DEFAULT_PARTITION = '__HIVE_DEFAULT_PARTITION__';

/** Characters Spark escapes in partition path names (ExternalCatalogUtils.charToEscape, non-Windows). */
function needsPathEscape(code: number): boolean {
  if (code >= 0x01 && code <= 0x1f) return true;
  switch (String.fromCharCode(code)) {
    case '"':
    case '#':
    case '%':
    case "'":
    case '*':
    case '/':
    case ':':
    case '=':
    case '?':
    case '\\':
    case '\x7f':
    case '{':
    case '[':
    case ']':
    case '^':
      return true;
    default:
      return false;
  }
}

/** Spark's `escapePathName`: each special character becomes `%XX` (uppercase hex). */
function escapePathName(s: string): string {
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0) as number;
    out += code < 0x80 && needsPathEscape(code) ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : ch;
  }
  return out;
}

/** Spark's `unescapePathName`: `%XX` sequences back to characters; malformed sequences stay as they are. */
export function unescapePathName(s: string): string {
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/**
 * The relative directory for a partition: `encodePartitionPath(['x', 'y'], {x: 'A/A', y: null})`
 * = `x=A%2FA/y=__HIVE_DEFAULT_PARTITION__` (an empty string is written as null, as Spark does).
 * Values are the serialized partition values (see `serializePartitionValue`). Returns '' when
 * there are no partition columns. This is the on-disk path; use `encodeAddPath` for `add.path`.
 */
export function encodePartitionPath(
  columns: readonly string[],
  values: Readonly<Record<string, string | null | undefined>>,
): string {
  return columns
    .map((c) => {
      const v = values[c];
      const enc = v === null || v === undefined || v === '' ? HIVE_DEFAULT_PARTITION : escapePathName(v);
      return `${escapePathName(c)}=${enc}`;
    })
    .join('/');
}

/** Characters percent-encoded in an `add.path` (what java.net.URI does to a path: not unreserved, not `/`, not non-ASCII). */
function needsUriEscape(ch: string): boolean {
  const code = ch.codePointAt(0) as number;
  if (code >= 0x80) return false;
  if (code <= 0x20 || code === 0x7f) return true;
  return '%"<>\\^`{|}#?[]'.includes(ch);
}

/** URI-encodes a relative on-disk path for `add.path` / `remove.path` (inverse of decodeAddPath). */
export function encodeAddPath(relativePath: string): string {
  let out = '';
  for (const ch of relativePath) {
    out += needsUriEscape(ch)
      ? [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')
      : ch;
  }
  return out;
}

/**
 * Decodes an `add.path` (URI-encoded) to the on-disk relative path (or absolute path for a
 * `file:` URI). Malformed percent sequences are left as they are.
 */
export function decodeAddPath(path: string): string {
  let p = path;
  if (p.startsWith('file:')) {
    p = p.replace(/^file:(\/\/[^/]*)?/, '');
  }
  if (!p.includes('%')) return p;
  try {
    return decodeURIComponent(p);
  } catch {
    // Decode only well-formed UTF-8 sequences, byte run by byte run.
    return p.replace(/(%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

/**
 * Serializes a JS value as a Delta partition value string (null stays null). Dates as
 * `YYYY-MM-DD`, timestamps as `YYYY-MM-DD HH:MM:SS.ffffff` (UTC), booleans `true`/`false`.
 */
export function serializePartitionValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString().replace('T', ' ').replace('Z', '000');
  return String(value);
}

/**
 * A DuckDB SQL expression of type `deltaTypeToDuckDB(type)` for a serialized partition value,
 * per the protocol's partition value serialization. Null (or '' for non-string types) → typed NULL.
 * Timestamps without an offset are UTC (`1970-01-01 00:00:00[.ffffff]`); ISO-8601 with `Z` is accepted.
 */
export function partitionValueSql(value: string | null | undefined, type: DeltaType): string {
  const duck = deltaTypeToDuckDB(type);
  if (value === null || value === undefined) return `CAST(NULL AS ${duck})`;
  if (value === '' && type !== 'string' && type !== 'binary') return `CAST(NULL AS ${duck})`;
  switch (type) {
    case 'string':
      return sqlString(value);
    case 'binary':
      return `encode(${sqlString(value)})`;
    case 'timestamp': {
      const zoned = /\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$/.test(value);
      return zoned
        ? `CAST(${sqlString(value)} AS TIMESTAMP WITH TIME ZONE)`
        : `timezone('UTC', CAST(${sqlString(value)} AS TIMESTAMP))`;
    }
    case 'timestamp_ntz':
      return `CAST(${sqlString(value.replace(/Z$/, ''))} AS TIMESTAMP)`;
    default:
      return `CAST(${sqlString(value)} AS ${duck})`;
  }
}
