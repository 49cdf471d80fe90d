import { sqlIdent } from '../util/index.ts';
import { type Locate, sparkSyntaxError, unsupportedSyntax } from './syntax-errors.ts';
import { isSymbol, isWord, type Token } from './tokenizer.ts';

/**
 * Spark data types as written in queries — `CAST(x AS ARRAY<STRUCT<a: INT, b STRING>>)`,
 * `x::DECIMAL(10,2)`, `TRY_CAST(s AS TIMESTAMP_NTZ)` — read from tokens and written as the
 * DuckDB type with the same values:
 *
 * | Spark                                   | DuckDB                       |
 * |-----------------------------------------|------------------------------|
 * | BOOLEAN, TINYINT/BYTE, SMALLINT/SHORT, INT/INTEGER, BIGINT/LONG, FLOAT/REAL, DOUBLE, DATE | same |
 * | STRING, VARCHAR(n), CHAR(n)             | VARCHAR (Spark casts to them as to STRING) |
 * | DECIMAL/DEC/NUMERIC [(p[, s])]          | DECIMAL(p, s), default (10, 0) |
 * | TIMESTAMP, TIMESTAMP_LTZ                | TIMESTAMP WITH TIME ZONE (an instant) |
 * | TIMESTAMP_NTZ, TIMESTAMP WITHOUT TIME ZONE | TIMESTAMP_NTZ (read by casts.ts) |
 * | TIME, TIME(6)                           | TIME                         |
 * | BINARY                                  | BLOB                         |
 * | ARRAY<T>, MAP<K, V>, STRUCT<f[:] T, …>  | T[], MAP(K, V), STRUCT(f T, …) |
 *
 * Interval, VARIANT, geospatial, VOID and TIME(p < 6) types are UNSUPPORTED_SQL_SYNTAX.
 */

const SIMPLE: Readonly<Record<string, string>> = {
  BOOLEAN: 'BOOLEAN',
  TINYINT: 'TINYINT',
  BYTE: 'TINYINT',
  SMALLINT: 'SMALLINT',
  SHORT: 'SMALLINT',
  INT: 'INTEGER',
  INTEGER: 'INTEGER',
  BIGINT: 'BIGINT',
  LONG: 'BIGINT',
  FLOAT: 'FLOAT',
  REAL: 'FLOAT',
  DOUBLE: 'DOUBLE',
  DATE: 'DATE',
  STRING: 'VARCHAR',
  BINARY: 'BLOB',
  TIMESTAMP_LTZ: 'TIMESTAMP WITH TIME ZONE',
  TIMESTAMP_NTZ: 'TIMESTAMP_NTZ',
};

/** Words that begin a Spark data type (to tell a type-name function call from other calls). */
export const SPARK_TYPE_WORDS: ReadonlySet<string> = new Set([
  ...Object.keys(SIMPLE),
  'VARCHAR',
  'CHAR',
  'CHARACTER',
  'DECIMAL',
  'DEC',
  'NUMERIC',
  'TIMESTAMP',
  'TIME',
  'ARRAY',
  'MAP',
  'STRUCT',
  'INTERVAL',
  'VOID',
  'VARIANT',
  'GEOGRAPHY',
  'GEOMETRY',
]);

const REFUSED = new Set(['INTERVAL', 'VOID', 'VARIANT', 'GEOGRAPHY', 'GEOMETRY', 'OBJECT']);

/** A Spark type read from `tokens`: its DuckDB text and the index just past it. */
export interface ParsedType {
  readonly duckdb: string;
  readonly end: number;
}

/**
 * Reads the Spark type starting at `tokens[i]`. `>>` and `>>>` tokens closing nested types
 * (`ARRAY<ARRAY<INT>>`) count as several `>`.
 */
export function parseSparkTypeAt(tokens: readonly Token[], i: number, locate: Locate): ParsedType {
  const reader = new TypeReader(tokens, i, locate);
  const duckdb = reader.type();
  if (reader.pendingGt > 0) throw reader.fail("unbalanced '>' in the type");
  return { duckdb, end: reader.pos };
}

class TypeReader {
  /** `>` still owed by a `>>` / `>>>` token already consumed. */
  pendingGt = 0;

