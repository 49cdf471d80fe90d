/**
 * The one reader of Spark DDL types and column lists — `id BIGINT NOT NULL, tags ARRAY<STRING>,
 * geo STRUCT<lat: DOUBLE, lon: DOUBLE> COMMENT 'where'` — used by SQL column lists, the
 * TypeScript API's `schema` option and `read_files(schema => …)`. It yields model
 * {@link DataType}s (Spark's JSON type names), so every consumer maps one value onward.
 *
 * Type words (case-insensitive): STRING, VARCHAR(n), CHAR(n), TEXT → string; BIGINT, LONG →
 * long; INT, INTEGER → integer; SMALLINT, SHORT → short; TINYINT, BYTE → byte; DOUBLE; FLOAT,
 * REAL → float; BOOLEAN, BOOL; DATE; TIMESTAMP, TIMESTAMP_LTZ → timestamp; TIMESTAMP_NTZ;
 * BINARY; DECIMAL, DEC, NUMERIC [(p[, s])] (default (10,0)); ARRAY<T>; MAP<K, V>;
 * STRUCT<name[:] T [NOT NULL] [COMMENT '…'], …>. Anything else is INVALID_SCHEMA_DDL with the
 * position of the problem.
 */
import { SluiceError } from '../errors/index.ts';
import type { DataType, PrimitiveType, StructField } from '../model/index.ts';

/** One column of a DDL column list. `typeText` is the type exactly as written. */
export interface DdlColumn {
  readonly name: string;
  readonly type: DataType;
  readonly typeText: string;
  readonly nullable: boolean;
  readonly comment?: string;
}

interface Token {
  readonly text: string;
  readonly kind: 'ident' | 'quoted' | 'number' | 'string' | 'punct';
  readonly pos: number;
  readonly end: number;
}

function ddlError(ddl: string, pos: number, what: string): SluiceError {
  return new SluiceError('INVALID_SCHEMA_DDL', `schema '${ddl}' at position ${pos + 1}: ${what}`, {
    params: { schema: ddl, position: pos + 1 },
  });
}

function quotedName(ddl: string, i: number): { text: string; end: number } {
  let j = i + 1;
  let text = '';
  for (;;) {
    if (j >= ddl.length) throw ddlError(ddl, i, 'unterminated `quoted` name');
    if (ddl[j] === '`' && ddl[j + 1] === '`') {
      text += '`';
      j += 2;
    } else if (ddl[j] === '`') return { text, end: j + 1 };
    else text += ddl[j++];
  }
}

function stringLiteral(ddl: string, i: number): { text: string; end: number } {
  const q = ddl[i]!;
  let text = '';
  for (let j = i + 1; j < ddl.length; j++) {
    const ch = ddl[j]!;
    if (ch === '\\' && j + 1 < ddl.length) text += ddl[++j];
    else if (ch === q) return { text, end: j + 1 };
    else text += ch;
  }
  throw ddlError(ddl, i, 'unterminated string');
}

function tokenize(ddl: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < ddl.length) {
    const ch = ddl[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '`') {
      const q = quotedName(ddl, i);
      tokens.push({ text: q.text, kind: 'quoted', pos: i, end: q.end });
      i = q.end;
    } else if (ch === "'" || ch === '"') {
      const s = stringLiteral(ddl, i);
      tokens.push({ text: s.text, kind: 'string', pos: i, end: s.end });
      i = s.end;
    } else if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(ddl.slice(i))!;
      tokens.push({ text: m[0], kind: 'ident', pos: i, end: i + m[0].length });
      i += m[0].length;
    } else if (/[0-9]/.test(ch)) {
      const m = /^[0-9]+/.exec(ddl.slice(i))!;
      tokens.push({ text: m[0], kind: 'number', pos: i, end: i + m[0].length });
      i += m[0].length;
    } else if ('<>(),:'.includes(ch)) {
      tokens.push({ text: ch, kind: 'punct', pos: i, end: i + 1 });
      i++;
    } else {
      throw ddlError(ddl, i, `unexpected character '${ch}'`);
    }
  }
  return tokens;
}

const PRIMITIVE_WORDS: Readonly<Record<string, PrimitiveType>> = {
  STRING: 'string',
  VARCHAR: 'string',
  CHAR: 'string',
  TEXT: 'string',
  BIGINT: 'long',
  LONG: 'long',
  INT: 'integer',
  INTEGER: 'integer',
  SMALLINT: 'short',
  SHORT: 'short',
  TINYINT: 'byte',
  BYTE: 'byte',
  DOUBLE: 'double',
  FLOAT: 'float',
  REAL: 'float',
  BOOLEAN: 'boolean',
  BOOL: 'boolean',
  DATE: 'date',
  TIMESTAMP: 'timestamp',
  TIMESTAMP_LTZ: 'timestamp',
  TIMESTAMP_NTZ: 'timestamp_ntz',
  BINARY: 'binary',
};

class DdlReader {
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

