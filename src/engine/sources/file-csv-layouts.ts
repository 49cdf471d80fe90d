import { open } from 'node:fs/promises';
import { type DuckDBConnection, queryRows, sqlString } from '../../util/index.ts';
import { isCompressedFile, lineLimits, unreadable } from './file-checks.ts';
import type { FileSourceOptions } from './file-options.ts';

/**
 * The columns of CSV files, learned from their first line before a batch is read: Spark's header
 * names (header = true) or `_c0 … _cN`. Files with different headers are read as separate groups
 * (see file-read.ts).
 */

/** The column names of one CSV file: its header (header = true) or `_c0 … _cN`; null for an empty file. */
export interface CsvLayout {
  readonly path: string;
  readonly columns: readonly string[] | null;
}

/** Splits one CSV line into fields, honoring the quote and escape characters. */
function splitCsvLine(line: string, delimiter: string, quote: string, escapeChar: string): string[] {
  const fields: string[] = [];
  let cur = '';
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (inQuotes) {
      if (ch === escapeChar && line[i + 1] === quote && escapeChar !== '') {
        cur += quote;
        i++;
      } else if (ch === quote) inQuotes = false;
      else cur += ch;
    } else if (ch === quote && quote !== '') inQuotes = true;
    else if (ch === delimiter) {
      fields.push(cur);
      cur = '';
    } else cur += ch;
  }
  fields.push(cur);
  return fields;
}

/** Spark's header clean-up: blank names become `_c<i>`, repeated names get their index appended. */
function headerNames(fields: readonly string[]): string[] {
  const names = fields.map((f, i) => (f.trim() === '' ? `_c${i}` : f.trim()));
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n.toLowerCase(), (counts.get(n.toLowerCase()) ?? 0) + 1);
  return names.map((n, i) => ((counts.get(n.toLowerCase()) ?? 0) > 1 ? `${n}${i}` : n));
}

/** The first line of a plain file (a bounded read, not the data). */
async function firstLineOfFile(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(1024 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8').split('\n', 1)[0]!;
  } finally {
    await fh.close();
  }
}

/** The first line of a compressed file, decompressed by DuckDB (it stops reading after the line). */
async function firstLineOfCompressed(
  conn: DuckDBConnection,
  path: string,
  maxRecordSize: number,
): Promise<string> {
  const [row] = await queryRows<{ line: string | null }>(
    conn,
    `SELECT line FROM read_csv(${sqlString(path)}, columns = {'line': 'VARCHAR'}, delim = '\x01', quote = '', escape = '', ` +
      `header = false, auto_detect = false, strict_mode = false, new_line = '\\n', ${lineLimits(maxRecordSize)}, parallel = false) LIMIT 1`,
  );
  return row?.line ?? '';
}

/**
 * Reads the first line of each CSV file to learn its columns: a bounded read of a plain file,
 * through DuckDB (`conn`) for a compressed one.
 */
export async function readCsvLayouts(
  paths: readonly string[],
  options: FileSourceOptions,
  conn?: DuckDBConnection,
): Promise<CsvLayout[]> {
  const out: CsvLayout[] = [];
  for (const path of paths) {
    let first: string;
    try {
      if (isCompressedFile(path) && conn === undefined) throw new Error('no connection to decompress it');
      const line =
        isCompressedFile(path) && conn !== undefined
          ? await firstLineOfCompressed(conn, path, options.maxRecordSize)
          : await firstLineOfFile(path);
      first = line.replace(/^\uFEFF/, '').replace(/\r$/, '');
    } catch (e) {
      throw unreadable(path, e);
    }
    if (first.trim() === '') {
      out.push({ path, columns: null });
      continue;
    }
    const fields = splitCsvLine(first, options.delimiter, options.quote, options.escape);
    out.push({ path, columns: options.header ? headerNames(fields) : fields.map((_, i) => `_c${i}`) });
  }
  return out;
}
