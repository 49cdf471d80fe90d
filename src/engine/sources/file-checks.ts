/**
 * Checks of source files that keep a read from losing rows silently: compression codecs sluice
 * cannot read, lines larger than the reader's limit (DuckDB's parallel CSV reader drops such a line
 * without an error when it ends a file), and — once a read has failed — which file and line made
 * it fail. Each check reads only a few bytes of a file, except the diagnosis, which runs after a
 * failure only.
 */
import { type FileHandle, open, stat } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import { duckdbErrorParts, type ErrorDomain, isSluiceError, SluiceError } from '../../errors/index.ts';
import type { FileFormat } from '../../model/index.ts';
import { type DuckDBConnection, queryRows, sqlString } from '../../util/index.ts';

/** Codecs DuckDB decompresses itself, by file extension (as Spark picks a codec: by extension). */
const NATIVE_CODECS: Readonly<Record<string, string>> = { '.gz': 'gzip', '.zst': 'zstd' };
/** Hadoop codecs Spark reads by extension that sluice cannot decompress. */
const UNSUPPORTED_CODECS: Readonly<Record<string, string>> = {
  '.bz2': 'bzip2',
  '.deflate': 'deflate',
  '.lz4': 'lz4',
  '.snappy': 'snappy',
};

function extensionOf(path: string): string {
  const name = path.slice(path.lastIndexOf(sep) + 1);
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot).toLowerCase();
}

/** Whether DuckDB reads `path` through a decompressor (`.gz`, `.zst`). */
export function isCompressedFile(path: string): boolean {
  return NATIVE_CODECS[extensionOf(path)] !== undefined;
}

/** `path` relative to the pipeline folder when it is inside it (else as is). */
export function displayPath(path: string, root: string | undefined): string {
  if (root === undefined) return path;
  const rel = relative(root, path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/**
 * Refuses JSON and CSV files compressed with a codec Spark would decompress but DuckDB cannot
 * (`.bz2`, `.deflate`, `.lz4`, `.snappy`): reading their bytes as text would produce other rows
 * than Spark's. (Parquet files compress inside; their name says nothing.)
 * @throws SluiceError SOURCE_FILE_COMPRESSION_UNSUPPORTED
 */
export function checkCompression(paths: readonly string[], format: FileFormat, root?: string): void {
  if (format === 'parquet') return;
  for (const path of paths) {
    const codec = UNSUPPORTED_CODECS[extensionOf(path)];
    if (codec === undefined) continue;
    throw new SluiceError(
      'SOURCE_FILE_COMPRESSION_UNSUPPORTED',
      `source file ${displayPath(path, root)} is ${codec}-compressed, which sluice cannot read; ` +
        'decompress it, or compress it with gzip (.gz) or zstd (.zst), which sluice reads as they are',
      { params: { path, codec } },
    );
  }
}

const SCAN_CHUNK = 64 * 1024;

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}

/** The offset of the last `\n` in bytes [from, to] of the file, or -1; reads backwards from `to`. */
async function lastNewline(fh: FileHandle, from: number, to: number): Promise<number> {
  let end = to + 1;
  while (end > from) {
    const start = Math.max(from, end - SCAN_CHUNK);
    const at = (await readAt(fh, start, end - start)).lastIndexOf(10);
    if (at >= 0) return start + at;
    end = start;
  }
  return -1;
}

/** 1-based number of the line starting at byte `offset` (counts the newlines before it). */
async function lineNumberAt(fh: FileHandle, offset: number): Promise<number> {
  let line = 1;
  for (let pos = 0; pos < offset; pos += SCAN_CHUNK) {
    const chunk = await readAt(fh, pos, Math.min(SCAN_CHUNK, offset - pos));
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) line++;
  }
  return line;
}

/**
 * The first line of the file longer than `limit` bytes (its start, 1-based number and length), or
 * undefined. Jumps from line start to line start `limit` bytes at a time, looking back for the
 * last newline within reach: a file with short lines costs one small read per `limit` bytes.
 */
async function firstLongLine(
  path: string,
  limit: number,
): Promise<{ line: number; bytes: number } | undefined> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    let pos = 0;
    while (size - pos > limit) {
      const nl = await lastNewline(fh, pos, pos + limit);
      if (nl < 0) {
        const next = await nextNewline(fh, pos + limit + 1, size);
        return { line: await lineNumberAt(fh, pos), bytes: (next < 0 ? size : next) - pos };
      }
      pos = nl + 1;
    }
    return undefined;
  } finally {
    await fh.close();
  }
}

