import { SluiceError, type SourceLocation } from '../errors/index.ts';
import {
  type AutoCdc,
  type ColumnDefinition,
  type Dataset,
  type DatasetKind,
  type Expectation,
  type ExpectationAction,
  expectation,
} from '../model/index.ts';
import { ANSI_KEY, ansiValue, invalidAnsiSetting } from './ansi-mode.ts';
import { AutoCdcClauseParser } from './auto-cdc-clauses.ts';
import type { PlacedText } from './compile.ts';
import { splitIdentifier } from './prepass-calls.ts';
import { parseSparkType } from './spark-ddl.ts';
import { TokenCursor } from './token-cursor.ts';
import { isSymbol, isWord, type Token } from './tokenizer.ts';

/**
 * Lakeflow SQL files → model definitions. Statements are split on `;` tokens (so semicolons in
 * strings and comments are harmless), then handled in order: `SET` extends the configuration
 * used for `${key}` substitution in later statements, `USE SCHEMA` changes the default schema.
 * Query bodies of all statements are compiled concurrently so DuckDB round trips batch.
 */

export type Parsed =
  | { readonly kind: 'set'; readonly key: string; readonly value: string; readonly location: SourceLocation }
  /** `SET key` / `SET`: Spark shows settings; nothing changes. */
  | { readonly kind: 'show' }
  | { readonly kind: 'use'; readonly schema?: string }
  | {
      readonly kind: 'dataset';
      readonly dataset: Dataset;
      readonly query?: PlacedText;
      /** `CREATE STREAMING TABLE t … FLOW AUTO CDC …`: the query reads change events. */
      readonly cdc?: AutoCdc;
    }
  | {
      readonly kind: 'flow';
      readonly name: string;
      readonly target: string;
      readonly once: boolean;
      /** `APPLY CHANGES INTO t` declares t's defining flow; `CREATE FLOW` an append flow. */
      readonly role: 'defining' | 'append';
      readonly location: SourceLocation;
      readonly query: PlacedText;
      /** AUTO CDC / APPLY CHANGES: the query reads change events. */
      readonly cdc?: AutoCdc;
    };

export class StatementParser extends TokenCursor {
  constructor(
    tokens: readonly Token[],
    src: PlacedText,
    private readonly schema: string | undefined,
  ) {
    super(tokens, src);
  }

  private qualifiedName(what: string): string[] {
    const parts = [this.identifier(what)];
    while (this.acceptSymbol('.')) parts.push(this.identifier(what));
    return parts;
  }

  private stringLiteral(what: string): string {
    const t = this.peek();
    if (t && (t.kind === 'string' || t.kind === 'dstring')) {
      this.pos++;
      return t.value;
    }
    return this.fail(`expected ${what} as a quoted string`);
  }

  private atEnd(): boolean {
    return this.pos >= this.tokens.length;
  }

  /** The rest of the statement from token `t` as a placed query body. */
  private restFrom(t: Token): PlacedText {
    const text = this.src.text.slice(t.start).trimEnd();
    return { text, locate: (offset) => this.src.locate(t.start + offset) };
  }

  /** Skips tokens until a `,` or `)` at the current nesting depth (not consumed). */
  private skipElement(): void {
    let depth = 0;
    for (; !this.atEnd(); this.pos++) {
      const t = this.peek()!;
      if (depth === 0 && (isSymbol(t, ',') || isSymbol(t, ')'))) return;
      if (isSymbol(t, '(')) depth++;
      else if (isSymbol(t, ')')) depth--;
    }
  }

  parse(): Parsed {
    const first = this.peek()!;
    if (isWord(first, 'CREATE')) return this.create();
    if (isWord(first, 'SET')) return this.set();
    if (isWord(first, 'USE')) return this.use();
    if (
      (isWord(first, 'APPLY') && isWord(this.peek(1), 'CHANGES')) ||
      (isWord(first, 'AUTO') && isWord(this.peek(1), 'CDC'))
    ) {
      this.pos += 2;
      return this.autoCdcInto(first, undefined);
    }
    const words = this.tokens.slice(0, 3).map((t) => t.text.toUpperCase());
    throw new SluiceError(
      'SQL_UNSUPPORTED_STATEMENT',
      `'${words.slice(0, 2).join(' ')}' is not a pipeline statement (CREATE STREAMING TABLE, CREATE MATERIALIZED VIEW, CREATE VIEW, CREATE FLOW, APPLY CHANGES INTO, SET, USE)`,
      { params: { statement: words.join(' ') }, location: this.loc(first) },
    );
  }

