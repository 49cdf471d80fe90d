import { SluiceError } from '../../errors/index.ts';
import { type DuckDBType, DuckDBTypeId, sqlIdent } from '../../util/duckdb.ts';

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

interface Token {
  readonly text: string;
  readonly kind: 'ident' | 'quoted' | 'number' | 'string' | 'punct';
  readonly pos: number;
}

function tokenize(ddl: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < ddl.length) {
    const ch = ddl[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '`') {
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= ddl.length) throw ddlError(ddl, i, 'unterminated `quoted` name');
        if (ddl[j] === '`' && ddl[j + 1] === '`') {
          text += '`';
          j += 2;
        } else if (ddl[j] === '`') break;
        else text += ddl[j++];
      }
      tokens.push({ text, kind: 'quoted', pos: i });
      i = j + 1;
    } else if (ch === "'" || ch === '"') {
      const end = ddl.indexOf(ch, i + 1);
      if (end < 0) throw ddlError(ddl, i, 'unterminated string');
      tokens.push({ text: ddl.slice(i + 1, end), kind: 'string', pos: i });
      i = end + 1;
    } else if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(ddl.slice(i))!;
      tokens.push({ text: m[0], kind: 'ident', pos: i });
      i += m[0].length;
    } else if (/[0-9]/.test(ch)) {
      const m = /^[0-9]+/.exec(ddl.slice(i))!;
      tokens.push({ text: m[0], kind: 'number', pos: i });
      i += m[0].length;
    } else if ('<>(),:'.includes(ch)) {
      tokens.push({ text: ch, kind: 'punct', pos: i });
      i++;
    } else {
      throw ddlError(ddl, i, `unexpected character '${ch}'`);
    }
  }
  return tokens;
}

function ddlError(ddl: string, pos: number, what: string): SluiceError {
  return new SluiceError('INVALID_SCHEMA_DDL', `schema '${ddl}' at position ${pos + 1}: ${what}`, {
    params: { schema: ddl, position: pos + 1 },
  });
}

const SIMPLE_TYPES: Readonly<Record<string, string>> = {
  STRING: 'VARCHAR',
  VARCHAR: 'VARCHAR',
  CHAR: 'VARCHAR',
  TEXT: 'VARCHAR',
  BIGINT: 'BIGINT',
  LONG: 'BIGINT',
  INT: 'INTEGER',
  INTEGER: 'INTEGER',
  SMALLINT: 'SMALLINT',
  SHORT: 'SMALLINT',
  TINYINT: 'TINYINT',
  BYTE: 'TINYINT',
  DOUBLE: 'DOUBLE',
  FLOAT: 'FLOAT',
  REAL: 'FLOAT',
  BOOLEAN: 'BOOLEAN',
  BOOL: 'BOOLEAN',
  DATE: 'DATE',
  // Spark's TIMESTAMP is an instant (session time zone on input/output): Delta `timestamp`.
  TIMESTAMP: 'TIMESTAMPTZ',
  TIMESTAMP_LTZ: 'TIMESTAMPTZ',
  TIMESTAMP_NTZ: 'TIMESTAMP',
  BINARY: 'BLOB',
};

class DdlParser {
  private i = 0;
  private readonly tokens: Token[];
  constructor(private readonly ddl: string) {
    this.tokens = tokenize(ddl);
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }
  private next(what: string): Token {
    const t = this.tokens[this.i++];
    if (t === undefined) throw ddlError(this.ddl, this.ddl.length, `expected ${what}, found end of schema`);
    return t;
  }
  private expect(text: string): void {
    const t = this.next(`'${text}'`);
    if (t.text !== text || t.kind !== 'punct')
      throw ddlError(this.ddl, t.pos, `expected '${text}', found '${t.text}'`);
  }
  private isWord(t: Token | undefined, word: string): boolean {
    return t?.kind === 'ident' && t.text.toUpperCase() === word;
  }
  private isPunct(text: string): boolean {
    const t = this.peek();
    return t?.kind === 'punct' && t.text === text;
  }

  schema(): FileSchema {
    const columns = this.fields(undefined);
    if (this.i < this.tokens.length)
      throw ddlError(this.ddl, this.peek()!.pos, `unexpected '${this.peek()!.text}'`);
    if (columns.length === 0) throw ddlError(this.ddl, 0, 'no columns');
    return { columns };
  }

