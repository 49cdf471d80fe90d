import { keyColumn } from '../../sql/index.ts';
import {
  type AddAction,
  dataFilePath,
  deltaTypeToDuckDB,
  numRecordsOf,
  type Snapshot,
  type StructField,
} from '../../storage/index.ts';
import { type DuckDBConnection, queryRows, sqlIdent, sqlString } from '../../util/index.ts';

/**
 * Reading less of a view's input when only some groups are recomputed (refresh by groups):
 * a group key that is a non-decreasing function of one numeric or temporal input column takes,
 * over any chunk of rows (a file, a Parquet row group), values between its value at the column's
 * minimum and at its maximum — or NULL, only if the column has nulls there. A chunk where no
 * touched key fits cannot hold a row of a touched group, so it need not be read.
 */

/** What the pruning needs from the rewrite (see `GroupAggregateRewrite`). */
export interface KeyBounds {
  readonly monotoneColumns: readonly (string | undefined)[];
  readonly boundsSql?: string;
}

/** Delta types whose min/max statistics are exact and ordered like the values (text is neither). */
// (Not float/double: NaN escapes min/max statistics.)
const ORDERED_STATS = new Set(['byte', 'short', 'integer', 'long', 'date', 'timestamp', 'timestamp_ntz']);

/** Statistics of one chunk of rows, per column name, as text (the shape of Delta file stats). */
interface ChunkStats {
  minValues?: Record<string, unknown>;
  maxValues?: Record<string, unknown>;
  nullCount?: Record<string, unknown>;
}

/** Per key: the input field its value is ordered by, when statistics of that field can be used. */
function usableFields(input: Snapshot, bounds: KeyBounds): readonly (StructField | undefined)[] {
  const fields = new Map(input.schema.fields.map((f) => [f.name.toLowerCase(), f]));
  return bounds.monotoneColumns.map((c) => {
    const f = c === undefined ? undefined : fields.get(c.toLowerCase());
    return f &&
      typeof f.type === 'string' &&
      ORDERED_STATS.has(f.type) &&
      !input.partitionColumns.includes(f.name)
      ? f
      : undefined;
  });
}

const distinctFields = (usable: readonly (StructField | undefined)[]): StructField[] => [
  ...new Map(usable.flatMap((f) => (f ? [[f.name, f] as const] : []))).values(),
];

/**
 * Indexes of the chunks where some touched key (a row of the key table `keys`) fits every usable
 * key's range; undefined when that cannot be judged (then read everything). Timestamp maxima are
 * widened by 1 ms (writers may truncate them to milliseconds).
 */