  /**
   * `SET key = value` (the value is the rest of the statement, unquoted when it is one string
   * literal), `SET key` / `SET` (Spark shows settings: nothing to do here), `SET CATALOG x` (as
   * USE CATALOG). A session time zone other than UTC is UNSUPPORTED_SQL_SYNTAX: sluice runs
   * Spark SQL in UTC and would otherwise give other results silently. `spark.sql.ansi.enabled`
   * takes true or false only (LEGACY_MODE_INVALID_SETTING otherwise).
   */
  private set(): Parsed {
    const start = this.expectWord('SET');
    if (this.atEnd()) return { kind: 'show' };
    if (isWord(this.peek(), 'CATALOG')) {
      this.pos++;
      this.nameOrIdentifier('a catalog name');
      if (!this.atEnd()) this.fail('unexpected text after SET CATALOG');
      return { kind: 'use' };
    }
    if (isWord(this.peek(), 'TIME') && isWord(this.peek(1), 'ZONE')) {
      const zone = this.src.text.slice(this.peek(2)?.start ?? this.src.text.length).trim();
      this.checkSetting('spark.sql.session.timeZone', zone.replace(/^'(.*)'$/s, '$1'), start);
      return { kind: 'show' };
    }
    const keyStart = this.peek()!;
    let eq = this.pos;
    while (eq < this.tokens.length && !isSymbol(this.tokens[eq], '=')) eq++;
    if (eq === this.pos) this.fail('expected SET key = value', keyStart);
    const key = this.tokens
      .slice(this.pos, eq)
      .map((t) => t.value)
      .join('');
    if (eq >= this.tokens.length) return { kind: 'show' };
    const valueTokens = this.tokens.slice(eq + 1);
    let value = '';
    if (
      valueTokens.length === 1 &&
      (valueTokens[0]!.kind === 'string' || valueTokens[0]!.kind === 'dstring')
    ) {
      value = valueTokens[0]!.value;
    } else if (valueTokens.length > 0) {
      value = this.src.text.slice(valueTokens[0]!.start, valueTokens[valueTokens.length - 1]!.end);
    }
    this.checkSetting(key, value, start);
    return { kind: 'set', key, value, location: this.loc(start) };
  }

  private checkSetting(key: string, value: string, at: Token): void {
    const k = key.toLowerCase();
    const v = value.trim().toLowerCase();
    const utc = ['utc', 'z', 'gmt', 'etc/utc', '+00:00', '00:00', 'utc+0', 'utc+00:00', "interval '0' hour"];
    // spark.sql.ansi.enabled = false switches the statements after it to Spark's non-ANSI
    // results (see ansi-mode.ts); a value Spark refuses is refused here.
    if (key === ANSI_KEY && ansiValue(value) === undefined) throw invalidAnsiSetting(value, this.loc(at));
    const refused =
      k === 'spark.sql.session.timezone' && !utc.includes(v)
        ? `SET ${key} = ${value}: sluice runs queries in UTC, so another session time zone would change their results`
        : undefined;
    if (refused) {
      throw new SluiceError('UNSUPPORTED_SQL_SYNTAX', refused, {
        params: { construct: `SET ${key}`, key, value },
        location: this.loc(at),
      });
    }
  }

  /** A (qualified) name, or `IDENTIFIER('a.b')` — its parts. */
  private nameOrIdentifier(what: string): string[] {
    if (isWord(this.peek(), 'IDENTIFIER') && isSymbol(this.peek(1), '(')) {
      const at = this.peek()!;
      this.pos += 2;
      const text = this.stringLiteral(`${what} in IDENTIFIER(…)`);
      this.expectSymbol(')');
      const parts = splitIdentifier(text);
      if (!parts) this.fail(`'${text}' is not a valid identifier`, at);
      return parts;
    }
    return this.qualifiedName(what);
  }

