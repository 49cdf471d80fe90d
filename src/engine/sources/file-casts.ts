import { type DuckType, sqlString } from '../../util/index.ts';

/**
 * Conversions of raw file values to their column types that never change a value: a value that
 * does not convert exactly is NULL in its column (and kept in the rescued data column), never
 * rounded. Spark's readers are the reference:
 * - JSON (Jackson): integral columns take integer tokens only (not `1.5`, `1e2` or `"7"`);
 *   floating columns take numbers and the strings `NaN`, `Infinity`, `+Infinity`, `+INF`,
 *   `-Infinity`, `-INF`; DECIMAL takes numbers and numeric strings (rounded half up to its scale,
 *   as Spark does); BOOLEAN takes `true` / `false` only; DATE and TIMESTAMP take strings (Spark
 *   also reads an integer into TIMESTAMP as epoch seconds: sluice rescues it — the batch reads
 *   these columns as text, see `file-read.ts`); BINARY takes base64 strings; STRING takes any value
 *   (a number or object as its JSON text); arrays, objects and maps only arrays / objects whose
 *   every element fits.
 * - CSV (Univocity): integral columns take `[+-]digits`; floating columns decimal numbers and
 *   `NaN`, `Inf`, `-Inf`, `Infinity`, `-Infinity`; BOOLEAN `true` / `false` in any case.
 * Everything here is SQL over whole columns (no per-row JavaScript).
 */

const INTEGRAL = new Set([
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'HUGEINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
]);
const FLOATING = new Set(['FLOAT', 'DOUBLE', 'REAL']);
const TIMESTAMPS = new Set(['TIMESTAMP', 'TIMESTAMPTZ', 'TIMESTAMP WITH TIME ZONE']);

/** Strings Spark's JSON reader takes as special floating values. */
const JSON_SPECIAL_FLOATS = `CASE __s WHEN 'NaN' THEN 'NaN' WHEN 'Infinity' THEN 'Infinity' WHEN '+Infinity' THEN 'Infinity' WHEN '+INF' THEN 'Infinity' WHEN '-Infinity' THEN '-Infinity' WHEN '-INF' THEN '-Infinity' END`;

/** `s` (VARCHAR) as a special floating value by Spark's JSON rules, else NULL. */
function jsonSpecialFloat(s: string, type: string): string {
  return `TRY_CAST(${JSON_SPECIAL_FLOATS.replaceAll('__s', () => s)} AS ${type})`;
}

/** The JSON string value of `v` (a JSON token) as VARCHAR, unquoted. */
function jsonString(v: string): string {
  return `(${v} ->> '$')`;
}

/*
 * Top-level JSON tokens are told apart by their text, not by parsing them again (this runs for
 * every value of every typed column): the readers give each value as minified JSON text, SQL NULL
 * for a JSON null. A string starts with `"`, an object with `{`, an array with `[`; `true` /
 * `false` are booleans; anything else is a number, an integer unless it has `.`, `e` or `E`.
 * A cast of the token text fails for every token of another kind (quotes, braces, letters).
 */

/** The token text of JSON value `v`. */
function tokenText(v: string): string {
  return `(${v}::VARCHAR)`;
}

/** The token is a JSON string. */
function isString(v: string): string {
  return `(${tokenText(v)} ^@ '"')`;
}

/** The token (known not to be a string) has no fraction or exponent. */
function notFractional(v: string): string {
  const t = tokenText(v);
  return `NOT (contains(${t}, '.') OR contains(${t}, 'e') OR contains(${t}, 'E'))`;
}

/** A string token's value: its text without the quotes, or decoded when it has escapes. */
function unquoted(v: string): string {
  const t = tokenText(v);
  return `(CASE WHEN contains(${t}, '\\') THEN ${jsonString(v)} ELSE ${t}[2:-2] END)`;
}

/**
 * The value of JSON token `v` (type JSON) as column type `type`, or NULL when Spark's JSON reader
 * would not read it into that type (see the module comment). `v` may be SQL NULL (missing or JSON
 * null): the result is then NULL.
 */