async function chunksWithKeys(
  conn: DuckDBConnection,
  input: Snapshot,
  bounds: KeyBounds,
  usable: readonly (StructField | undefined)[],
  chunks: readonly ChunkStats[],
  keys: string,
): Promise<ReadonlySet<number> | undefined> {
  if (!bounds.boundsSql) return undefined;
  const used = distinctFields(usable);
  // One VALUES row per chunk end (min, max) with the raw statistics as text, typed once after;
  // the bounds relation has every input column (NULL where unused) so the key expressions bind.
  const text = (v: unknown) => (v === undefined || v === null ? 'NULL::VARCHAR' : sqlString(String(v)));
  const raw = chunks.flatMap((st, i) =>
    (['min', 'max'] as const).map((end) => {
      const values = end === 'min' ? st.minValues : st.maxValues;
      return `(${i}, ${end === 'max'}, ${used.map((f) => text(values?.[f.name])).join(', ')})`;
    }),
  );
  const typed = used.map((f, j) => {
    const value = `CAST(__sluice_v${j} AS ${deltaTypeToDuckDB(f.type)})`;
    const widened = String(f.type).startsWith('timestamp')
      ? `CASE WHEN __sluice_max THEN ${value} + INTERVAL 1 MILLISECOND ELSE ${value} END`
      : value;
    return `${widened} AS ${sqlIdent(f.name)}`;
  });
  const others = input.schema.fields
    .filter((f) => !used.includes(f))
    .map((f) => `NULL::${deltaTypeToDuckDB(f.type)} AS ${sqlIdent(f.name)}`);
  const rows =
    `SELECT __sluice_file, ${[...typed, ...others].join(', ')} FROM (VALUES ${raw.join(', ')}) ` +
    `AS __sluice_raw(__sluice_file, __sluice_max${used.map((_, j) => `, __sluice_v${j}`).join('')})`;
  const nulls =
    `SELECT * FROM (VALUES ${chunks.map((st, i) => `(${i}${used.map((f) => `, ${Number(st.nullCount?.[f.name] ?? 1)}`).join('')})`).join(', ')}) ` +
    `AS n(__sluice_file${used.map((_, j) => `, __sluice_n${j}`).join('')})`;
  const fits = usable.flatMap((f, i) => {
    if (!f) return [];
    const n = `n.__sluice_n${used.indexOf(f)}`;
    return [
      `((k.${keyColumn(i)} IS NULL AND ${n} > 0) OR k.${keyColumn(i)} BETWEEN r.__sluice_lo${i} AND r.__sluice_hi${i})`,
    ];
  });
  const ranges = usable
    .flatMap((f, i) =>
      f ? [`min(__sluice_b${i}) AS __sluice_lo${i}, max(__sluice_b${i}) AS __sluice_hi${i}`] : [],
    )
    .join(', ');
  const sql =
    `WITH __sluice_bounds AS (${rows}), ` +
    `r AS (SELECT __sluice_file, ${ranges} FROM (${bounds.boundsSql}) GROUP BY __sluice_file), ` +
    `n AS (${nulls}) ` +
    `SELECT r.__sluice_file AS i FROM r JOIN n USING (__sluice_file) ` +
    `WHERE EXISTS (SELECT 1 FROM ${sqlIdent(keys)} AS k WHERE ${fits.join(' AND ')}) ORDER BY 1`;
  try {
    return new Set((await queryRows<{ i: number }>(conn, sql)).map((x) => Number(x.i)));
  } catch {
    return undefined; // statistics that do not cast, a key that does not bind: read everything
  }
}

/**
 * The input files that can hold rows of the touched groups, judged by their Delta statistics.
 * Undefined (read every file) when no key qualifies or a file lacks the statistics.
 */
export async function filesWithKeys(
  conn: DuckDBConnection,
  input: Snapshot,
  bounds: KeyBounds,
  keys: string,
): Promise<readonly AddAction[] | undefined> {
  if (input.files.length < 2) return undefined;
  const usable = usableFields(input, bounds);
  if (usable.every((f) => f === undefined)) return undefined;
  const stats: ChunkStats[] = [];
  for (const add of input.files) {
    let st: ChunkStats | null;
    try {
      st = JSON.parse(add.stats ?? 'null') as ChunkStats | null;
    } catch {
      return undefined;
    }
    if (!st) return undefined;
    for (const f of usable) if (f && st.nullCount?.[f.name] === undefined) return undefined;
    stats.push(st);
  }
  const keep = await chunksWithKeys(conn, input, bounds, usable, stats, keys);
  return keep && input.files.filter((_, i) => keep.has(i));
}

/**
 * Rows per Parquet row group in the files DuckDB writes: a file with no more rows than this has
 * one row group, so reading its footer cannot skip anything.
 */
const DUCKDB_ROW_GROUP_ROWS = 122_880;

/** A filter on the input that lets the scan skip row groups (see `rowGroupFilter`). */
export interface RowGroupFilter {
  /** A boolean SQL expression over the input's columns, true for every row that must be read. */
  readonly sql: string;
  /** Row groups of `files` whose statistics exclude every touched group, and all of them. */
  readonly skipped: number;
  readonly total: number;
}

/**
 * A filter on the raw input columns that holds for every row of a touched group, built from the
 * Parquet row-group statistics of `files`: per usable column, the range its values take in the
 * row groups some touched key fits (plus NULL when those have nulls). DuckDB compares it with each
 * row group's statistics and skips those outside — e.g. a refresh after rows were appended to the
 * last hour of a large file reads that file's last row groups only. Undefined when nothing would
 * be skipped or the statistics are missing or inexact — and, without reading any footer, when no
 * file is larger than one row group (so refreshes over small tables pay nothing for this).
 */