  /** `USE [CATALOG | SCHEMA | DATABASE | NAMESPACE] name`; the name may be `IDENTIFIER('…')`. */
  private use(): Parsed {
    this.expectWord('USE');
    const what = this.acceptWord('SCHEMA', 'DATABASE', 'NAMESPACE', 'CATALOG');
    const name = this.nameOrIdentifier(isWord(what, 'CATALOG') ? 'a catalog name' : 'a schema name');
    if (!this.atEnd()) this.fail('unexpected text after USE');
    if (isWord(what, 'CATALOG')) return { kind: 'use' };
    return { kind: 'use', schema: name[name.length - 1]! };
  }

  /** `CREATE … TABLE | VIEW | FLOW …`: a dataset definition, or a flow (see `flow`). */
  private create(): Parsed {
    const start = this.expectWord('CREATE');
    if (this.acceptWord('OR'))
      this.acceptWord('REFRESH', 'REPLACE') ?? this.fail('expected REFRESH or REPLACE');
    const flags = this.createFlags();
    if (isWord(this.peek(), 'FLOW') && flags.size === 0) {
      this.pos++;
      return this.flow(start);
    }
    const kind = this.datasetKind(flags, start);
    this.pos++;
    if (this.acceptWord('IF')) {
      this.expectWord('NOT', 'IF NOT EXISTS');
      this.expectWord('EXISTS', 'IF NOT EXISTS');
    }
    const nameToken = this.peek();
    const parts = this.nameOrIdentifier('a dataset name');
    const qualified = parts.length > 1 && parts[0]!.toLowerCase() === 'live' ? parts.slice(1) : parts;
    const name = qualified[qualified.length - 1]!;
    const schema = qualified.length > 1 ? qualified[qualified.length - 2] : this.schema;
    if (!nameToken) this.fail('expected a dataset name');

    const columns: ColumnDefinition[] = [];
    const expectations: Expectation[] = [];
    if (isSymbol(this.peek(), '(')) this.columnList(columns, expectations);

    const { query, comment, properties, partitionBy, clusterBy, cdcAt } = this.tableClauses();
    if (!query && kind !== 'streaming_table') this.fail(`a ${kind.replace('_', ' ')} needs AS <query>`);
    if (cdcAt && kind !== 'streaming_table') this.fail('FLOW AUTO CDC needs a STREAMING TABLE', cdcAt);
    const parsedCdc = cdcAt
      ? new AutoCdcClauseParser(this.tokens, this.src, this.pos, name, start).parse()
      : undefined;
    const dataset: Dataset = Object.freeze({
      kind,
      name,
      ...(schema !== undefined ? { schema } : {}),
      ...(comment !== undefined ? { comment } : {}),
      properties: Object.freeze(properties),
      partitionBy: Object.freeze(partitionBy),
      clusterBy: Object.freeze(clusterBy),
      ...(columns.length > 0 ? { columns: Object.freeze(columns) } : {}),
      expectations: Object.freeze(expectations),
      private: flags.has('PRIVATE'),
      language: 'sql',
      location: this.loc(start),
    });
    if (parsedCdc) return { kind: 'dataset', dataset, query: parsedCdc.query, cdc: parsedCdc.cdc };
    return { kind: 'dataset', dataset, ...(query ? { query } : {}) };
  }

  /** The modifier words after `CREATE [OR …]` (`TEMP` read as `TEMPORARY`), upper-cased. */
  private createFlags(): Set<string> {
    const flags = new Set<string>();
    for (;;) {
      const t = this.acceptWord('PRIVATE', 'TEMPORARY', 'TEMP', 'STREAMING', 'LIVE', 'MATERIALIZED');
      if (!t) break;
      flags.add(t.text.toUpperCase() === 'TEMP' ? 'TEMPORARY' : t.text.toUpperCase());
    }
    return flags;
  }

