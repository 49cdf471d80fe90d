/**
 * Per-file statistics (`add.stats`) computed inside DuckDB: one aggregate query per write, grouped
 * by partition, whose results are already JSON literals. No per-row JavaScript.
 *
 * Rules (matching what Spark/Delta write and what data skipping may safely assume):
 * - `numRecords` always; `nullCount` for every primitive top-level column;
 * - `minValues`/`maxValues` for numbers, decimals, strings, dates and timestamps only;
 *   strings longer than {@link STRING_PREFIX_LENGTH} keep a truncated min (still a lower bound)
 *   and drop the max; non-finite floats are dropped. Absent bounds only disable skipping.
 */
import { sqlIdent, sqlString } from '../../util/index.ts';

/** Length of the string prefix kept in min statistics (Spark's default). */
const STRING_PREFIX_LENGTH = 32;

/** A Delta schema type as it appears in `schemaString` (primitive name or nested object). */
export type DeltaTypeJson = string | { readonly type: string; readonly [k: string]: unknown };

type StatKind = 'number' | 'float' | 'string' | 'date' | 'timestamp' | 'timestamp_ntz' | 'none';

/** How a Delta type takes part in min/max statistics. */
export function statKind(type: DeltaTypeJson): StatKind | 'nested' {
  if (typeof type !== 'string') return 'nested';
  if (type === 'long' || type === 'integer' || type === 'short' || type === 'byte') return 'number';
  if (type.startsWith('decimal')) return 'number';
  if (type === 'float' || type === 'double') return 'float';
  if (type === 'string') return 'string';
  if (type === 'date') return 'date';
  if (type === 'timestamp') return 'timestamp';
  if (type === 'timestamp_ntz') return 'timestamp_ntz';
  return 'none'; // boolean, binary, void…
}

/** A column whose statistics are collected. */
export interface StatColumn {
  readonly name: string;
  readonly type: DeltaTypeJson;
}

/** SQL that renders an aggregate of `expr` as a JSON literal (VARCHAR), or NULL. */
function jsonLiteralSql(kind: StatKind, agg: 'min' | 'max', col: string): string | undefined {
  return jsonLiteralOfSql(kind, agg, `${agg}(${col})`);
}

/** SQL that renders the bound `a` (an expression of the column's type) as a JSON literal, or NULL. */
function jsonLiteralOfSql(kind: StatKind, agg: 'min' | 'max', a: string): string | undefined {
  switch (kind) {
    case 'number':
      return `CAST(${a} AS VARCHAR)`;
    case 'float':
      return `CASE WHEN isfinite(${a}) THEN CAST(${a} AS VARCHAR) END`;
    case 'string':
      return agg === 'min'
        ? `to_json(left(${a}, ${STRING_PREFIX_LENGTH}))::VARCHAR`
        : `CASE WHEN length(${a}) <= ${STRING_PREFIX_LENGTH} THEN to_json(${a})::VARCHAR END`;
    case 'date':
      return `'"' || strftime(${a}, '%Y-%m-%d') || '"'`;
    case 'timestamp':
      return `'"' || strftime(timezone('UTC', ${a}), '%Y-%m-%dT%H:%M:%S.%fZ') || '"'`;
    case 'timestamp_ntz':
      return `'"' || strftime(${a}, '%Y-%m-%dT%H:%M:%S.%f') || '"'`;
    case 'none':
      return undefined;
  }
}

/**
 * SELECT-list items computing stats of `columns` over the relation being aggregated. The row
 * this produces is turned into the stats JSON by {@link statsJsonFromRow}.
 */
export function statsSelectItems(columns: readonly StatColumn[]): string[] {
  const items = ['count(*)::BIGINT AS "__n"'];
  columns.forEach((c, i) => {
    const kind = statKind(c.type);
    if (kind === 'nested') return;
    const col = sqlIdent(c.name);
    items.push(`(count(*) - count(${col}))::BIGINT AS "__nc${i}"`);
    const min = jsonLiteralSql(kind, 'min', col);
    const max = jsonLiteralSql(kind, 'max', col);
    if (min !== undefined) items.push(`${min} AS "__min${i}"`);
    if (max !== undefined) items.push(`${max} AS "__max${i}"`);
  });
  return items;
}

/** Builds the `stats` JSON text from one row produced with {@link statsSelectItems}. */
export function statsJsonFromRow(
  columns: readonly StatColumn[],
  row: Readonly<Record<string, unknown>>,
): string {
  const mins: string[] = [];
  const maxs: string[] = [];
  const nulls: string[] = [];
  columns.forEach((c, i) => {
    const key = JSON.stringify(c.name);
    const nc = row[`__nc${i}`];
    if (nc !== undefined && nc !== null) nulls.push(`${key}:${nc}`);
    const min = row[`__min${i}`];
    const max = row[`__max${i}`];
    if (typeof min === 'string') mins.push(`${key}:${min}`);
    if (typeof max === 'string') maxs.push(`${key}:${max}`);
  });
  return `{"numRecords":${row.__n},"minValues":{${mins.join(',')}},"maxValues":{${maxs.join(',')}},"nullCount":{${nulls.join(',')}}}`;
}

/** Null counts by column index, read back from a stats row (used to enforce NOT NULL columns). */
export function nullCountOf(row: Readonly<Record<string, unknown>>, index: number): number {
  const v = row[`__nc${index}`];
  return v === undefined || v === null ? 0 : Number(v);
}

/**
 * What a Parquet writer reported for one column of one file (DuckDB's `COPY … RETURN_STATS`):
 * bounds as DuckDB renders values of the column's type, absent when the writer kept none.
 */
export interface WrittenColumnStats {
  readonly min?: string;
  readonly max?: string;
  readonly nullCount?: number;
  /** Floating point only: the column holds a NaN (DuckDB orders NaN above every number). */
  readonly hasNan?: boolean;
}

/**
 * SELECT-list items (no FROM) producing, from the statistics a Parquet writer reported, the same
 * row {@link statsSelectItems} computes by aggregating the rows: the reported bounds are cast back
 * to the column's DuckDB type (`duckTypes[i]`) and rendered by the same expressions, so string
 * truncation, non-finite floats and timestamp formats follow the same rules. A float column
 * holding NaN has no max (an aggregate's max would be NaN). Unparseable bounds are dropped.
 */
export function statsItemsFromWritten(
  columns: readonly StatColumn[],
  duckTypes: readonly string[],
  written: readonly (WrittenColumnStats | undefined)[],
  numRecords: number,
): string[] {
  const items = [`${Math.trunc(numRecords)}::BIGINT AS "__n"`];
  columns.forEach((c, i) => {
    const kind = statKind(c.type);
    if (kind === 'nested') return;
    const w = written[i];
    if (w?.nullCount !== undefined) items.push(`${Math.trunc(w.nullCount)}::BIGINT AS "__nc${i}"`);
    const bound = (agg: 'min' | 'max', v: string | undefined) => {
      if (v === undefined || (agg === 'max' && kind === 'float' && w?.hasNan === true)) return;
      const lit = jsonLiteralOfSql(kind, agg, `TRY_CAST(${sqlString(v)} AS ${duckTypes[i]})`);
      if (lit !== undefined) items.push(`${lit} AS "__${agg}${i}"`);
    };
    bound('min', w?.min);
    bound('max', w?.max);
  });
  return items;
}

/** The `numRecords` an add action's statistics give (0 when it has none). */
export function numRecordsOf(add: { readonly stats?: string | null }): number {
  if (!add.stats) return 0;
  return (JSON.parse(add.stats) as { numRecords?: number }).numRecords ?? 0;
}
