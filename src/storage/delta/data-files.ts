/**
 * Writing a table's Parquet data files (and `_change_data/` files) with DuckDB. Nothing here
 * touches `_delta_log/`: the files become part of the table only when a commit names them, so
 * a crash at any point leaves at most orphan files (harmless; removed by vacuum).
 *
 * Durability: DuckDB writes each file under a temp name (`.sluice-tmp-…`, hidden from every
 * reader); only once it is complete is it fsynced, renamed to its final name and its directory
 * fsynced (`publishFile`), and new partition directories are fsynced into their parents. So
 * every file a returned `add` names is complete and durable before the caller can commit it: a
 * committed version never points at a missing or torn file, even after a power loss.
 */
import { randomUUID } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { SluiceError, toSluiceError } from '../../errors/index.ts';
import { type DuckDBConnection, queryRows, sqlIdent, sqlString } from '../../util/index.ts';
import { ensureDir, fsyncFile, publishFile, tempPathFor } from '../object-store.ts';
import type { AddAction } from './actions.ts';
import { encodeAddPath, encodePartitionPath } from './partitions.ts';
import { type DeltaType, deltaTypeToDuckDB, type StructType } from './schema.ts';
import {
  type DeltaTypeJson,
  nullCountOf,
  type StatColumn,
  statKind,
  statsItemsFromWritten,
  statsJsonFromRow,
  statsSelectItems,
} from './stats.ts';

/** What a data-file write needs to know about the table. */
export interface WriteLayout {
  readonly schema: StructType;
  readonly partitionColumns: readonly string[];
}

/** A written file before it is turned into an `add` or `cdc` action. */
export interface WrittenFile {
  /** Relative to the table root, URL-encoded as the Delta protocol requires. */
  readonly path: string;
  readonly partitionValues: Readonly<Record<string, string | null>>;
  readonly size: number;
  readonly modificationTime: number;
  readonly numRecords: number;
  readonly stats: string;
}

/** SQL rendering a partition column as Delta's serialized partition value (NULL for null). */
function partitionValueSql(col: string, type: DeltaType): string {
  const c = sqlIdent(col);
  if (type === 'timestamp') return `strftime(timezone('UTC', ${c}), '%Y-%m-%d %H:%M:%S.%f')`;
  if (type === 'timestamp_ntz') return `strftime(${c}, '%Y-%m-%d %H:%M:%S.%f')`;
  if (type === 'date') return `strftime(${c}, '%Y-%m-%d')`;
  if (type === 'binary') return `decode(${c})`;
  // Spark writes an empty string partition value as null.
  if (type === 'string') return `nullif(${c}, '')`;
  return `CAST(${c} AS VARCHAR)`;
}

function stripSemicolon(sql: string): string {
  return sql.trim().replace(/;+\s*$/, '');
}

/**
 * Column names of a SELECT, without running it.
 * @throws SluiceError DELTA_SCHEMA_MISMATCH when the query does not bind.
 */
async function describeSelect(conn: DuckDBConnection, selectSql: string): Promise<string[]> {
  const rows = await queryRows<{ column_name: string }>(
    conn,
    `DESCRIBE SELECT * FROM (${stripSemicolon(selectSql)}) AS __s`,
  );
  return rows.map((r) => r.column_name);
}

export interface WriteFilesOptions extends WriteLayout {
  /** Directory under the table root: '' for data files, '_change_data' for CDF files. */
  readonly dir?: string;
  /** File name prefix: 'part' for data, 'cdc' for change data. */
  readonly filePrefix?: string;
  /**
   * The SELECT's column names when the caller already knows them (skips a DESCRIBE). They must
   * be exactly the query's columns, in order; a stale list makes the write fail, never drop data.
   */
  readonly columns?: readonly string[];
  /** Extra trailing columns written as they are (e.g. `_change_type`), not part of the schema. */
  readonly extraColumns?: readonly string[];
}