  private isWord(word: string): boolean {
    const t = this.peek();
    return t?.kind === 'ident' && t.text.toUpperCase() === word;
  }

  private isPunct(text: string): boolean {
    const t = this.peek();
    return t?.kind === 'punct' && t.text === text;
  }

  private atEnd(): void {
    const t = this.peek();
    if (t !== undefined) throw ddlError(this.ddl, t.pos, `unexpected '${t.text}'`);
  }

  columns(): DdlColumn[] {
    const columns = this.fields(undefined);
    this.atEnd();
    if (columns.length === 0) throw ddlError(this.ddl, 0, 'no columns');
    return columns;
  }

  singleType(): DataType {
    if (this.peek() === undefined) throw ddlError(this.ddl, 0, 'no type');
    const t = this.type();
    this.atEnd();
    return t;
  }

  /** Comma-separated fields until `close` (or the end). */
  private fields(close: string | undefined): DdlColumn[] {
    const out: DdlColumn[] = [];
    const seen = new Set<string>();
    while (this.peek() !== undefined && !(close !== undefined && this.isPunct(close))) {
      out.push(this.field(seen));
      if (!this.isPunct(',')) break;
      const comma = this.tokens[this.i++]!;
      if (this.peek() === undefined || (close !== undefined && this.isPunct(close)))
        throw ddlError(this.ddl, comma.pos, 'expected a column after the comma');
    }
    return out;
  }

  private field(seen: Set<string>): DdlColumn {
    const nameTok = this.next('a column name');
    if (nameTok.kind !== 'ident' && nameTok.kind !== 'quoted')
      throw ddlError(this.ddl, nameTok.pos, `expected a column name, found '${nameTok.text}'`);
    if (seen.has(nameTok.text.toLowerCase()))
      throw ddlError(this.ddl, nameTok.pos, `duplicate column ${nameTok.text}`);
    seen.add(nameTok.text.toLowerCase());
    if (this.isPunct(':')) this.i++;
    const typeStart = this.peek()?.pos ?? this.ddl.length;
    const type = this.type();
    const typeText = this.ddl.slice(typeStart, this.tokens[this.i - 1]!.end);
    let nullable = true;
    if (this.isWord('NOT')) {
      this.i++;
      if (!this.isWord('NULL'))
        throw ddlError(this.ddl, this.peek()?.pos ?? this.ddl.length, 'expected NULL');
      this.i++;
      nullable = false;
    }
    let comment: string | undefined;
    if (this.isWord('COMMENT')) {
      this.i++;
      const c = this.next('a comment string');
      if (c.kind !== 'string') throw ddlError(this.ddl, c.pos, 'expected a comment string');
      comment = c.text;
    }
    return { name: nameTok.text, type, typeText, nullable, ...(comment !== undefined ? { comment } : {}) };
  }

  private number(): number {
    const t = this.next('a number');
    if (t.kind !== 'number') throw ddlError(this.ddl, t.pos, `expected a number, found '${t.text}'`);
    return Number(t.text);
  }

  private type(): DataType {
    const t = this.next('a type');
    if (t.kind !== 'ident') throw ddlError(this.ddl, t.pos, `expected a type, found '${t.text}'`);
    const word = t.text.toUpperCase();
    switch (word) {
      case 'ARRAY': {
        this.expect('<');
        const elementType = this.type();
        this.expect('>');
        return { type: 'array', elementType, containsNull: true };
      }
      case 'MAP': {
        this.expect('<');
        const keyType = this.type();
        this.expect(',');
        const valueType = this.type();
        this.expect('>');
        return { type: 'map', keyType, valueType, valueContainsNull: true };
      }
      case 'STRUCT': {
        this.expect('<');
        const fields = this.fields('>');
        this.expect('>');
        if (fields.length === 0) throw ddlError(this.ddl, t.pos, 'a STRUCT needs at least one field');
        return { type: 'struct', fields: fields.map(structField) };
      }
      case 'DECIMAL':
      case 'DEC':
      case 'NUMERIC':
        return this.decimal(t);
      default: {
        const mapped = PRIMITIVE_WORDS[word];
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

  private decimal(t: Token): DataType {
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
    return `decimal(${precision},${scale})`;
  }
}

function structField(c: DdlColumn): StructField {
  return {
    name: c.name,
    type: c.type,
    nullable: c.nullable,
    metadata: c.comment !== undefined ? { comment: c.comment } : {},
  };
}

/**
 * Reads a Spark DDL column list. Names keep their case; a duplicate name (case-insensitive) is
 * an error. @throws SluiceError INVALID_SCHEMA_DDL naming the position of the problem.
 */
export function parseSparkColumns(ddl: string): DdlColumn[] {
  return new DdlReader(ddl).columns();
}

/** Reads one Spark DDL type (`BIGINT`, `ARRAY<STRUCT<a: INT>>`). @throws SluiceError INVALID_SCHEMA_DDL */
export function parseSparkType(text: string): DataType {
  return new DdlReader(text).singleType();
}
