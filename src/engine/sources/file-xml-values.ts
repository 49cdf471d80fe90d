import type { XmlReadOptions } from '../../sql/index.ts';
import { type DuckType, sqlString } from '../../util/index.ts';
import { WS } from './file-xml-rows.ts';

/**
 * XML values as Spark's XML source types them: the inference class of a text (`classSql`, merged
 * by `mergeClass`), and the conversion of raw texts to a column's type (`xmlCast`), for scalar
 * columns and for arrays and structs of them (see `file-xml.ts` and `file-xml-tree.ts`).
 */

/** A timestamp Spark's default parser reads and DuckDB casts alike (ISO date, time, optional zone). */
const TIMESTAMP_RE = `[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?`;
const DATE_RE = `[0-9]{4}-[0-9]{2}-[0-9]{2}`;
export const NUMBER_RE = `[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?`;

/** A value (text `t`, child element `k`) as a column of type `scalar` (or an array's element type) reads it, before conversion. */
export function entryValue(t: string, k: string, xml: XmlReadOptions, isString: boolean): string {
  let v = xml.ignoreSurroundingSpaces === true ? `trim(${t}, ${WS})` : t;
  if (xml.nullValue !== undefined) v = `CASE WHEN ${v} = ${sqlString(xml.nullValue)} THEN NULL ELSE ${v} END`;
  // An empty (or blank) child element is NULL unless the column is a STRING (Spark's convertField).
  const isBlank = `(${t} = '' OR (${t}[1] IN (' ', '\t', '\n', '\r') AND trim(${t}, ${WS}) = ''))`;
  return isString ? v : `CASE WHEN ${k} AND ${isBlank} THEN NULL ELSE ${v} END`;
}

/**
 * The inference class of value `v` (VARCHAR, NULL for no value) — Spark's cascade (see the module
 * comment), and `ambiguous` for a value Spark's lenient timestamp parser may read that sluice cannot
 * tell (a year or time prefix such as `2024-1-5`, `12:30`, `123456-7`, or a hexadecimal float).
 */
export function classSql(v: string, ambiguous = `'ambiguous'`): string {
  return (
    `CASE WHEN ${v} IS NULL OR ${v} = '' THEN 'null' ` +
    `WHEN regexp_full_match(${v}, '[+-]?[0-9]+') AND TRY_CAST(regexp_replace(${v}, '^[+-]', '') AS BIGINT) IS NOT NULL THEN 'long' ` +
    `WHEN regexp_full_match(${v}, ${sqlString(NUMBER_RE)}) THEN 'double' ` +
    `WHEN regexp_full_match(${v}, ${sqlString(DATE_RE)}) AND TRY_CAST(${v} AS DATE) IS NOT NULL THEN 'date' ` +
    `WHEN regexp_full_match(${v}, ${sqlString(TIMESTAMP_RE)}) THEN CASE WHEN TRY_CAST(${v} AS TIMESTAMPTZ) IS NOT NULL THEN 'timestamp' ELSE 'string' END ` +
    `WHEN lower(${v}) IN ('true', 'false') THEN 'boolean' ` +
    `WHEN regexp_matches(${v}, '^[+-]?[0-9]{4,6}(-|[T ][0-9])') OR regexp_matches(${v}, '^[+-]?[0-9]{1,2}:') ` +
    `OR regexp_matches(${v}, '^T[0-9]') OR regexp_matches(${v}, '^[+-]?0[xX]') THEN ${ambiguous} ` +
    `ELSE 'string' END`
  );
}

export type XmlClass = 'null' | 'long' | 'double' | 'date' | 'timestamp' | 'boolean' | 'string';

/** Spark's `compatibleType` over the classes sluice infers. */
export function mergeClass(a: XmlClass, b: XmlClass): XmlClass {
  if (a === 'null') return b;
  if (b === 'null' || a === b) return a;
  const pair = new Set([a, b]);
  if (pair.has('long') && pair.has('double')) return 'double';
  if (pair.has('date') && pair.has('timestamp')) return 'timestamp';
  return 'string';
}

export const COLUMN_TYPE: Readonly<Record<XmlClass, string>> = {
  null: 'VARCHAR',
  long: 'BIGINT',
  double: 'DOUBLE',
  date: 'DATE',
  timestamp: 'TIMESTAMPTZ',
  boolean: 'BOOLEAN',
  string: 'VARCHAR',
};

const INTEGRAL = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT']);
const FLOATING = new Set(['FLOAT', 'DOUBLE', 'REAL']);