/**
 * Writes the rows of `selectSql` as zstd Parquet files, one per partition, named
 * `<partition dirs>/<prefix>-00000-<uuid>.c000.zstd.parquet`. Columns are matched to the table
 * schema by name (case-insensitively), cast to the schema's types, missing nullable columns are
 * written as NULL; partition columns are not stored in the files. Returns the written files
 * with their statistics; zero rows write nothing.
 *
 * @throws SluiceError DELTA_SCHEMA_MISMATCH for unknown columns, missing NOT NULL columns,
 *   nulls in NOT NULL columns, or values that cannot be cast.
 */
export async function writeParquetFiles(
  conn: DuckDBConnection,
  tablePath: string,
  selectSql: string,
  opts: WriteFilesOptions,
): Promise<WrittenFile[]> {
  const fields = opts.schema.fields;
  const extra = opts.extraColumns ?? [];
  let selected: string[];
  try {
    selected = opts.columns ? [...opts.columns] : await describeSelect(conn, selectSql);
  } catch (e) {
    throw schemaMismatch(tablePath, e, 'the rows to write cannot be analyzed for table');
  }
  const items = castItems(tablePath, fields, selected, extra);
  const partFields = opts.partitionColumns.map((p) => {
    const f = fields.find((x) => x.name === p);
    if (f === undefined) {
      throw new SluiceError(
        'DELTA_SCHEMA_MISMATCH',
        `partition column '${p}' is not in the schema of ${tablePath}`,
        {
          params: { table: tablePath, column: p },
        },
      );
    }
    return f;
  });
  const dataFields = fields.filter((f) => !opts.partitionColumns.includes(f.name));
  if (partFields.length === 0) {
    return writeOneFile(conn, tablePath, selectSql, items, opts);
  }
  const tmp = sqlIdent(`__sluice_write_${randomUUID().replaceAll('-', '')}`);
  try {
    await conn.run(
      `CREATE TEMP TABLE ${tmp} AS SELECT *, ${
        partFields.map((f, i) => `${partitionValueSql(f.name, f.type)} AS "__pv${i}"`).join(', ') ||
        'NULL AS "__pv"'
      } FROM (SELECT ${items.join(', ')} FROM (${stripSemicolon(selectSql)}) AS __s)`,
    );
  } catch (e) {
    await conn.run(`DROP TABLE IF EXISTS ${tmp}`).catch(() => {});
    throw await writeFailure(conn, tablePath, selectSql, e);
  }
  try {
    const statCols: StatColumn[] = dataFields.map((f) => ({ name: f.name, type: f.type as DeltaTypeJson }));
    const pvCols = partFields.map((_, i) => `"__pv${i}"`);
    const groups = await queryRows(
      conn,
      `SELECT ${[...pvCols, ...statsSelectItems(statCols)].join(', ')} FROM ${tmp}${
        pvCols.length > 0 ? ` GROUP BY ${pvCols.join(', ')}` : ''
      }`,
    );
    for (const g of groups) assertNoNulls(tablePath, g, dataFields, partFields);
    const cols = [...dataFields.map((f) => sqlIdent(f.name)), ...extra.map(sqlIdent)].join(', ');
    const out: WrittenFile[] = [];
    for (const g of groups) {
      if (Number(g.__n) === 0) continue;
      out.push(
        await writePartitionFile(conn, tablePath, { tmp, cols, group: g, partFields, statCols }, opts),
      );
    }
    return out;
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${tmp}`).catch(() => {});
  }
}

/** A column of the table's schema. */
type TableField = StructType['fields'][number];

/**
 * The select items that write `selected` columns as the table's schema: matched by name
 * (case-insensitively), cast to the schema's types, missing nullable columns as NULL, `extra`
 * columns as they are.
 */
function castItems(
  tablePath: string,
  fields: readonly TableField[],
  selected: readonly string[],
  extra: readonly string[],
): string[] {
  const byLower = new Map(fields.map((f) => [f.name.toLowerCase(), f]));
  const sourceOf = new Map<string, string>(); // schema name → selected name
  for (const name of selected) {
    if (extra.includes(name)) continue;
    const f = byLower.get(name.toLowerCase());
    if (f === undefined) {
      throw new SluiceError(
        'DELTA_SCHEMA_MISMATCH',
        `column '${name}' is not in the schema of table ${tablePath}`,
        {
          params: { table: tablePath, column: name },
        },
      );
    }
    sourceOf.set(f.name, name);
  }
  const items: string[] = [];
  for (const f of fields) {
    const src = sourceOf.get(f.name);
    if (src === undefined && f.nullable === false) {
      throw new SluiceError(
        'DELTA_SCHEMA_MISMATCH',
        `NOT NULL column '${f.name}' of table ${tablePath} is missing`,
        {
          params: { table: tablePath, column: f.name },
        },
      );
    }
    items.push(
      `CAST(${src === undefined ? 'NULL' : `__s.${sqlIdent(src)}`} AS ${deltaTypeToDuckDB(f.type)}) AS ${sqlIdent(f.name)}`,
    );
  }
  for (const x of extra) items.push(`__s.${sqlIdent(x)}`);
  return items;
}

/** NOT NULL columns hold no nulls in a partition's statistics row (partition columns through their values). */
function assertNoNulls(
  tablePath: string,
  g: Record<string, unknown>,
  dataFields: readonly TableField[],
  partFields: readonly TableField[],
): void {
  const nulls =
    dataFields.find((f, i) => f.nullable === false && nullCountOf(g, i) > 0) ??
    partFields.find((f, i) => f.nullable === false && (g[`__pv${i}`] ?? null) === null);
  if (nulls === undefined) return;
  throw new SluiceError(
    'DELTA_SCHEMA_MISMATCH',
    `NOT NULL column '${nulls.name}' of ${tablePath} got nulls`,
    {
      params: { table: tablePath, column: nulls.name },
    },
  );
}

/** Writes one partition's rows of the temp table as one Parquet file (published durably) and describes it. */
async function writePartitionFile(
  conn: DuckDBConnection,
  tablePath: string,
  p: {
    readonly tmp: string;
    readonly cols: string;
    readonly group: Record<string, unknown>;
    readonly partFields: readonly TableField[];
    readonly statCols: readonly StatColumn[];
  },
  opts: WriteFilesOptions,
): Promise<WrittenFile> {
  const values: Record<string, string | null> = {};
  p.partFields.forEach((f, i) => {
    const v = p.group[`__pv${i}`];
    values[f.name] = v === null || v === undefined ? null : String(v);
  });
  const partDir = p.partFields.length > 0 ? encodePartitionPath(opts.partitionColumns, values) : '';
  const relDir = [opts.dir ?? '', partDir].filter((s) => s !== '').join('/');
  const name = `${opts.filePrefix ?? 'part'}-00000-${randomUUID()}.c000.zstd.parquet`;
  const rel = relDir === '' ? name : `${relDir}/${name}`;
  const abs = join(tablePath, rel);
  await ensureDir(join(tablePath, relDir));
  const where = p.partFields.map((f, i) => {
    const v = values[f.name];
    return `"__pv${i}" IS NOT DISTINCT FROM ${v === null || v === undefined ? 'NULL' : sqlString(v)}`;
  });
  const part = tempPathFor(abs);
  try {
    await conn.run(
      `COPY (SELECT ${p.cols} FROM ${p.tmp}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}) TO ${sqlString(part)} (FORMAT parquet, COMPRESSION zstd)`,
    );
    await publishFile(part, abs);
  } finally {
    await rm(part, { force: true });
  }
  const st = await stat(abs);
  return {
    path: encodeAddPath(rel),
    partitionValues: values,
    size: st.size,
    modificationTime: Math.floor(st.mtimeMs),
    numRecords: Number(p.group.__n),
    stats: statsJsonFromRow(p.statCols, p.group),
  };
}

/**
 * A query that could not be analyzed: what DuckDB's error says it is (a column that does not
 * exist, …, see `toSluiceError`), else DELTA_SCHEMA_MISMATCH.
 */
function schemaMismatch(tablePath: string, e: unknown, what: string): SluiceError {
  const err = toSluiceError(e, 'DELTA_SCHEMA_MISMATCH');
  if (err.code !== 'DELTA_SCHEMA_MISMATCH' || e instanceof SluiceError) return err;
  return new SluiceError('DELTA_SCHEMA_MISMATCH', `${what} '${basename(tablePath)}': ${err.message}`, {
    params: { table: tablePath },
    cause: e,
  });
}

/** Errors that are about the data a query computes, not about where the rows go. */
const QUERY_FAILURES: ReadonlySet<string> = new Set([
  'CAST_INVALID_INPUT',
  'ARITHMETIC_OVERFLOW',
  'UNSUPPORTED_REGEX',
  'DATATYPE_MISMATCH',
  'UNRESOLVED_COLUMN',
]);

/**
 * Why a write of `selectSql` failed. Memory, disk and I/O failures say so. A value that does
 * not convert (or overflows, or a regular expression that does not compile) is the query's own
 * failure when the query alone fails too — it is evaluated once more, every column, to know —
 * and otherwise the rows do not fit the table's types: DELTA_SCHEMA_MISMATCH.
 */
async function writeFailure(
  conn: DuckDBConnection,
  tablePath: string,
  selectSql: string,
  e: unknown,
): Promise<SluiceError> {
  const err = toSluiceError(e, 'DELTA_SCHEMA_MISMATCH');
  if (e instanceof SluiceError) return err;
  if (QUERY_FAILURES.has(err.code)) {
    const alone = await conn
      .run(`SELECT max(hash(COLUMNS(*))) FROM (${stripSemicolon(selectSql)}) AS __alone`)
      .then(
        () => undefined,
        (q: unknown) => toSluiceError(q, 'DELTA_SCHEMA_MISMATCH'),
      );
    // Inside the caller's transaction (now aborted) nothing more runs: trust what DuckDB said.
    if (alone) return alone.code === 'DELTA_SCHEMA_MISMATCH' ? err : alone;
  } else if (err.code !== 'DELTA_SCHEMA_MISMATCH') return err;
  return new SluiceError(
    'DELTA_SCHEMA_MISMATCH',
    `the rows do not fit table '${basename(tablePath)}': ${err.message}`,
    { params: { ...err.params, table: tablePath }, cause: e },
  );
}

/** One `{key, value}` entry of a DuckDB MAP as `getRowObjectsJson` returns it. */
interface MapEntryJson {
  readonly key: unknown;
  readonly value: unknown;
}

/** `column_statistics` of a `COPY … RETURN_STATS` row, by (quoted) column name. */
function parseColumnStatistics(v: unknown): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  if (!Array.isArray(v)) return out;
  for (const e of v as MapEntryJson[]) {
    const inner = new Map<string, string>();
    if (Array.isArray(e.value))
      for (const x of e.value as MapEntryJson[])
        if (typeof x.value === 'string') inner.set(String(x.key), x.value);
    out.set(String(e.key), inner);
  }
  return out;
}

/**
 * Unpartitioned write in a single pass: the rows of `selectSql`, cast to the schema by `items`,
 * stream straight into one Parquet file, whose statistics come from the writer itself
 * (`RETURN_STATS`) — nothing is materialized and the rows are read once. NOT NULL columns are
 * checked on the reported null counts; on any failure the file is removed again.
 */
async function writeOneFile(
  conn: DuckDBConnection,
  tablePath: string,
  selectSql: string,
  items: readonly string[],
  opts: WriteFilesOptions,
): Promise<WrittenFile[]> {
  const rowsSql = `SELECT ${items.join(', ')} FROM (${stripSemicolon(selectSql)}) AS __s`;
  const fields = opts.schema.fields;
  const relDir = opts.dir ?? '';
  const name = `${opts.filePrefix ?? 'part'}-00000-${randomUUID()}.c000.zstd.parquet`;
  const rel = relDir === '' ? name : `${relDir}/${name}`;
  const abs = join(tablePath, rel);
  await ensureDir(join(tablePath, relDir));
  // Written and checked under a temp name; published under `abs` only when complete.
  const part = tempPathFor(abs);
  let row: Record<string, unknown> | undefined;
  try {
    [row] = await queryRows(
      conn,
      `COPY (${rowsSql}) TO ${sqlString(part)} (FORMAT parquet, COMPRESSION zstd, RETURN_STATS true)`,
    );
  } catch (e) {
    await rm(part, { force: true });
    throw await writeFailure(conn, tablePath, selectSql, e);
  }
  const numRecords = Number(row?.count ?? 0);
  if (numRecords === 0) {
    await rm(part, { force: true });
    return [];
  }
  const byColumn = parseColumnStatistics(row?.column_statistics);
  const written = fields.map((f) => {
    const m = byColumn.get(sqlIdent(f.name));
    if (m === undefined) return undefined;
    const nc = m.get('null_count');
    return {
      ...(m.has('min') ? { min: m.get('min')! } : {}),
      ...(m.has('max') ? { max: m.get('max')! } : {}),
      ...(nc !== undefined ? { nullCount: Number(nc) } : {}),
      ...(m.has('has_nan') ? { hasNan: m.get('has_nan') === 'true' } : {}),
    };
  });
  const statCols: StatColumn[] = fields.map((f) => ({ name: f.name, type: f.type as DeltaTypeJson }));
  try {
    for (const [i, f] of fields.entries()) {
      if (f.nullable !== false || statKind(f.type as DeltaTypeJson) === 'nested') continue;
      let nulls = written[i]?.nullCount;
      if (nulls === undefined) {
        const [r] = await queryRows<{ n: number }>(
          conn,
          `SELECT count(*) - count(${sqlIdent(f.name)}) AS n FROM read_parquet(${sqlString(part)})`,
        );
        nulls = Number(r?.n ?? 0);
      }
      if (nulls > 0) {
        throw new SluiceError(
          'DELTA_SCHEMA_MISMATCH',
          `NOT NULL column '${f.name}' of ${tablePath} got nulls`,
          {
            params: { table: tablePath, column: f.name },
          },
        );
      }
    }
    const items = statsItemsFromWritten(
      statCols,
      fields.map((f) => deltaTypeToDuckDB(f.type)),
      written,
      numRecords,
    );
    const [g] = await queryRows(conn, `SELECT ${items.join(', ')}`);
    // The size and time the file keeps once renamed, read while it is fsynced.
    const [st] = await Promise.all([stat(part), fsyncFile(part)]);
    await publishFile(part, abs, { synced: true });
    return [
      {
        path: encodeAddPath(rel),
        partitionValues: {},
        size: st.size,
        modificationTime: Math.floor(st.mtimeMs),
        numRecords,
        stats: statsJsonFromRow(statCols, g!),
      },
    ];
  } catch (e) {
    await rm(part, { force: true });
    await rm(abs, { force: true });
    throw e;
  }
}

/**
 * Writes the rows of a DuckDB SELECT as new data files of the table and returns their `add`
 * actions (dataChange = true, with stats). Writes nothing into `_delta_log/`.
 */
export async function writeDataFiles(
  conn: DuckDBConnection,
  tablePath: string,
  selectSql: string,
  layout: WriteLayout & { readonly columns?: readonly string[] },
): Promise<AddAction[]> {
  const files = await writeParquetFiles(conn, tablePath, selectSql, layout);
  return files.map((f) => ({
    path: f.path,
    partitionValues: f.partitionValues,
    size: f.size,
    modificationTime: f.modificationTime,
    dataChange: true,
    stats: f.stats,
  }));
}
