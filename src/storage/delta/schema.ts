/**
 * Spark StructType (the Delta `schemaString`) and its mapping to and from DuckDB types.
 *
 * Mapping Delta → DuckDB: string→VARCHAR, long→BIGINT, integer→INTEGER, short→SMALLINT,
 * byte→TINYINT, float→FLOAT, double→DOUBLE, decimal(p,s)→DECIMAL(p,s), boolean→BOOLEAN,
 * binary→BLOB, date→DATE, timestamp→TIMESTAMP WITH TIME ZONE (Delta timestamps are UTC instants),
 * timestamp_ntz→TIMESTAMP, array→T[], map→MAP(K, V), struct→STRUCT(...).
 *
 * Mapping DuckDB → Delta (for writing query results) is the inverse plus widening of the types
 * Delta lacks: UTINYINT→short, USMALLINT→integer, UINTEGER→long, UBIGINT→decimal(20,0),
 * HUGEINT→decimal(38,0), TIMESTAMP_S/_MS/_NS/DATETIME→timestamp_ntz, TIMESTAMPTZ→timestamp,
 * UUID/JSON/ENUM/"NULL"→string (the writer casts the value). TIME, INTERVAL, UHUGEINT, UNION,
 * BIT, VARINT and other types with no faithful Delta equivalent are refused with
 * DELTA_UNSUPPORTED_TYPE rather than silently changed.
 */
import { SluiceError } from '../../errors/index.ts';
import type { DataType as DeltaType, PrimitiveType, StructField, StructType } from '../../model/index.ts';
import { sqlIdent } from '../../util/index.ts';

export type {
  ArrayType,
  DataType as DeltaType,
  MapType,
  PrimitiveType,
  StructField,
  StructType,
} from '../../model/index.ts';

const PRIMITIVES: ReadonlySet<string> = new Set([
  'string',
  'long',
  'integer',
  'short',
  'byte',
  'float',
  'double',
  'boolean',
  'binary',
  'date',
  'timestamp',
  'timestamp_ntz',
]);

const DECIMAL_RE = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;

function unsupported(type: string, context?: string): SluiceError {
  return new SluiceError(
    'DELTA_UNSUPPORTED_TYPE',
    `type '${type}'${context ? ` (${context})` : ''} cannot be mapped between Delta and DuckDB`,
    { params: { type } },
  );
}

/** A decimal type string in Delta's canonical form `decimal(p,s)`. */
function decimalType(precision: number, scale: number): PrimitiveType {
  if (!(precision >= 1 && precision <= 38 && scale >= 0 && scale <= precision)) {
    throw unsupported(`decimal(${precision},${scale})`);
  }
  return `decimal(${precision},${scale})`;
}

/** Types sluice reads as another type (see {@link specialTypeOf}). */
export type SpecialType = 'void' | 'variant' | 'geospatial';

const GEOSPATIAL_RE = /^(geometry|geography)(\(.*\))?$/;

/**
 * A type node sluice reads as another type: `void` (always NULL) as string, `variant` as its JSON
 * text (string), `geometry(…)` / `geography(…)` as binary (but reads refuse them). Undefined otherwise.
 */
export function specialTypeOf(node: unknown): SpecialType | undefined {
  if (node === 'void') return 'void';
  if (node === 'variant') return 'variant';
  if (typeof node === 'string' && GEOSPATIAL_RE.test(node)) return 'geospatial';
  return undefined;
}

/** The type a special type is read as (see {@link specialTypeOf}). */
const SPECIAL_READ_TYPES: Readonly<Record<SpecialType, PrimitiveType>> = {
  void: 'string',
  variant: 'string',
  geospatial: 'binary',
};

/**
 * Parses one type node of a schemaString JSON. Char/varchar(n) read as string, per the protocol;
 * void, variant and geospatial types as the type they are read as (see {@link specialTypeOf}).
 */
export function parseTypeNode(node: unknown, where: string): DeltaType {
  if (typeof node === 'string') {
    if (PRIMITIVES.has(node)) return node as PrimitiveType;
    const special = specialTypeOf(node);
    if (special) return SPECIAL_READ_TYPES[special];
    if (node === 'decimal') return 'decimal(10,0)';
    const m = DECIMAL_RE.exec(node);
    if (m) return decimalType(Number(m[1]), Number(m[2]));
    if (/^(var)?char\(\d+\)$/.test(node)) return 'string';
    throw unsupported(node, where);
  }
  if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    switch (o.type) {
      case 'array':
        return {
          type: 'array',
          elementType: parseTypeNode(o.elementType, `${where}.element`),
          containsNull: o.containsNull !== false,
        };
      case 'map':
        return {
          type: 'map',
          keyType: parseTypeNode(o.keyType, `${where}.key`),
          valueType: parseTypeNode(o.valueType, `${where}.value`),
          valueContainsNull: o.valueContainsNull !== false,
        };
      case 'struct':
        return parseStructNode(o, where);
    }
  }
  throw unsupported(JSON.stringify(node), where);
}

