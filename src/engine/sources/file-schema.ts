import { parseSparkColumns } from '../../sql/index.ts';
import { deltaTypeToDuckDB } from '../../storage/index.ts';
import { type DuckDBType, DuckDBTypeId, sqlIdent } from '../../util/index.ts';

/** One column of a file source: `type` is a DuckDB type string (e.g. `BIGINT`, `STRUCT("a" VARCHAR)`). */
export interface FileColumn {
  readonly name: string;
  readonly type: string;
}

/**
 * The schema a file source reads with. Plain JSON data: the engine persists it in the flow's
 * checkpoint so later runs read with the same schema. It never includes the two columns every
 * batch adds: `_rescued_data VARCHAR` and `_source_file VARCHAR`.
 */
export interface FileSchema {
  readonly columns: readonly FileColumn[];
}

/** Columns every file batch appends after the schema's columns. */
export const RESCUED_DATA_COLUMN = '_rescued_data';
export const SOURCE_FILE_COLUMN = '_source_file';

/** True when a DuckDB type string is a LIST, ARRAY, MAP or STRUCT (read from JSON as a JSON fragment). */
export function isNestedType(type: string): boolean {
  return /^\s*(STRUCT|MAP|UNION)\s*\(/i.test(type) || /\]\s*$/.test(type);
}

// ---------------------------------------------------------------------------------------------
// Spark DDL → DuckDB types

/**
 * Parses a Spark DDL schema (`id BIGINT, name STRING, tags ARRAY<STRING>, geo STRUCT<lat: DOUBLE>`)
 * with the Spark DDL reader into DuckDB types: STRING → VARCHAR, LONG/BIGINT → BIGINT, INT →
 * INTEGER, TIMESTAMP (and TIMESTAMP_LTZ) → TIMESTAMPTZ, TIMESTAMP_NTZ → TIMESTAMP, BINARY → BLOB,
 * DECIMAL(p,s) as is, ARRAY<T> → T[], MAP<K,V> → MAP(K, V), STRUCT<a: T> → STRUCT("a" T).
 * `NOT NULL` and `COMMENT '…'` are accepted and ignored. Throws INVALID_SCHEMA_DDL with the
 * position of the problem.
 */
export function parseSchemaDdl(ddl: string): FileSchema {
  return {
    columns: parseSparkColumns(ddl).map((c) => ({
      name: c.name,
      // File schemas are persisted in checkpoints with DuckDB's short spelling.
      type: deltaTypeToDuckDB(c.type).replaceAll('TIMESTAMP WITH TIME ZONE', 'TIMESTAMPTZ'),
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// DuckDB inferred types → the types a file source (and Delta) can hold

/**
 * Maps a type DuckDB inferred to one sluice stores: unsigned and 128-bit integers widen to signed
 * or DECIMAL, every timestamp becomes TIMESTAMPTZ (or TIMESTAMP for a Parquet timestamp without
 * time zone when `keepNtz`), and types Delta has no equivalent for (JSON, TIME, INTERVAL, UUID,
 * ENUM, UNION, NULL …) become VARCHAR.
 */
export function normalizeDuckDBType(t: DuckDBType, keepNtz: boolean): string {
  if (t.alias === 'JSON') return 'VARCHAR';
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN:
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
    case DuckDBTypeId.DATE:
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.BLOB:
      return DuckDBTypeId[t.typeId];
    case DuckDBTypeId.UTINYINT:
      return 'SMALLINT';
    case DuckDBTypeId.USMALLINT:
      return 'INTEGER';
    case DuckDBTypeId.UINTEGER:
      return 'BIGINT';
    case DuckDBTypeId.UBIGINT:
      return 'DECIMAL(20,0)';
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return 'DECIMAL(38,0)';
    case DuckDBTypeId.DECIMAL:
      return `DECIMAL(${t.width},${t.scale})`;
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return keepNtz ? 'TIMESTAMP' : 'TIMESTAMPTZ';
    case DuckDBTypeId.TIMESTAMP_TZ:
      return 'TIMESTAMPTZ';
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return `${normalizeDuckDBType(t.valueType, keepNtz)}[]`;
    case DuckDBTypeId.MAP:
      return `MAP(${normalizeDuckDBType(t.keyType, keepNtz)}, ${normalizeDuckDBType(t.valueType, keepNtz)})`;
    case DuckDBTypeId.STRUCT:
      if (t.entryNames.length === 0) return 'VARCHAR';
      return `STRUCT(${t.entryNames.map((n, i) => `${sqlIdent(n)} ${normalizeDuckDBType(t.entryTypes[i]!, keepNtz)}`).join(', ')})`;
    default:
      return 'VARCHAR';
  }
}

/**
 * `persisted` plus the columns of `found` it lacks, appended in `found`'s order. Existing columns
 * keep their position and type (names compare case-insensitively, as DuckDB identifiers do).
 * Returns `persisted` itself when nothing is new.
 */
export function mergeFileSchemas(persisted: FileSchema, found: FileSchema): FileSchema {
  const known = new Set(persisted.columns.map((c) => c.name.toLowerCase()));
  const added = found.columns.filter((c) => !known.has(c.name.toLowerCase()));
  return added.length === 0 ? persisted : { columns: [...persisted.columns, ...added] };
}

/**
 * `schema` with the types `schemaHints` (Spark DDL) names: a hinted column keeps its place and
 * takes the hint's type; a hinted column the data does not have is added at the end (Auto Loader
 * adds it, NULL until data brings it). Names compare case-insensitively. Throws INVALID_SCHEMA_DDL
 * for hints that are not DDL.
 */
export function applySchemaHints(schema: FileSchema, hints: string | undefined): FileSchema {
  if (hints === undefined) return schema;
  const hinted = parseSchemaDdl(hints).columns;
  const byName = new Map(hinted.map((c) => [c.name.toLowerCase(), c]));
  const columns = schema.columns.map((c) => {
    const h = byName.get(c.name.toLowerCase());
    return h ? { name: c.name, type: h.type } : c;
  });
  const present = new Set(schema.columns.map((c) => c.name.toLowerCase()));
  for (const h of hinted) if (!present.has(h.name.toLowerCase())) columns.push(h);
  return { columns };
}