export function jsonScalarCast(v: string, type: DuckType): string {
  const t = type.text;
  const text = tokenText(v);
  if (type.kind !== 'scalar') {
    const shape = type.kind === 'list' ? `${text} ^@ '['` : `${text} ^@ '{'`;
    const check = jsonConforms(v, type, 0);
    return `CASE WHEN ${shape}${check === 'true' ? '' : ` AND ${check}`} THEN TRY_CAST(${v} AS ${t}) END`;
  }
  const name = type.name;
  if (INTEGRAL.has(name)) return `CASE WHEN ${notFractional(v)} THEN TRY_CAST(${text} AS ${t}) END`;
  if (FLOATING.has(name)) {
    return `CASE WHEN ${isString(v)} THEN ${jsonSpecialFloat(unquoted(v), t)} ELSE TRY_CAST(${text} AS ${t}) END`;
  }
  if (name === 'DECIMAL') {
    return `CASE WHEN ${isString(v)} THEN TRY_CAST(${unquoted(v)} AS ${t}) ELSE TRY_CAST(${text} AS ${t}) END`;
  }
  if (name === 'BOOLEAN') return `CASE ${text} WHEN 'true' THEN true WHEN 'false' THEN false END`;
  if (name === 'BLOB') return `CASE WHEN ${isString(v)} THEN TRY(from_base64(${unquoted(v)})) END`;
  if (name === 'TIMESTAMPTZ' || name === 'TIMESTAMP WITH TIME ZONE') {
    return (
      `CASE WHEN ${isString(v)} THEN TRY_CAST(${unquoted(v)} AS ${t}) ` +
      `WHEN ${notFractional(v)} THEN TRY(to_timestamp(TRY_CAST(${text} AS BIGINT))) END`
    );
  }
  if (name === 'VARCHAR') return `CASE WHEN ${isString(v)} THEN ${unquoted(v)} ELSE ${text} END`;
  // DATE, TIMESTAMP (without time zone), TIME, …: strings only.
  return `CASE WHEN ${isString(v)} THEN TRY_CAST(${unquoted(v)} AS ${t}) END`;
}

/** JSON types (`json_type`) a scalar column type takes inside an array, object or map. */
function nestedScalarTypes(name: string): string[] | undefined {
  if (INTEGRAL.has(name)) return ['BIGINT', 'UBIGINT'];
  if (FLOATING.has(name)) return ['BIGINT', 'UBIGINT', 'DOUBLE'];
  if (name === 'DECIMAL') return ['BIGINT', 'UBIGINT', 'DOUBLE', 'VARCHAR'];
  if (name === 'BOOLEAN') return ['BOOLEAN'];
  if (name === 'VARCHAR') return undefined;
  if (TIMESTAMPS.has(name)) return name === 'TIMESTAMP' ? ['VARCHAR'] : ['VARCHAR', 'BIGINT', 'UBIGINT'];
  return ['VARCHAR'];
}

/**
 * A SQL boolean: JSON value `v` fits `type` exactly (NULL and missing values fit). Leaves are
 * checked by token type and by a cast that succeeds (in range); arrays and maps element by element.
 */