function parseStructNode(o: Record<string, unknown>, where: string): StructType {
  if (!Array.isArray(o.fields)) throw unsupported(JSON.stringify(o), where);
  const fields = o.fields.map((f: unknown): StructField => {
    const fo = f as Record<string, unknown>;
    if (!fo || typeof fo.name !== 'string') throw unsupported(JSON.stringify(f), where);
    const path = where ? `${where}.${fo.name}` : fo.name;
    return {
      name: fo.name,
      type: parseTypeNode(fo.type, path),
      nullable: fo.nullable !== false,
      metadata: (fo.metadata && typeof fo.metadata === 'object' ? fo.metadata : {}) as Record<
        string,
        unknown
      >,
    };
  });
  return { type: 'struct', fields };
}

/**
 * Parses a Delta `schemaString` (Spark StructType JSON).
 * Throws DELTA_CORRUPT_LOG when it is not JSON, DELTA_UNSUPPORTED_TYPE for a type sluice cannot read.
 */
export function parseSchemaString(s: string): StructType {
  let json: unknown;
  try {
    json = JSON.parse(s);
  } catch (e) {
    throw new SluiceError(
      'DELTA_CORRUPT_LOG',
      `metaData.schemaString is not valid JSON: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  if (!json || typeof json !== 'object' || (json as Record<string, unknown>).type !== 'struct') {
    throw new SluiceError('DELTA_CORRUPT_LOG', 'metaData.schemaString is not a struct type');
  }
  return parseStructNode(json as Record<string, unknown>, '');
}

function typeToJson(t: DeltaType): unknown {
  if (typeof t === 'string') return t;
  switch (t.type) {
    case 'array':
      return { type: 'array', elementType: typeToJson(t.elementType), containsNull: t.containsNull };
    case 'map':
      return {
        type: 'map',
        keyType: typeToJson(t.keyType),
        valueType: typeToJson(t.valueType),
        valueContainsNull: t.valueContainsNull,
      };
    case 'struct':
      return {
        type: 'struct',
        fields: t.fields.map((f) => ({
          name: f.name,
          type: typeToJson(f.type),
          nullable: f.nullable,
          metadata: f.metadata,
        })),
      };
  }
}

/** Serializes a schema as Delta `schemaString` JSON (Spark's field order). Round-trips with parseSchemaString. */
export function serializeSchema(schema: StructType): string {
  return JSON.stringify(typeToJson(schema));
}

/** The DuckDB type for a Delta type (see the module comment for the mapping). */
export function deltaTypeToDuckDB(t: DeltaType): string {
  if (typeof t === 'string') {
    switch (t) {
      case 'string':
        return 'VARCHAR';
      case 'long':
        return 'BIGINT';
      case 'integer':
        return 'INTEGER';
      case 'short':
        return 'SMALLINT';
      case 'byte':
        return 'TINYINT';
      case 'float':
        return 'FLOAT';
      case 'double':
        return 'DOUBLE';
      case 'boolean':
        return 'BOOLEAN';
      case 'binary':
        return 'BLOB';
      case 'date':
        return 'DATE';
      case 'timestamp':
        return 'TIMESTAMP WITH TIME ZONE';
      case 'timestamp_ntz':
        return 'TIMESTAMP';
      default: {
        const m = DECIMAL_RE.exec(t);
        if (m) return `DECIMAL(${m[1]},${m[2]})`;
        throw unsupported(t);
      }
    }
  }
  switch (t.type) {
    case 'array':
      return `${deltaTypeToDuckDB(t.elementType)}[]`;
    case 'map':
      return `MAP(${deltaTypeToDuckDB(t.keyType)}, ${deltaTypeToDuckDB(t.valueType)})`;
    case 'struct':
      return `STRUCT(${t.fields.map((f) => `${sqlIdent(f.name)} ${deltaTypeToDuckDB(f.type)}`).join(', ')})`;
  }
}

/** Top-level columns of a schema as DuckDB `{name, type}` pairs, in schema order. */
export function structTypeToDuckDBColumns(schema: StructType): { name: string; type: string }[] {
  return schema.fields.map((f) => ({ name: f.name, type: deltaTypeToDuckDB(f.type) }));
}

// ---------------------------------------------------------------------------------------------
// DuckDB type strings → Delta

type Tok = { kind: 'word' | 'quoted' | 'num' | 'punct'; text: string };

function tokenizeType(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= s.length) throw unsupported(s, 'unterminated quoted name');
        if (s[j] === '"') {
          if (s[j + 1] === '"') {
            text += '"';
            j += 2;
            continue;
          }
          break;
        }
        text += s[j];
        j++;
      }
      out.push({ kind: 'quoted', text });
      i = j + 1;
    } else if (/[0-9]/.test(c)) {
      let j = i;
      while (j < s.length && /[0-9]/.test(s[j] as string)) j++;
      out.push({ kind: 'num', text: s.slice(i, j) });
      i = j;
    } else if ('(),[]'.includes(c)) {
      out.push({ kind: 'punct', text: c });
      i++;
    } else if (c === "'") {
      // ENUM('a', 'b') literals
      let j = i + 1;
      while (j < s.length && !(s[j] === "'" && s[j + 1] !== "'")) j += s[j] === "'" ? 2 : 1;
      out.push({ kind: 'quoted', text: s.slice(i + 1, j) });
      i = j + 1;
    } else {
      let j = i;
      while (j < s.length && !/[\s"(),[\]']/.test(s[j] as string)) j++;
      out.push({ kind: 'word', text: s.slice(i, j) });
      i = j;
    }
  }
  return out;
}

/** DuckDB type names read as `string`; their parameters (length, ENUM values) are skipped. */
const STRING_TYPES: ReadonlySet<string> = new Set([
  'VARCHAR',
  'TEXT',
  'STRING',
  'CHAR',
  'BPCHAR',
  'UUID',
  'JSON',
  'NULL',
  'ENUM',
]);

/** DuckDB type names (upper-cased) without parameters → their Delta type (widened where Delta lacks one). */
const SIMPLE_TYPES: ReadonlyMap<string, PrimitiveType> = new Map<string, PrimitiveType>([
  ['BIGINT', 'long'],
  ['INT8', 'long'],
  ['LONG', 'long'],
  ['UINTEGER', 'long'],
  ['UINT32', 'long'],
  ['INTEGER', 'integer'],
  ['INT', 'integer'],
  ['INT4', 'integer'],
  ['SIGNED', 'integer'],
  ['USMALLINT', 'integer'],
  ['UINT16', 'integer'],
  ['SMALLINT', 'short'],
  ['INT2', 'short'],
  ['SHORT', 'short'],
  ['UTINYINT', 'short'],
  ['UINT8', 'short'],
  ['TINYINT', 'byte'],
  ['INT1', 'byte'],
  ['UBIGINT', 'decimal(20,0)'],
  ['UINT64', 'decimal(20,0)'],
  ['HUGEINT', 'decimal(38,0)'],
  ['INT128', 'decimal(38,0)'],
  ['FLOAT', 'float'],
  ['FLOAT4', 'float'],
  ['REAL', 'float'],
  ['DOUBLE', 'double'],
  ['FLOAT8', 'double'],
  ['BOOLEAN', 'boolean'],
  ['BOOL', 'boolean'],
  ['LOGICAL', 'boolean'],
  ['BLOB', 'binary'],
  ['BYTEA', 'binary'],
  ['BINARY', 'binary'],
  ['VARBINARY', 'binary'],
  ['DATE', 'date'],
  ['TIMESTAMPTZ', 'timestamp'],
  ['DATETIME', 'timestamp_ntz'],
  ['TIMESTAMP_S', 'timestamp_ntz'],
  ['TIMESTAMP_MS', 'timestamp_ntz'],
  ['TIMESTAMP_NS', 'timestamp_ntz'],
  ['TIMESTAMP_US', 'timestamp_ntz'],
]);

class TypeParser {
  private pos = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly source: string,
  ) {}

  private peek(): Tok | undefined {
    return this.toks[this.pos];
  }
  private next(): Tok {
    const t = this.toks[this.pos++];
    if (!t) throw unsupported(this.source, 'unexpected end of type');
    return t;
  }
  private expect(text: string): void {
    const t = this.next();
    if (t.text !== text) throw unsupported(this.source, `expected '${text}'`);
  }
  private isPunct(text: string): boolean {
    const t = this.peek();
    return t?.kind === 'punct' && t.text === text;
  }

  atEnd(): boolean {
    return this.pos >= this.toks.length;
  }

  parseType(): DeltaType {
    let t = this.parseBase();
    while (this.isPunct('[')) {
      this.next();
      if (this.peek()?.kind === 'num') this.next();
      this.expect(']');
      t = { type: 'array', elementType: t, containsNull: true };
    }
    return t;
  }

  /** One type without trailing `[]`s: a named type and its parameters. */
  private parseBase(): DeltaType {
    const tok = this.next();
    if (tok.kind !== 'word' && tok.kind !== 'quoted') throw unsupported(this.source);
    const w = tok.text.toUpperCase();
    if (STRING_TYPES.has(w)) {
      this.skipParams();
      return 'string';
    }
    const simple = SIMPLE_TYPES.get(w);
    if (simple !== undefined) return simple;
    switch (w) {
      case 'TIMESTAMP':
        return this.timestampRest();
      case 'DECIMAL':
      case 'NUMERIC':
        return this.decimalParams();
      case 'LIST':
        return this.listParams();
      case 'MAP':
        return this.mapParams();
      case 'STRUCT':
      case 'ROW':
        return this.structFields();
      default:
        throw unsupported(tok.text, `in DuckDB type ${this.source}`);
    }
  }

  /** After `TIMESTAMP`: `timestamp` for `WITH TIME ZONE`, else `timestamp_ntz`. */
  private timestampRest(): DeltaType {
    const a = this.peek();
    if (a?.kind === 'word' && a.text.toUpperCase() === 'WITH') {
      this.next();
      const b = this.next();
      const c = this.next();
      if (b.text.toUpperCase() !== 'TIME' || c.text.toUpperCase() !== 'ZONE') throw unsupported(this.source);
      return 'timestamp';
    }
    return 'timestamp_ntz';
  }

  /** After `DECIMAL` / `NUMERIC`: the decimal type of `(p[, s])`, DuckDB's `decimal(18,3)` without. */
  private decimalParams(): DeltaType {
    if (!this.isPunct('(')) return 'decimal(18,3)';
    this.next();
    const p = Number(this.next().text);
    let s = 0;
    if (this.isPunct(',')) {
      this.next();
      s = Number(this.next().text);
    }
    this.expect(')');
    return decimalType(p, s);
  }

  /** After `LIST`: an array of the parenthesized element type. */
  private listParams(): DeltaType {
    this.expect('(');
    const el = this.parseType();
    this.expect(')');
    return { type: 'array', elementType: el, containsNull: true };
  }

  /** After `MAP`: a map of the parenthesized key and value types. */
  private mapParams(): DeltaType {
    this.expect('(');
    const k = this.parseType();
    this.expect(',');
    const v = this.parseType();
    this.expect(')');
    return { type: 'map', keyType: k, valueType: v, valueContainsNull: true };
  }

  /** After `STRUCT` / `ROW`: a struct of the parenthesized `name type` fields (all nullable). */
  private structFields(): DeltaType {
    this.expect('(');
    const fields: StructField[] = [];
    while (!this.isPunct(')')) {
      const name = this.next();
      if (name.kind !== 'word' && name.kind !== 'quoted')
        throw unsupported(this.source, 'expected a field name');
      fields.push({ name: name.text, type: this.parseType(), nullable: true, metadata: {} });
      if (this.isPunct(',')) this.next();
      else break;
    }
    this.expect(')');
    return { type: 'struct', fields };
  }

  private skipParams(): void {
    if (!this.isPunct('(')) return;
    let depth = 0;
    do {
      const t = this.next();
      if (t.text === '(' && t.kind === 'punct') depth++;
      if (t.text === ')' && t.kind === 'punct') depth--;
    } while (depth > 0);
  }
}

/**
 * Parses a DuckDB type string as DuckDB prints it (DESCRIBE's `column_type`), e.g.
 * `STRUCT(a INTEGER, "b c" VARCHAR[])`, `MAP(VARCHAR, BIGINT)`, `DECIMAL(10,2)`,
 * `TIMESTAMP WITH TIME ZONE`, into a Delta type. Throws DELTA_UNSUPPORTED_TYPE for types with
 * no faithful Delta equivalent (TIME, INTERVAL, UHUGEINT, UNION, BIT, …).
 */
export function duckDBTypeToDelta(duckdbType: string): DeltaType {
  const p = new TypeParser(tokenizeType(duckdbType), duckdbType);
  const t = p.parseType();
  if (!p.atEnd()) throw unsupported(duckdbType, 'trailing text');
  return t;
}

/** A schema from DuckDB `{name, type}` columns (e.g. DESCRIBE output); all fields nullable. */
export function duckDBColumnsToStructType(columns: readonly { name: string; type: string }[]): StructType {
  return {
    type: 'struct',
    fields: columns.map((c) => ({
      name: c.name,
      type: duckDBTypeToDelta(c.type),
      nullable: true,
      metadata: {},
    })),
  };
}