/** A scalar XML value `v` (VARCHAR) as `type` by Spark's XML parser (`castTo`), else NULL (rescued). */
export function scalarCast(v: string, type: DuckType & { kind: 'scalar' }): string {
  const t = type.text;
  const name = type.name;
  if (name === 'VARCHAR') return v;
  if (INTEGRAL.has(name))
    return `CASE WHEN regexp_full_match(${v}, '[+-]?[0-9]+') THEN TRY_CAST(${v} AS ${t}) END`;
  if (FLOATING.has(name)) {
    return (
      `CASE WHEN ${v} IN ('NaN', 'Infinity', '+Infinity', '-Infinity') THEN TRY_CAST(replace(${v}, '+', '') AS ${t}) ` +
      `WHEN regexp_full_match(${v}, ${sqlString(`${NUMBER_RE}[dDfF]?`)}) THEN TRY_CAST(regexp_replace(${v}, '[dDfF]$', '') AS ${t}) END`
    );
  }
  if (name === 'DECIMAL')
    return `CASE WHEN regexp_full_match(${v}, ${sqlString(NUMBER_RE)}) THEN TRY_CAST(${v} AS ${t}) END`;
  if (name === 'BOOLEAN') {
    return `CASE lower(${v}) WHEN 'true' THEN true WHEN '1' THEN true WHEN 'false' THEN false WHEN '0' THEN false END`;
  }
  if (name === 'DATE')
    return `CASE WHEN regexp_full_match(${v}, ${sqlString(DATE_RE)}) THEN TRY_CAST(${v} AS DATE) END`;
  if (name.startsWith('TIMESTAMP')) {
    return `CASE WHEN regexp_full_match(${v}, ${sqlString(TIMESTAMP_RE)}) THEN TRY_CAST(${v} AS ${t}) END`;
  }
  return `TRY_CAST(${v} AS ${t})`;
}

/** Whether raw value `v` of `type` (VARCHAR leaves) converts: every non-NULL leaf converts. */
function converts(v: string, type: DuckType, depth: number): string {
  switch (type.kind) {
    case 'scalar':
      return type.name === 'VARCHAR' ? 'true' : `(${v} IS NULL OR (${scalarCast(v, type)}) IS NOT NULL)`;
    case 'list': {
      const x = `__x${depth}`;
      return `(${v} IS NULL OR COALESCE(list_bool_and(list_transform(${v}, ${x} -> ${converts(x, type.element, depth + 1)})), true))`;
    }
    case 'struct':
      return `(${v} IS NULL OR (${type.fields.map((f) => converts(`struct_extract(${v}, ${sqlString(f.name)})`, f.type, depth)).join(' AND ')}))`;
    case 'map':
      return 'false';
    default: {
      const never: never = type;
      throw new Error(`unknown type ${String(never)}`);
    }
  }
}

/** Raw value `v` of `type` (VARCHAR leaves) with each leaf converted (see `converts`). */
function converted(v: string, type: DuckType, depth: number): string {
  switch (type.kind) {
    case 'scalar':
      return scalarCast(v, type);
    case 'list': {
      const x = `__x${depth}`;
      return `list_transform(${v}, ${x} -> ${converted(x, type.element, depth + 1)})`;
    }
    case 'struct': {
      const fields = type.fields.map(
        (f) =>
          `${sqlString(f.name)}: ${converted(`struct_extract(${v}, ${sqlString(f.name)})`, f.type, depth)}`,
      );
      return `CASE WHEN ${v} IS NOT NULL THEN {${fields.join(', ')}} END`;
    }
    case 'map':
      return `NULL::${type.text}`;
    default: {
      const never: never = type;
      throw new Error(`unknown type ${String(never)}`);
    }
  }
}

/**
 * The value of raw XML value `v` (VARCHAR, or the column's shape with VARCHAR leaves: see
 * `rawType` in `file-xml-tree.ts`) as `type`, or NULL when Spark's XML parser would not read it
 * into that type: a value with one leaf that does not convert is NULL as a whole (Spark's parser
 * drops the whole top-level field of a bad record), and rescued.
 */
export function xmlCast(v: string, type: DuckType): string {
  if (type.kind === 'scalar') return scalarCast(v, type);
  if (type.kind === 'list' && type.element.kind === 'scalar') {
    const each = scalarCast('__x0', type.element);
    return `CASE WHEN list_bool_and(list_transform(${v}, __x0 -> __x0 IS NULL OR (${each}) IS NOT NULL)) THEN list_transform(${v}, __x0 -> ${each}) END`;
  }
  if (type.kind === 'map') return `TRY_CAST(${v} AS ${type.text})`;
  return `CASE WHEN ${converts(v, type, 0)} THEN (${converted(v, type, 0)})::${type.text} END`;
}