/** The offset of the first `\n` at or after `from`, or -1. */
async function nextNewline(fh: FileHandle, from: number, size: number): Promise<number> {
  for (let pos = from; pos < size; pos += SCAN_CHUNK) {
    const at = (await readAt(fh, pos, Math.min(SCAN_CHUNK, size - pos))).indexOf(10);
    if (at >= 0) return pos + at;
  }
  return -1;
}

function formatBytes(n: number): string {
  const mib = n / (1024 * 1024);
  return mib >= 1 ? `${Number(mib.toFixed(1))} MiB` : `${n} bytes`;
}

/** A byte size to suggest for `maxRecordSize`: the next power of two MiB above `bytes`. */
function suggestedLimit(bytes: number): string {
  let mib = 1;
  while (mib * 1024 * 1024 < bytes + 1024) mib *= 2;
  return mib >= 1024 ? `${mib / 1024}g` : `${mib}m`;
}

/** SOURCE_RECORD_TOO_LARGE for line `line` of `path`. */
export function recordTooLarge(
  path: string,
  line: number,
  limit: number,
  bytes: number | undefined,
  root: string | undefined,
): SluiceError {
  const size = bytes === undefined ? 'longer than' : `${formatBytes(bytes)}, longer than`;
  const raise = suggestedLimit(Math.max(bytes ?? limit * 2, limit + 1));
  return new SluiceError(
    'SOURCE_RECORD_TOO_LARGE',
    `${displayPath(path, root)}:${line}: the line is ${size} the largest record sluice reads (maxRecordSize = ${formatBytes(limit)}); ` +
      `raise the read_files option maxRecordSize (e.g. maxRecordSize => '${raise}'; the reader holds a buffer that large per file it reads in parallel)`,
    { params: { path, line, maxRecordSize: limit, ...(bytes !== undefined ? { bytes } : {}) } },
  );
}

/**
 * Fails with SOURCE_RECORD_TOO_LARGE (naming the file and line) when an uncompressed JSON-lines or
 * CSV file has a line longer than `limit` bytes. Compressed files cannot be read at an offset:
 * they are read without parallelism, where DuckDB itself fails on such a line (see
 * `diagnoseReadFailure`).
 */
export async function checkRecordSizes(
  paths: readonly string[],
  format: FileFormat,
  multiLine: boolean,
  limit: number,
  root?: string,
): Promise<void> {
  if (format === 'parquet' || format === 'xml' || (format === 'json' && multiLine)) return;
  for (const path of paths) {
    if (isCompressedFile(path)) continue;
    // A file no larger than the limit cannot hold a longer line (and a vanished one is not ours to report).
    const size = await stat(path).then(
      (st) => st.size,
      () => 0,
    );
    if (size <= limit) continue;
    const long = await firstLongLine(path, limit).catch(() => undefined);
    if (long) throw recordTooLarge(path, long.line, limit, long.bytes, root);
  }
}

/** Options of the diagnosis: the line reader's, so a failure reproduces. */
export interface DiagnosisOptions {
  readonly format: FileFormat;
  readonly multiLine: boolean;
  readonly maxRecordSize: number;
  readonly root?: string;
  /** Whether the message says how to skip such files (default true; false for a skipped file). */
  readonly hint?: boolean;
}

/** DuckDB's first line of an error, without its class prefix. */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const parts = duckdbErrorParts(message);
  return (parts ? parts.detail : message).split('\n')[0]!.trim();
}

const IGNORE_HINT =
  "fix or remove the file, or set the read_files option ignoreCorruptFiles => 'true' to skip files that cannot be read (each skipped file is reported as a warning)";

/** SOURCE_FILE_UNREADABLE naming `path` (and `line` when known). */
export function unreadableFile(
  path: string,
  reason: string,
  options: {
    root?: string;
    line?: number;
    cause?: unknown;
    domain?: ErrorDomain;
    /** Whether to say how to skip such files (default true). */
    hint?: boolean;
    /** What to do instead of the default hint. */
    advice?: string;
  },
): SluiceError {
  const where =
    options.line === undefined
      ? `source file ${displayPath(path, options.root)}`
      : `${displayPath(path, options.root)}:${options.line}: source file`;
  const advice = options.advice ?? (options.hint === false ? undefined : IGNORE_HINT);
  return new SluiceError(
    'SOURCE_FILE_UNREADABLE',
    `${where} cannot be read: ${reason}${advice === undefined ? '' : `; ${advice}`}`,
    {
      params: { path, reason, ...(options.line !== undefined ? { line: options.line } : {}) },
      ...(options.cause !== undefined ? { cause: options.cause } : {}),
      domain: options.domain ?? 'user',
    },
  );
}

