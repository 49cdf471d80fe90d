/**
 * The types a Spark cast converts between, as sluice's cast translation sees them: the Spark
 * target of a `CAST` (from the type DuckDB's parser read) and the kind of value being cast
 * (from a literal or an inner cast at compile time, else DuckDB's `typeof` at run time).
 */
import { type AstNode, isNode, str } from './ast.ts';
import { type DuckType, decimalType, duckType, listType } from './cast-ast.ts';

export type IntegralType = 'TINYINT' | 'SMALLINT' | 'INTEGER' | 'BIGINT';

/** A Spark type a cast can produce. */
export type CastTarget =
  | { readonly kind: 'string' }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'integral'; readonly type: IntegralType }
  | { readonly kind: 'fractional'; readonly type: 'FLOAT' | 'DOUBLE' }
  | { readonly kind: 'decimal'; readonly precision: number; readonly scale: number }
  | { readonly kind: 'date' }
  | { readonly kind: 'timestamp' }
  | { readonly kind: 'timestamp_ntz' }
  | { readonly kind: 'binary' }
  | { readonly kind: 'array'; readonly element: CastTarget }
  /** MAP or STRUCT: only NULL converts (sluice does not cast their values). */
  | { readonly kind: 'complex'; readonly name: string; readonly type: DuckType };

/**
 * What a value being cast is, by Spark's reading of the DuckDB type it has. Unsigned and
 * 128-bit integers (from Parquet files or DuckDB aggregates) are integral; `JSON` and `UUID`
 * values are text.
 */
export type SourceKind =
  | 'null'
  | 'string'
  | 'boolean'
  | 'integral'
  | 'decimal'
  | 'float'
  | 'double'
  | 'date'
  | 'timestamp'
  | 'timestamp_ntz'
  | 'binary'
  | 'array'
  | 'other';

/** DuckDB type names (as `typeof` prints them) of each integral width Spark can read. */
export const INTEGRAL_NAMES = [
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'HUGEINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
  'UHUGEINT',
] as const;

export const STRING_NAMES = ['VARCHAR', 'JSON', 'UUID'] as const;
export const TIMESTAMP_NTZ_NAMES = ['TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS'] as const;

/** The kind of a value of DuckDB type `id` (a `typeof` name or a parse-tree type id). */
export function kindOfTypeName(id: string): SourceKind {
  if (id.endsWith('[]') || id === 'LIST') return 'array';
  if ((INTEGRAL_NAMES as readonly string[]).includes(id)) return 'integral';
  if ((STRING_NAMES as readonly string[]).includes(id)) return 'string';
  if ((TIMESTAMP_NTZ_NAMES as readonly string[]).includes(id)) return 'timestamp_ntz';
  if (id.startsWith('DECIMAL')) return 'decimal';
  switch (id) {
    case 'NULL':
    case '"NULL"':
      return 'null';
    case 'BOOLEAN':
      return 'boolean';
    case 'FLOAT':
      return 'float';
    case 'DOUBLE':
      return 'double';
    case 'DATE':
      return 'date';
    case 'TIMESTAMP WITH TIME ZONE':
      return 'timestamp';
    case 'BLOB':
      return 'binary';
    default:
      return 'other';
  }
}

/** A value's kind known from the expression itself: a literal or a cast's result type. */
export interface StaticSource {
  readonly kind: SourceKind;
  /** The DuckDB type id (`INTEGER`, `DECIMAL`, …). */
  readonly id: string;
  readonly type?: DuckType;
}

/** The kind of `x` when its type is known without running it, else undefined. */
export function staticSource(x: AstNode): StaticSource | undefined {
  if (x.class === 'CONSTANT' && isNode(x.value)) {
    if (x.value.is_null === true) return { kind: 'null', id: 'NULL' };
    const type = isNode(x.value.type) ? x.value.type : undefined;
    const id = type ? str(type, 'id') : '';
    return id ? { kind: kindOfTypeName(id), id, ...(type ? { type } : {}) } : undefined;
  }
  if (x.class === 'CAST' && isNode(x.cast_type)) {
    const id = str(x.cast_type, 'id');
    return id ? { kind: kindOfTypeName(id), id, type: x.cast_type } : undefined;
  }
  return undefined;
}

const INTEGRAL_RANK: Record<string, number> = { TINYINT: 1, SMALLINT: 2, INTEGER: 3, BIGINT: 4 };

/** Whether every value of DuckDB integral type `from` fits in `to`. */
export function integralFits(from: string, to: IntegralType): boolean {
  const rank = INTEGRAL_RANK[from];
  return rank !== undefined && rank <= INTEGRAL_RANK[to]!;
}