export function jsonConforms(v: string, type: DuckType, depth: number): string {
  const jt = `json_type(${v})`;
  switch (type.kind) {
    case 'scalar': {
      const allowed = nestedScalarTypes(type.name);
      if (allowed === undefined) return 'true';
      const special = FLOATING.has(type.name)
        ? ` OR (${jt} = 'VARCHAR' AND ${jsonSpecialFloat(jsonString(v), type.text)} IS NOT NULL)`
        : '';
      const value =
        type.name === 'DECIMAL' || TIMESTAMPS.has(type.name) || type.name === 'BLOB' || type.name === 'DATE'
          ? jsonScalarCast(v, type)
          : `TRY_CAST(${v} AS ${type.text})`;
      return `(${v} IS NULL OR ${jt} = 'NULL' OR (${jt} IN (${allowed.map(sqlString).join(', ')}) AND ${value} IS NOT NULL)${special})`;
    }
    case 'list': {
      const e = `__e${depth}`;
      const inner = jsonConforms(e, type.element, depth + 1);
      const each =
        inner === 'true'
          ? 'true'
          : `COALESCE(list_bool_and(list_transform(json_extract(${v}, '$[*]'), ${e} -> ${inner})), true)`;
      return `(${v} IS NULL OR ${jt} = 'NULL' OR (${jt} = 'ARRAY' AND ${each}))`;
    }
    case 'struct': {
      const fields = type.fields
        .map((f) =>
          jsonConforms(`json_extract(${v}, ${sqlString(`$.${JSON.stringify(f.name)}`)})`, f.type, depth),
        )
        .filter((c) => c !== 'true');
      return `(${v} IS NULL OR ${jt} = 'NULL' OR (${jt} = 'OBJECT'${fields.map((c) => ` AND ${c}`).join('')}))`;
    }
    case 'map': {
      const e = `__e${depth}`;
      const inner = jsonConforms(e, type.value, depth + 1);
      const values =
        inner === 'true'
          ? ''
          : ` AND COALESCE(list_bool_and(list_transform(json_extract(${v}, '$.*'), ${e} -> ${inner})), true)`;
      const k = `__k${depth}`;
      const keys =
        type.key.kind === 'scalar' && type.key.name === 'VARCHAR'
          ? ''
          : ` AND COALESCE(list_bool_and(list_transform(json_keys(${v}), ${k} -> TRY_CAST(${k} AS ${type.key.text}) IS NOT NULL)), true)`;
      return `(${v} IS NULL OR ${jt} = 'NULL' OR (${jt} = 'OBJECT'${values}${keys}))`;
    }
    default: {
      const never: never = type;
      return never;
    }
  }
}

/** Decimal numbers as Java's `Double.parseDouble` reads them (no hexadecimal or `d`/`f` suffix). */
const CSV_NUMBER = String.raw`\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*`;

/**
 * The value of CSV field `v` (VARCHAR) as column type `type`, or NULL when Spark's CSV reader
 * would not read it into that type (see the module comment).
 */
export function csvCast(v: string, type: DuckType): string {
  const t = type.text;
  if (type.kind !== 'scalar') return `TRY_CAST(${v} AS ${t})`;
  const name = type.name;
  if (INTEGRAL.has(name))
    return `CASE WHEN regexp_full_match(${v}, '[+-]?[0-9]+') THEN TRY_CAST(${v} AS ${t}) END`;
  if (FLOATING.has(name)) {
    return (
      `CASE ${v} WHEN 'NaN' THEN 'NaN'::${t} WHEN 'Inf' THEN 'Infinity'::${t} WHEN '-Inf' THEN '-Infinity'::${t} ` +
      `WHEN 'Infinity' THEN 'Infinity'::${t} WHEN '+Infinity' THEN 'Infinity'::${t} WHEN '-Infinity' THEN '-Infinity'::${t} ` +
      `ELSE CASE WHEN regexp_full_match(${v}, '${CSV_NUMBER}') THEN TRY_CAST(${v} AS ${t}) END END`
    );
  }
  if (name === 'BOOLEAN') return `CASE lower(${v}) WHEN 'true' THEN true WHEN 'false' THEN false END`;
  return `TRY_CAST(${v} AS ${t})`;
}

/**
 * A Parquet value `v` as column type `type`: its cast when the cast gives back an equal value
 * (a DOUBLE 1.5 read into BIGINT does not: it is rescued), else NULL. Same-typed values pass as is.
 */
export function parquetCast(v: string, type: DuckType): string {
  const cast = `TRY_CAST(${v} AS ${type.text})`;
  return `CASE WHEN ${cast} = ${v} THEN ${cast} END`;
}