/**
 * Why reading `path` failed with `error`, as a coded error naming the file: for JSON lines and
 * CSV, the file is read again line by line without parallelism, with DuckDB recording rejected
 * lines, to find the first line that is not valid UTF-8 (SOURCE_FILE_UNREADABLE) or is longer
 * than `maxRecordSize` (SOURCE_RECORD_TOO_LARGE); otherwise (a corrupt gzip stream or Parquet
 * file, …) SOURCE_FILE_UNREADABLE with DuckDB's reason.
 */
export async function diagnoseReadFailure(
  conn: DuckDBConnection,
  path: string,
  error: unknown,
  options: DiagnosisOptions,
): Promise<SluiceError> {
  if (isSluiceError(error)) return error;
  const common = {
    cause: error,
    ...(options.root !== undefined ? { root: options.root } : {}),
    ...(options.hint !== undefined ? { hint: options.hint } : {}),
  };
  if (
    options.format !== 'parquet' &&
    options.format !== 'xml' &&
    !(options.format === 'json' && options.multiLine)
  ) {
    const found = await rejectedLine(conn, path, options.maxRecordSize).catch(() => undefined);
    if (found?.kind === 'LINE SIZE OVER MAXIMUM') {
      return recordTooLarge(path, found.line, options.maxRecordSize, undefined, options.root);
    }
    if (found?.kind === 'INVALID ENCODING') {
      return unreadableFile(path, 'the line is not valid UTF-8 (JSON and CSV files are read as UTF-8)', {
        ...common,
        line: found.line,
      });
    }
  }
  return unreadableFile(path, reasonOf(error), common);
}

/** The first line DuckDB rejects in a plain line-by-line read of `path`, with the reason. */
async function rejectedLine(
  conn: DuckDBConnection,
  path: string,
  maxRecordSize: number,
): Promise<{ line: number; kind: string } | undefined> {
  const suffix = `${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e9)}`;
  const table = `__sluice_rejects_${suffix}`;
  const scans = `__sluice_reject_scans_${suffix}`;
  try {
    await conn.run(
      `SELECT count(*) FROM read_csv(${sqlString(path)}, columns = {'line': 'VARCHAR'}, delim = '\x01', quote = '', ` +
        `escape = '', header = false, auto_detect = false, strict_mode = false, new_line = '\\n', parallel = false, ` +
        `${lineLimits(maxRecordSize)}, store_rejects = true, rejects_table = '${table}', rejects_scan = '${scans}')`,
    );
    const [row] = await queryRows<{ line: number | string; kind: string }>(
      conn,
      `SELECT line, error_type::VARCHAR AS kind FROM ${table} ORDER BY line LIMIT 1`,
    );
    return row ? { line: Number(row.line), kind: row.kind } : undefined;
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await conn.run(`DROP TABLE IF EXISTS ${scans}`).catch(() => undefined);
  }
}

/**
 * `max_line_size` and `buffer_size` of DuckDB's CSV reader for a `maxRecordSize`: a line of
 * exactly `maxRecordSize` bytes (plus a carriage return) fits; the buffer must exceed the longest
 * line, and left to itself DuckDB takes 16 × the line limit, which a bounded memory limit cannot
 * grant — just above the limit reads as fast.
 */
export function lineLimits(maxRecordSize: number): string {
  return `max_line_size = ${maxRecordSize + 16}, buffer_size = ${maxRecordSize + 1024 * 1024}`;
}

/**
 * The SOURCE_FILE_SKIPPED warning for a file not read: `reason` is the error reading it gave
 * (a corrupt file with `ignoreCorruptFiles`, a missing one with `ignoreMissingFiles`).
 */
export function skippedFileWarning(path: string, reason: SluiceError, root?: string): SluiceError {
  const option = reason.domain === 'external' ? 'ignoreMissingFiles' : 'ignoreCorruptFiles';
  const line = typeof reason.params.line === 'number' ? `:${reason.params.line}` : '';
  const why = typeof reason.params.reason === 'string' ? reason.params.reason : reason.message;
  return new SluiceError(
    'SOURCE_FILE_SKIPPED',
    `skipped source file ${displayPath(path, root)}${line} (${option}): ${why}`,
    { params: { ...reason.params, path, option, code: reason.code } },
  );
}

/** SOURCE_FILE_UNREADABLE naming the file (domain external: the file system changed under us). */
export function unreadable(path: string, cause: unknown, root?: string): SluiceError {
  const reason = firstLineOf(cause);
  return unreadableFile(path, reason, {
    cause,
    domain: 'external',
    hint: false,
    ...(root !== undefined ? { root } : {}),
  });
}

/** The first line of an error's message (DuckDB's without its class prefix). */
export function firstLineOf(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  return (duckdbErrorParts(message)?.detail ?? message).split('\n')[0]!.trim();
}