export async function rowGroupFilter(
  conn: DuckDBConnection,
  input: Snapshot,
  files: readonly AddAction[],
  bounds: KeyBounds,
  keys: string,
): Promise<RowGroupFilter | undefined> {
  const usable = usableFields(input, bounds);
  const used = distinctFields(usable);
  if (used.length === 0 || !files.some((f) => numRecordsOf(f) > DUCKDB_ROW_GROUP_ROWS)) {
    return undefined;
  }
  type Meta = {
    file: string;
    rg: number;
    col: string;
    rows: number;
    lo: string | null;
    hi: string | null;
    nulls: number | null;
    exact: boolean | null;
  };
  let meta: Meta[];
  try {
    const paths = files.map((f) => sqlString(dataFilePath(input.tablePath, f.path)));
    meta = await queryRows<Meta>(
      conn,
      `SELECT file_name AS file, row_group_id AS rg, lower(path_in_schema) AS col, num_values AS rows, ` +
        `stats_min_value AS lo, stats_max_value AS hi, stats_null_count AS nulls, ` +
        `coalesce(min_is_exact AND max_is_exact, true) AS exact ` +
        `FROM parquet_metadata([${paths.join(', ')}]) ` +
        `WHERE lower(path_in_schema) IN (${used.map((f) => sqlString(f.name.toLowerCase())).join(', ')})`,
    );
  } catch {
    return undefined;
  }
  const chunks = new Map<string, ChunkStats>();
  for (const m of meta) {
    const f = used.find((u) => u.name.toLowerCase() === m.col);
    if (!f || m.nulls === null || m.exact !== true) return undefined;
    if ((m.lo === null || m.hi === null) && Number(m.nulls) !== Number(m.rows)) return undefined;
    const id = `${m.file}\u0000${m.rg}`;
    const st = chunks.get(id) ?? { minValues: {}, maxValues: {}, nullCount: {} };
    st.minValues![f.name] = m.lo;
    st.maxValues![f.name] = m.hi;
    st.nullCount![f.name] = Number(m.nulls);
    chunks.set(id, st);
  }
  const all = [...chunks.values()];
  if (all.length < 2 || all.some((st) => used.some((f) => st.nullCount?.[f.name] === undefined))) {
    return undefined;
  }
  const keep = await chunksWithKeys(conn, input, bounds, usable, all, keys);
  if (!keep || keep.size === all.length) return undefined;
  const kept = all.filter((_, i) => keep.has(i));
  // Per column: the smallest minimum and largest maximum of the kept row groups, as the text of
  // those statistics (typed by DuckDB, which orders them), so the filter compares constants.
  const conditions: string[] = [];
  for (const f of used) {
    const type = deltaTypeToDuckDB(f.type);
    const values = kept.flatMap((st) => {
      const lo = st.minValues?.[f.name];
      const hi = st.maxValues?.[f.name];
      return lo === null || hi === null || lo === undefined || hi === undefined
        ? []
        : [`(${sqlString(String(lo))}, ${sqlString(String(hi))})`];
    });
    const nulls = kept.some((st) => Number(st.nullCount?.[f.name]) > 0);
    const column = sqlIdent(f.name);
    const orNull = nulls ? ` OR ${column} IS NULL` : '';
    if (values.length === 0) {
      conditions.push(nulls ? `${column} IS NULL` : 'false');
      continue;
    }
    let range: { lo: string; hi: string };
    try {
      [range] = (await queryRows<{ lo: string; hi: string }>(
        conn,
        `SELECT arg_min(lo, CAST(lo AS ${type})) AS lo, arg_max(hi, CAST(hi AS ${type})) AS hi ` +
          `FROM (VALUES ${values.join(', ')}) AS v(lo, hi)`,
      )) as [{ lo: string; hi: string }];
    } catch {
      return undefined;
    }
    // (Timestamps widened by 1 ms each way, in case a writer rounded its statistics.)
    const margin = String(f.type).startsWith('timestamp') ? ' INTERVAL 1 MILLISECOND' : '';
    const lo = `CAST(${sqlString(range.lo)} AS ${type})${margin ? ` -${margin}` : ''}`;
    const hi = `CAST(${sqlString(range.hi)} AS ${type})${margin ? ` +${margin}` : ''}`;
    conditions.push(`(${column} BETWEEN ${lo} AND ${hi}${orNull})`);
  }
  return { sql: conditions.join(' AND '), skipped: all.length - kept.length, total: all.length };
}