  /**
   * The dataset kind the `TABLE` / `VIEW` at the current token declares with `flags` (the token
   * is not consumed); throws SQL_UNSUPPORTED_STATEMENT for any other object.
   */
  private datasetKind(flags: ReadonlySet<string>, start: Token): DatasetKind {
    const object = this.peek();
    if (isWord(object, 'TABLE') && flags.has('STREAMING')) return 'streaming_table';
    if (isWord(object, 'TABLE') && flags.has('LIVE')) return 'materialized_view';
    if (isWord(object, 'VIEW') && flags.has('MATERIALIZED')) return 'materialized_view';
    if (isWord(object, 'VIEW') && (flags.has('TEMPORARY') || flags.has('LIVE'))) return 'temporary_view';
    if (isWord(object, 'VIEW')) return 'persisted_view';
    const text = this.tokens
      .slice(0, this.pos + 1)
      .map((t) => t.text.toUpperCase())
      .join(' ');
    throw new SluiceError(
      'SQL_UNSUPPORTED_STATEMENT',
      `'${text}' is not a pipeline statement (use CREATE STREAMING TABLE, MATERIALIZED VIEW, VIEW or FLOW)`,
      { params: { statement: text }, location: this.loc(start) },
    );
  }

  /**
   * The clauses after a dataset's name and column list, up to and including `AS <query>` (which
   * takes the rest of the statement). Each clause may appear at most once.
   */
  private tableClauses(): {
    query: PlacedText | undefined;
    comment: string | undefined;
    properties: Record<string, string>;
    partitionBy: string[];
    clusterBy: string[];
    /** `FLOW AUTO CDC`: the clauses follow from the current position (the `FROM`). */
    cdcAt: Token | undefined;
  } {
    let comment: string | undefined;
    const properties: Record<string, string> = {};
    let partitionBy: string[] = [];
    let clusterBy: string[] = [];
    const seen = new Set<string>();
    const once = (t: Token) => {
      const clause = t.text.toUpperCase();
      if (seen.has(clause)) this.fail(`duplicate ${clause} clause`, t);
      seen.add(clause);
    };
    let query: PlacedText | undefined;
    let cdcAt: Token | undefined;
    while (!this.atEnd()) {
      const t = this.peek()!;
      if (isWord(t, 'FLOW') && isWord(this.peek(1), 'AUTO') && isWord(this.peek(2), 'CDC')) {
        this.pos += 3;
        cdcAt = t;
        break;
      }
      if (this.acceptWord('AS')) {
        const body = this.peek();
        if (!body) this.fail('expected a query after AS');
        query = this.restFrom(body);
        this.pos = this.tokens.length;
        break;
      }
      if (this.acceptWord('COMMENT')) {
        once(t);
        comment = this.stringLiteral('the comment');
      } else if (this.acceptWord('TBLPROPERTIES')) {
        once(t);
        this.properties(properties);
      } else if (this.acceptWord('PARTITIONED')) {
        once(t);
        this.expectWord('BY');
        partitionBy = this.nameList();
      } else if (this.acceptWord('CLUSTER')) {
        once(t);
        this.expectWord('BY');
        if (this.acceptWord('AUTO', 'NONE')) clusterBy = [];
        else clusterBy = this.nameList();
      } else if (this.acceptWord('USING')) {
        once(t);
        const format = this.identifier('a table format');
        if (format.toUpperCase() !== 'DELTA')
          this.fail(`USING ${format} is not supported (tables are Delta)`, t);
      } else {
        this.fail(
          isSymbol(t, '(')
            ? 'unexpected column list here'
            : 'expected AS, FLOW AUTO CDC, COMMENT, TBLPROPERTIES, PARTITIONED BY or CLUSTER BY',
        );
      }
    }
    return { query, comment, properties, partitionBy, clusterBy, cdcAt };
  }

  private flow(start: Token): Parsed {
    const parts = this.nameOrIdentifier('a flow name');
    const name = parts[parts.length - 1]!;
    if (this.acceptWord('COMMENT')) this.stringLiteral('the comment');
    this.expectWord('AS');
    if (
      (isWord(this.peek(), 'AUTO') && isWord(this.peek(1), 'CDC')) ||
      (isWord(this.peek(), 'APPLY') && isWord(this.peek(1), 'CHANGES'))
    ) {
      this.pos += 2;
      return this.autoCdcInto(start, name);
    }
    this.expectWord('INSERT', 'INSERT INTO');
    this.expectWord('INTO', 'INSERT INTO');
    const once = this.acceptWord('ONCE') !== undefined;
    const target = this.nameOrIdentifier('the target dataset');
    const unqualified = target.length > 1 && target[0]!.toLowerCase() === 'live' ? target.slice(1) : target;
    if (this.acceptWord('BY')) this.expectWord('NAME', 'BY NAME');
    const body = this.peek();
    if (!body) this.fail('expected a query');
    return {
      kind: 'flow',
      name,
      target: unqualified.join('.'),
      once,
      role: 'append',
      location: this.loc(start),
      query: this.restFrom(body),
    };
  }

