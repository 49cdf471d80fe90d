import { query as chdbQuery } from 'chdb';
import type { DeltaType, StructType } from '../../src/storage/delta/schema.ts';
import { type DuckDBConnection, queryRows, sqlIdent, sqlString } from '../../src/util/duckdb.ts';

/**
 * Comparing what sluice reads from a Delta table with what chdb (ClickHouse + delta-kernel-rs)
 * reads: each row becomes a canonical string, per column by its Delta type — integers, strings,
 * dates and booleans as text, timestamps as epoch microseconds, floats to 6 significant digits,
 * decimals without trailing zeros, binary as hex, nested values as normalized JSON — and the
 * sorted lists are compared.
 */

type Kind = 'text' | 'float' | 'decimal' | 'micros' | 'hex' | 'json';

function kindOf(t: DeltaType): Kind {
  if (typeof t !== 'string') return 'json';
  if (t === 'float' || t === 'double') return 'float';
  if (t.startsWith('decimal')) return 'decimal';
  if (t === 'timestamp' || t === 'timestamp_ntz') return 'micros';
  if (t === 'binary') return 'hex';
  return 'text';
}

function duckExpr(col: string, kind: Kind): string {
  const c = sqlIdent(col);
  switch (kind) {
    case 'micros':
      return `CAST(epoch_us(${c}) AS VARCHAR)`;
    case 'hex':
      return `hex(${c})`;
    case 'json':
      return `CAST(to_json(${c}) AS VARCHAR)`;
    default:
      return `CAST(${c} AS VARCHAR)`;
  }
}

function chExpr(col: string, kind: Kind): string {
  const c = `\`${col.replace(/`/g, '``')}\``;
  switch (kind) {
    case 'micros':
      return `toString(toUnixTimestamp64Micro(${c}))`;
    case 'hex':
      return `hex(${c})`;
    case 'json':
      return `toJSONString(${c})`;
    default:
      return `toString(${c})`;
  }
}

function normNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : Number(n.toPrecision(6)).toString();
}

/** DuckDB's JSON of a timestamp (`…+00`) and of bytes (`\xHH`) in ClickHouse's spelling. */
function normString(v: string): string {
  const ts = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(\.\d+)?(\+00)?$/.exec(v);
  if (ts) return `${ts[1]}${(ts[2] ?? '').replace(/\.?0+$/, '')}`;
  return v.replace(/\\x([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

/**
 * ClickHouse has no NULL arrays, maps or tuples: it reads them as empty, or as a tuple of NULLs.
 * Both sides map those to null, so they compare equal to a NULL.
 */
function emptyAsNull(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? null : v;
  if (v && typeof v === 'object') {
    const values = Object.values(v as Record<string, unknown>);
    return values.every((x) => x === null) ? null : v;
  }
  return v;
}

function normJson(v: unknown): unknown {
  if (typeof v === 'number') return normNumber(v);
  if (typeof v === 'string' && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(v)) return normNumber(Number(v));
  if (typeof v === 'string') return normString(v);
  if (Array.isArray(v)) return v.map((x) => normJson(emptyAsNull(x)));
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, x]) => [k, normJson(emptyAsNull(x))]),
    );
  }
  return v;
}

function norm(v: unknown, kind: Kind): unknown {
  if (v === null || v === undefined) return null;
  const s = String(v);
  switch (kind) {
    case 'float':
      return /^-?(nan|inf)/i.test(s)
        ? s.toLowerCase().replace(/^-?inf.*/, (m) => (m.startsWith('-') ? '-inf' : 'inf'))
        : normNumber(Number(s));
    case 'decimal':
      return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
    case 'json': {
      const n = normJson(emptyAsNull(JSON.parse(s)));
      return n === null ? null : JSON.stringify(n);
    }
    default:
      return s;
  }
}

function canonical(rows: readonly Record<string, unknown>[], kinds: readonly Kind[]): string[] {
  return rows.map((r) => JSON.stringify(kinds.map((k, i) => norm(r[`__cmp${i}`], k)))).sort();
}

/** The canonical rows of a sluice scan (`sql`, with the columns of `schema`). */
export async function sluiceRows(conn: DuckDBConnection, sql: string, schema: StructType): Promise<string[]> {
  const kinds = schema.fields.map((f) => kindOf(f.type));
  const select = schema.fields.map((f, i) => `${duckExpr(f.name, kinds[i] as Kind)} AS __cmp${i}`).join(', ');
  const rows = await queryRows(conn, `SELECT ${select || '1 AS __cmp0'} FROM (${sql})`);
  return canonical(rows, schema.fields.length > 0 ? kinds : ['text']);
}

/** The canonical rows chdb reads from the table at `path` (under the working directory) at `version`. */
export function chdbRows(path: string, version: number, schema: StructType): string[] {
  return chdbSelect(path, `delta_lake_snapshot_version = ${version}`, schema);
}

/**
 * The canonical change rows (table columns, then `_change_type` and `_commit_version` as the
 * last fields of `schema`) chdb reads from the change data feed of `path` from `startVersion`.
 */
export function chdbChangeRows(path: string, startVersion: number, schema: StructType): string[] {
  return chdbSelect(path, `delta_lake_snapshot_start_version = ${startVersion}`, schema);
}

function chdbSelect(path: string, settings: string, schema: StructType): string[] {
  const kinds = schema.fields.map((f) => kindOf(f.type));
  const select = schema.fields.map((f, i) => `${chExpr(f.name, kinds[i] as Kind)} AS __cmp${i}`).join(', ');
  const text = chdbQuery(
    `SELECT ${select || '1 AS __cmp0'} FROM deltaLakeLocal(${sqlString(path)}) SETTINGS ${settings}, output_format_json_quote_64bit_integers = 0, output_format_json_quote_decimals = 0, session_timezone = 'UTC'`,
    'JSONEachRow',
  );
  const rows = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return canonical(rows, schema.fields.length > 0 ? kinds : ['text']);
}