  /** Comma-separated fields until `close` (or the end). */
  private fields(close: string | undefined): FileColumn[] {
    const out: FileColumn[] = [];
    const seen = new Set<string>();
    while (this.peek() !== undefined && !(close !== undefined && this.isPunct(close))) {
      const nameTok = this.next('a column name');
      if (nameTok.kind !== 'ident' && nameTok.kind !== 'quoted')
        throw ddlError(this.ddl, nameTok.pos, `expected a column name, found '${nameTok.text}'`);
      if (seen.has(nameTok.text.toLowerCase()))
        throw ddlError(this.ddl, nameTok.pos, `duplicate column ${nameTok.text}`);
      seen.add(nameTok.text.toLowerCase());
      if (this.isPunct(':')) this.i++;
      const type = this.type();
      if (this.isWord(this.peek(), 'NOT')) {
        this.i++;
        if (!this.isWord(this.next('NULL'), 'NULL'))
          throw ddlError(this.ddl, this.tokens[this.i - 1]!.pos, 'expected NULL');
      }
      if (this.isWord(this.peek(), 'COMMENT')) {
        this.i++;
        if (this.next('a comment string').kind !== 'string')
          throw ddlError(this.ddl, this.tokens[this.i - 1]!.pos, 'expected a comment string');
      }
      out.push({ name: nameTok.text, type });
      if (!this.isPunct(',')) break;
      const comma = this.tokens[this.i++]!;
      if (this.peek() === undefined || (close !== undefined && this.isPunct(close)))
        throw ddlError(this.ddl, comma.pos, 'expected a column after the comma');
    }
    return out;
  }

  private number(): number {
    const t = this.next('a number');
    if (t.kind !== 'number') throw ddlError(this.ddl, t.pos, `expected a number, found '${t.text}'`);
    return Number(t.text);
  }

  private type(): string {
    const t = this.next('a type');
    if (t.kind !== 'ident') throw ddlError(this.ddl, t.pos, `expected a type, found '${t.text}'`);
    const word = t.text.toUpperCase();
    switch (word) {
      case 'ARRAY': {
        this.expect('<');
        const element = this.type();
        this.expect('>');
        return `${element}[]`;
      }
      case 'MAP': {
        this.expect('<');
        const key = this.type();
        this.expect(',');
        const value = this.type();
        this.expect('>');
        return `MAP(${key}, ${value})`;
      }
      case 'STRUCT': {
        this.expect('<');
        const fields = this.fields('>');
        this.expect('>');
        if (fields.length === 0) throw ddlError(this.ddl, t.pos, 'a STRUCT needs at least one field');
        return `STRUCT(${fields.map((f) => `${sqlIdent(f.name)} ${f.type}`).join(', ')})`;
      }
      case 'DECIMAL':
      case 'DEC':
      case 'NUMERIC': {
        let precision = 10;
        let scale = 0;
        if (this.isPunct('(')) {
          this.i++;
          precision = this.number();
          if (this.isPunct(',')) {
            this.i++;
            scale = this.number();
          }
          this.expect(')');
        }
        if (precision < 1 || precision > 38 || scale > precision)
          throw ddlError(
            this.ddl,
            t.pos,
            `DECIMAL(${precision},${scale}) is out of range (precision 1-38, scale ≤ precision)`,
          );
        return `DECIMAL(${precision},${scale})`;
      }
      default: {
        const mapped = SIMPLE_TYPES[word];
        if (mapped === undefined) throw ddlError(this.ddl, t.pos, `unknown type ${t.text}`);
        if ((word === 'VARCHAR' || word === 'CHAR') && this.isPunct('(')) {
          this.i++;
          this.number();
          this.expect(')');
        }
        return mapped;
      }
    }
  }
}

/**
 * Parses a Spark DDL schema (`id BIGINT, name STRING, tags ARRAY<STRING>, geo STRUCT<lat: DOUBLE>`)
 * into DuckDB types. STRING → VARCHAR, LONG/BIGINT → BIGINT, INT → INTEGER, TIMESTAMP (and
 * TIMESTAMP_LTZ) → TIMESTAMPTZ, TIMESTAMP_NTZ → TIMESTAMP, BINARY → BLOB, DECIMAL(p,s) as is,
 * ARRAY<T> → T[], MAP<K,V> → MAP(K, V), STRUCT<a: T> → STRUCT("a" T). `NOT NULL` and `COMMENT '…'`
 * are accepted and ignored. Throws INVALID_SCHEMA_DDL with the position of the problem.
 */
export function parseSchemaDdl(ddl: string): FileSchema {
  return new DdlParser(ddl).schema();
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