  /**
   * `INTO [LIVE.]t FROM …` after `AUTO CDC` / `APPLY CHANGES`: a named flow (`CREATE FLOW f AS
   * AUTO CDC INTO t`) or, unnamed (`APPLY CHANGES INTO t`), the target's defining flow named t.
   */
  private autoCdcInto(start: Token, name: string | undefined): Parsed {
    this.expectWord('INTO', 'INTO <target>');
    const target = this.nameOrIdentifier('the target dataset');
    const unqualified = target.length > 1 && target[0]!.toLowerCase() === 'live' ? target.slice(1) : target;
    const targetName = unqualified[unqualified.length - 1]!;
    const parsed = new AutoCdcClauseParser(this.tokens, this.src, this.pos, targetName, start).parse();
    return {
      kind: 'flow',
      name: name ?? targetName,
      target: unqualified.join('.'),
      once: false,
      role: name === undefined ? 'defining' : 'append',
      location: this.loc(start),
      query: parsed.query,
      cdc: parsed.cdc,
    };
  }

  private nameList(): string[] {
    this.expectSymbol('(');
    const names: string[] = [];
    do names.push(this.qualifiedName('a column name').join('.'));
    while (this.acceptSymbol(','));
    this.expectSymbol(')');
    return names;
  }

  private properties(into: Record<string, string>): void {
    this.expectSymbol('(');
    if (this.acceptSymbol(')')) return;
    do {
      const keyToken = this.peek();
      let key: string;
      if (keyToken && (keyToken.kind === 'string' || keyToken.kind === 'dstring')) {
        this.pos++;
        key = keyToken.value;
      } else key = this.qualifiedName('a property key').join('.');
      this.acceptSymbol('=');
      const v = this.peek();
      if (!v || !(v.kind === 'string' || v.kind === 'dstring' || v.kind === 'number' || v.kind === 'word')) {
        this.fail(`expected a value for property '${key}'`);
      }
      this.pos++;
      into[key] = v.value;
    } while (this.acceptSymbol(','));
    this.expectSymbol(')');
  }

  private columnList(columns: ColumnDefinition[], expectations: Expectation[]): void {
    this.expectSymbol('(');
    if (this.acceptSymbol(')')) return;
    do {
      const t = this.peek();
      if (isWord(t, 'CONSTRAINT')) this.constraint(expectations);
      else if (isWord(t, 'PRIMARY') || isWord(t, 'FOREIGN')) this.skipElement();
      else columns.push(this.column());
    } while (this.acceptSymbol(','));
    this.expectSymbol(')');
  }

  /** `CONSTRAINT name EXPECT (expr) [ON VIOLATION …]`; other named constraints (keys) are ignored. */
  private constraint(into: Expectation[]): void {
    const start = this.expectWord('CONSTRAINT');
    const name = this.identifier('a constraint name');
    if (!this.acceptWord('EXPECT')) {
      if (isWord(this.peek(), 'PRIMARY') || isWord(this.peek(), 'FOREIGN')) {
        this.skipElement();
        return;
      }
      this.fail('expected EXPECT (expression)');
    }
    const open = this.expectSymbol('(');
    let depth = 1;
    let close: Token | undefined;
    for (; !this.atEnd(); this.pos++) {
      const t = this.peek()!;
      if (isSymbol(t, '(')) depth++;
      else if (isSymbol(t, ')') && --depth === 0) {
        close = t;
        this.pos++;
        break;
      }
    }
    if (!close) this.fail("expected ')' closing the EXPECT expression", open);
    const expression = this.src.text.slice(open.end, close.start).trim();
    if (expression === '') this.fail('EXPECT needs an expression', close);
    let action: ExpectationAction = 'warn';
    if (this.acceptWord('ON')) {
      this.expectWord('VIOLATION', 'ON VIOLATION');
      if (this.acceptWord('DROP')) {
        this.expectWord('ROW', 'DROP ROW');
        action = 'drop';
      } else if (this.acceptWord('FAIL')) {
        this.expectWord('UPDATE', 'FAIL UPDATE');
        action = 'fail';
      } else if (this.acceptWord('QUARANTINE')) action = 'quarantine';
      else this.fail('expected DROP ROW, FAIL UPDATE or QUARANTINE');
    }
    into.push(expectation(name, expression, action, this.loc(start)));
  }