  constructor(
    private readonly tokens: readonly Token[],
    public pos: number,
    private readonly locate: Locate,
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  fail(message: string, t: Token | undefined = this.peek()) {
    const at = t ?? this.tokens[this.tokens.length - 1] ?? { start: 0, text: '' };
    return sparkSyntaxError(message, t ? at : { start: at.start, text: '' }, this.locate);
  }

  private expectSymbol(sym: string): void {
    if (!isSymbol(this.peek(), sym)) throw this.fail(`expected '${sym}' in the type`);
    this.pos++;
  }

  /** Consumes one `>` (possibly the first of a `>>` / `>>>`). */
  private closeAngle(): void {
    if (this.pendingGt > 0) {
      this.pendingGt--;
      return;
    }
    const t = this.peek();
    const width = isSymbol(t, '>') ? 1 : isSymbol(t, '>>') ? 2 : isSymbol(t, '>>>') ? 3 : 0;
    if (width === 0) throw this.fail("expected '>' closing the type");
    this.pos++;
    this.pendingGt = width - 1;
  }

  private integer(what: string): number {
    const t = this.peek();
    if (t?.kind !== 'number' || !/^\d+$/.test(t.text)) throw this.fail(`expected ${what}`);
    this.pos++;
    return Number(t.text);
  }

  type(): string {
    const t = this.peek();
    if (t?.kind !== 'word') throw this.fail('expected a data type');
    const word = t.text.toUpperCase();
    this.pos++;
    if (REFUSED.has(word)) {
      throw unsupportedSyntax(
        `${word} type`,
        `the ${word} type is not supported in casts and literals`,
        t,
        this.locate,
      );
    }
    switch (word) {
      case 'ARRAY':
        return this.array();
      case 'MAP':
        return this.map();
      case 'STRUCT':
        return this.struct(t);
      case 'DECIMAL':
      case 'DEC':
      case 'NUMERIC':
        return this.decimal();
      case 'VARCHAR':
      case 'CHAR':
      case 'CHARACTER':
        if (isSymbol(this.peek(), '(')) {
          this.pos++;
          this.integer('a length');
          this.expectSymbol(')');
        }
        return 'VARCHAR';
      case 'TIMESTAMP':
        return this.timestamp();
      case 'TIME':
        return this.time(t);
      case 'STRING':
        this.collation();
        return 'VARCHAR';
      default: {
        const simple = SIMPLE[word];
        if (!simple) throw this.fail(`'${t.text}' is not a data type`, t);
        return simple;
      }
    }
  }

  private array(): string {
    this.expectSymbol('<');
    const element = this.type();
    this.closeAngle();
    return `${element}[]`;
  }

  private map(): string {
    this.expectSymbol('<');
    const key = this.type();
    this.expectSymbol(',');
    const value = this.type();
    this.closeAngle();
    return `MAP(${key}, ${value})`;
  }

  private struct(at: Token): string {
    if (isSymbol(this.peek(), '<>')) {
      throw unsupportedSyntax('STRUCT<>', 'a STRUCT type without fields is not supported', at, this.locate);
    }
    this.expectSymbol('<');
    const fields: string[] = [];
    for (;;) {
      const name = this.peek();
      if (!name || (name.kind !== 'word' && name.kind !== 'backtick'))
        throw this.fail('expected a field name');
      this.pos++;
      if (isSymbol(this.peek(), ':')) this.pos++;
      const type = this.type();
      // NOT NULL and COMMENT describe a field but do not change what a cast produces.
      if (isWord(this.peek(), 'NOT') && isWord(this.tokens[this.pos + 1], 'NULL')) this.pos += 2;
      if (isWord(this.peek(), 'COMMENT') && this.tokens[this.pos + 1]?.kind === 'string') this.pos += 2;
      fields.push(`${sqlIdent(name.value)} ${type}`);
      if (this.pendingGt === 0 && isSymbol(this.peek(), ',')) {
        this.pos++;
        continue;
      }
      break;
    }
    this.closeAngle();
    return `STRUCT(${fields.join(', ')})`;
  }

  private decimal(): string {
    if (!isSymbol(this.peek(), '(')) return 'DECIMAL(10, 0)';
    this.pos++;
    const precision = this.integer('a precision');
    let scale = 0;
    if (isSymbol(this.peek(), ',')) {
      this.pos++;
      scale = this.integer('a scale');
    }
    this.expectSymbol(')');
    if (precision < 1 || precision > 38 || scale > precision) {
      throw this.fail(
        `DECIMAL(${precision}, ${scale}) is not a valid decimal type (precision 1 to 38, scale at most the precision)`,
      );
    }
    return `DECIMAL(${precision}, ${scale})`;
  }

  private timestamp(): string {
    if (isWord(this.peek(), 'WITHOUT') && isWord(this.tokens[this.pos + 1], 'TIME')) {
      if (!isWord(this.tokens[this.pos + 2], 'ZONE')) throw this.fail('expected TIMESTAMP WITHOUT TIME ZONE');
      this.pos += 3;
      return 'TIMESTAMP_NTZ';
    }
    return 'TIMESTAMP WITH TIME ZONE';
  }

  private time(at: Token): string {
    if (isSymbol(this.peek(), '(')) {
      this.pos++;
      const precision = this.integer('a precision');
      this.expectSymbol(')');
      if (precision !== 6) {
        throw unsupportedSyntax(
          'TIME(p)',
          `TIME(${precision}) is not supported (sluice keeps times to the microsecond, TIME(6))`,
          at,
          this.locate,
        );
      }
    }
    if (isWord(this.peek(), 'WITHOUT') && isWord(this.tokens[this.pos + 1], 'TIME')) this.pos += 3;
    return 'TIME';
  }

  private collation(): void {
    if (!isWord(this.peek(), 'COLLATE')) return;
    const at = this.peek()!;
    throw unsupportedSyntax('COLLATE', 'collations (STRING COLLATE …) are not supported', at, this.locate);
  }
}
