/**
 * Rendering query results for people (`table`) and programs (`json`, `csv`).
 * Values are already JSON-compatible (see `runQuery`): null, boolean, number, string, arrays, objects.
 */
import type { QueryResult } from './run-query.ts';

export type OutputFormat = 'table' | 'json' | 'csv';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'csv'];

function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) || s === '' ? `"${s.replaceAll('"', '""')}"` : s;
}

function tableText(result: QueryResult): string {
  const { columns, rows } = result;
  const cells = rows.map((r) => columns.map((c) => cellText(r[c]).replaceAll('\n', '\\n')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] as string).length)));
  const line = (vals: readonly string[]) =>
    `| ${vals.map((v, i) => v.padEnd(widths[i] as number)).join(' | ')} |`;
  const sep = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  const out = [line(columns), sep, ...cells.map(line)];
  out.push(`(${rows.length} row${rows.length === 1 ? '' : 's'})`);
  return `${out.join('\n')}\n`;
}

/**
 * Formats a result. `json`: one JSON array of row objects (keys in column order) and a newline;
 * `csv`: RFC 4180 with a header line, NULL as an empty field, empty string as `""`;
 * `table`: aligned columns with a row count.
 */
export function formatRows(result: QueryResult, format: OutputFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(result.rows)}\n`;
    case 'csv':
      return `${[result.columns.map(csvCell).join(','), ...result.rows.map((r) => result.columns.map((c) => csvCell(r[c])).join(','))].join('\r\n')}\r\n`;
    case 'table':
      return tableText(result);
  }
}