  /** A column's type must be Spark DDL the engine can store (read again where it is used). */
  private checkType(type: string, at: Token): void {
    try {
      parseSparkType(type);
    } catch (e) {
      if (!(e instanceof SluiceError)) throw e;
      throw new SluiceError(e.code, `column type '${type}': ${e.message}`, {
        params: e.params,
        location: this.loc(at),
      });
    }
  }

  /** `GENERATED ALWAYS AS (…)`, `GENERATED … AS IDENTITY`, `DEFAULT …` on column `name`: refused. */
  private unsupportedColumn(name: string): never {
    const at = this.peek()!;
    const generated = isWord(at, 'GENERATED');
    const identity =
      generated && this.tokens.slice(this.pos, this.pos + 5).some((t) => isWord(t, 'IDENTITY'));
    const construct = !generated ? 'DEFAULT' : identity ? 'GENERATED … AS IDENTITY' : 'GENERATED ALWAYS AS';
    throw new SluiceError(
      'UNSUPPORTED_SQL_SYNTAX',
      `column '${name}' is declared ${construct} (…): sluice does not compute ${identity ? 'identity' : generated ? 'generated' : 'default'} column values; compute the column in the query (\`… AS ${name}\`) and declare it as a plain column`,
      { params: { construct: `${construct} column`, column: name }, location: this.loc(at) },
    );
  }

  private column(): ColumnDefinition {
    const name = this.identifier('a column name or CONSTRAINT');
    const typeStart = this.peek();
    let depth = 0;
    let typeEnd: Token | undefined;
    for (; !this.atEnd(); this.pos++) {
      const t = this.peek()!;
      if (depth === 0 && (isSymbol(t, ',') || isSymbol(t, ')'))) break;
      if (
        depth === 0 &&
        ['NOT', 'COMMENT', 'GENERATED', 'DEFAULT', 'MASK', 'PRIMARY', 'FOREIGN', 'CONSTRAINT', 'NULL'].some(
          (w) => isWord(t, w),
        )
      )
        break;
      if (isSymbol(t, '(') || isSymbol(t, '<')) depth++;
      else if (isSymbol(t, ')') || isSymbol(t, '>')) depth--;
      else if (isSymbol(t, '>>')) depth -= 2;
      else if (isSymbol(t, '<<')) depth += 2;
      typeEnd = t;
    }
    const type = typeStart && typeEnd ? this.src.text.slice(typeStart.start, typeEnd.end) : undefined;
    if (type !== undefined) this.checkType(type, typeStart!);
    let nullable = true;
    let comment: string | undefined;
    while (!this.atEnd() && !isSymbol(this.peek(), ',') && !isSymbol(this.peek(), ')')) {
      if (this.acceptWord('NOT')) {
        this.expectWord('NULL', 'NOT NULL');
        nullable = false;
      } else if (this.acceptWord('NULL')) nullable = true;
      else if (this.acceptWord('COMMENT')) comment = this.stringLiteral('the column comment');
      // A generated, identity or default column has values no flow writes: Delta computes them
      // on write, sluice does not — refused rather than read and left out (its rows would be NULL).
      else if (isWord(this.peek(), 'GENERATED') || isWord(this.peek(), 'DEFAULT'))
        this.unsupportedColumn(name);
      // Key constraints are informational on Databricks (not enforced), a column mask governs who
      // reads the values: read and left out.
      else if (this.acceptWord('MASK', 'PRIMARY', 'FOREIGN')) this.skipElement();
      else if (this.acceptWord('CONSTRAINT')) {
        this.identifier('the constraint name');
        if (!isWord(this.peek(), 'PRIMARY') && !isWord(this.peek(), 'FOREIGN'))
          this.fail('a column constraint is PRIMARY KEY or FOREIGN KEY');
      } else this.fail('unexpected text in column definition');
    }
    return Object.freeze({
      name,
      ...(type ? { type } : {}),
      nullable,
      ...(comment !== undefined ? { comment } : {}),
    });
  }
}