/** The DuckDB type holding a Spark type. */
export function duckTypeOf(t: CastTarget): DuckType {
  switch (t.kind) {
    case 'string':
      return duckType('VARCHAR');
    case 'boolean':
      return duckType('BOOLEAN');
    case 'integral':
    case 'fractional':
      return duckType(t.type);
    case 'decimal':
      return decimalType(t.precision, t.scale);
    case 'date':
      return duckType('DATE');
    case 'timestamp':
      return duckType('TIMESTAMP WITH TIME ZONE');
    case 'timestamp_ntz':
      return duckType('TIMESTAMP');
    case 'binary':
      return duckType('BLOB');
    case 'array':
      return listType(duckTypeOf(t.element));
    case 'complex':
      return t.type;
    default: {
      const never: never = t;
      return never;
    }
  }
}

/** Spark's name of a type (as its error messages print it). */
export function sparkTypeName(t: CastTarget): string {
  switch (t.kind) {
    case 'string':
      return 'STRING';
    case 'boolean':
      return 'BOOLEAN';
    case 'integral':
      return t.type === 'INTEGER' ? 'INT' : t.type;
    case 'fractional':
      return t.type;
    case 'decimal':
      return `DECIMAL(${t.precision},${t.scale})`;
    case 'date':
      return 'DATE';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'timestamp_ntz':
      return 'TIMESTAMP_NTZ';
    case 'binary':
      return 'BINARY';
    case 'array':
      return `ARRAY<${sparkTypeName(t.element)}>`;
    case 'complex':
      return t.name;
    default: {
      const never: never = t;
      return never;
    }
  }
}

/** Spark's name of a DuckDB type (for messages about a value's type). */
export function sparkNameOfDuckType(id: string): string {
  switch (kindOfTypeName(id)) {
    case 'string':
      return 'STRING';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'timestamp_ntz':
      return 'TIMESTAMP_NTZ';
    case 'binary':
      return 'BINARY';
    case 'null':
      return 'VOID';
    default:
      return id === 'INTEGER' ? 'INT' : id;
  }
}

/** Outcome of reading a cast's target type. */
export type TargetReading =
  | { readonly kind: 'target'; readonly target: CastTarget }
  /**
   * A cast left as DuckDB reads it: INTERVAL and TIME (interval and time literals, which other
   * rewrites own) and names DuckDB's parser leaves unbound (`X'…'`, `r'…'` literals).
   */
  | { readonly kind: 'keep' }
  | { readonly kind: 'unsupported'; readonly name: string };

const UNBOUND_TARGETS: Record<string, CastTarget> = {
  BYTE: { kind: 'integral', type: 'TINYINT' },
  TIMESTAMP_NTZ: { kind: 'timestamp_ntz' },
  TIMESTAMP_LTZ: { kind: 'timestamp' },
};

/** The Spark type a parsed `CAST(… AS type)` names (DuckDB's parse-tree `cast_type`). */
export function readTarget(type: AstNode): TargetReading {
  const id = str(type, 'id');
  const info = isNode(type.type_info) ? type.type_info : undefined;
  const target = (t: CastTarget): TargetReading => ({ kind: 'target', target: t });
  switch (id) {
    case 'VARCHAR':
      return target({ kind: 'string' });
    case 'BOOLEAN':
      return target({ kind: 'boolean' });
    case 'TINYINT':
    case 'SMALLINT':
    case 'INTEGER':
    case 'BIGINT':
      return target({ kind: 'integral', type: id });
    case 'FLOAT':
    case 'DOUBLE':
      return target({ kind: 'fractional', type: id });
    case 'DECIMAL': {
      const precision = info && typeof info.width === 'number' ? info.width : 10;
      const scale = info && typeof info.scale === 'number' ? info.scale : 0;
      return target({ kind: 'decimal', precision, scale });
    }
    case 'DATE':
      return target({ kind: 'date' });
    case 'TIMESTAMP':
    case 'TIMESTAMP WITH TIME ZONE':
      return target({ kind: 'timestamp' });
    case 'BLOB':
      return target({ kind: 'binary' });
    case 'INTERVAL':
    case 'TIME':
      return { kind: 'keep' };
    case 'LIST': {
      const child = info && isNode(info.child_type) ? readTarget(info.child_type) : undefined;
      if (child?.kind === 'target') return target({ kind: 'array', element: child.target });
      return target({ kind: 'complex', name: 'ARRAY', type });
    }
    case 'MAP':
    case 'STRUCT':
      return target({ kind: 'complex', name: id, type });
    case 'UNBOUND': {
      const name = info ? str(info, 'name').toUpperCase() : '';
      const mapped = UNBOUND_TARGETS[name];
      // Other unbound names are literal prefixes other rewrites own (`X'00'`, `r'…'`).
      return mapped ? target(mapped) : { kind: 'keep' };
    }
    default:
      return { kind: 'unsupported', name: id };
  }
}
