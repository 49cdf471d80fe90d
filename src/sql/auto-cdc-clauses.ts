import { SluiceError } from '../errors/index.ts';
import { type AutoCdc, autoCdcComputedColumns, type ColumnSelection } from '../model/index.ts';
import type { PlacedText } from './compile.ts';
import { TokenCursor } from './token-cursor.ts';
import { isSymbol, isWord, type Token } from './tokenizer.ts';

/**
 * The AUTO CDC clauses (as Databricks documents them for `CREATE FLOW … AS AUTO CDC INTO`,
 * `APPLY CHANGES INTO` and `CREATE STREAMING TABLE … FLOW AUTO CDC`), from `FROM` to the end of
 * the statement:
 *
 *   FROM source KEYS (k, …)
 *   [IGNORE NULL UPDATES [ON {cols | * EXCEPT (cols)}]] [APPLY AS DELETE WHEN cond]
 *   [APPLY AS TRUNCATE WHEN cond] SEQUENCE BY expr [SYSTEM SEQUENCE BY expr]
 *   [COLUMNS {cols | * EXCEPT (cols)}] [STORED AS {SCD TYPE 1 | SCD TYPE 2 | BITEMPORAL}]
 *   [TRACK HISTORY ON {cols | * EXCEPT (cols)}] [COLUMNS TO UPDATE col]
 *
 * FROM and KEYS come first; the other clauses in any order, each at most once. Clauses sluice
 * does not implement (SYSTEM SEQUENCE BY, BITEMPORAL, COLUMNS TO UPDATE) are refused with
 * UNSUPPORTED_SQL_SYNTAX, naming the target, so only that dataset fails.
 */
export interface ParsedAutoCdc {
  readonly cdc: AutoCdc;
  /** The flow's query: the source with the event columns computed (see `autoCdcQueryText`). */
  readonly query: PlacedText;
}

/** Words that start a clause after KEYS (an expression ends before one at depth 0). */
function clauseStart(tokens: readonly Token[], i: number): boolean {
  const t = tokens[i];
  const next = tokens[i + 1];
  return (
    (isWord(t, 'IGNORE') && isWord(next, 'NULL')) ||
    (isWord(t, 'APPLY') && isWord(next, 'AS')) ||
    (isWord(t, 'SEQUENCE') && isWord(next, 'BY')) ||
    (isWord(t, 'SYSTEM') && isWord(next, 'SEQUENCE')) ||
    (isWord(t, 'STORED') && isWord(next, 'AS')) ||
    (isWord(t, 'TRACK') && isWord(next, 'HISTORY')) ||
    (isWord(t, 'COLUMNS') && next !== undefined && !isSymbol(next, ',') && !isSymbol(next, ')'))
  );
}

export class AutoCdcClauseParser extends TokenCursor {
  /**
   * `tokens[from]` is the `FROM` keyword; `target` names the dataset errors are reported for;
   * `at` is where the statement starts (for errors about the statement as a whole).
   */
  constructor(
    tokens: readonly Token[],
    src: PlacedText,
    from: number,
    private readonly target: string,
    private readonly at: Token,
  ) {
    super(tokens, src, from, target);
  }

  private unsupported(construct: string, why: string, t: Token): never {
    throw new SluiceError('UNSUPPORTED_SQL_SYNTAX', `${construct} is not supported: ${why}`, {
      params: { construct },
      location: this.loc(t),
      dataset: this.target,
    });
  }

  private invalid(message: string, t: Token): never {
    throw new SluiceError('AUTO_CDC_INVALID_DEFINITION', message, {
      location: this.loc(t),
      dataset: this.target,
    });
  }

  /** `(a, b)` or, without parentheses, `a, b`. */
  private nameList(what: string): string[] {
    const names: string[] = [];
    const open = this.acceptSymbol('(');
    do names.push(this.identifier(what));
    while (this.acceptSymbol(','));
    if (open) this.expectSymbol(')');
    return names;
  }

  /** `cols` or `* EXCEPT (cols)`. */
  private selection(what: string): ColumnSelection {
    if (this.acceptSymbol('*')) {
      this.expectWord('EXCEPT', '* EXCEPT (…)');
      this.expectSymbol('(');
      const columns: string[] = [];
      if (!isSymbol(this.peek(), ')')) {
        do columns.push(this.identifier(what));
        while (this.acceptSymbol(','));
      }
      this.expectSymbol(')');
      return Object.freeze({ kind: 'except', columns: Object.freeze(columns) });
    }
    return Object.freeze({ kind: 'include', columns: Object.freeze(this.nameList(what)) });
  }

  /** Tokens up to the next clause at depth 0 (or `stop` words), as a text span; at least one. */
  private span(what: string, stop: (i: number) => boolean = (i) => clauseStart(this.tokens, i)): Token[] {
    const out: Token[] = [];
    let depth = 0;
    for (; this.pos < this.tokens.length; this.pos++) {
      const t = this.tokens[this.pos]!;
      if (depth === 0 && stop(this.pos)) break;
      if (isSymbol(t, '(')) depth++;
      else if (isSymbol(t, ')')) depth--;
      out.push(t);
    }
    if (out.length === 0) this.fail(`expected ${what}`);
    return out;
  }

  private textOf(span: readonly Token[]): string {
    return this.src.text.slice(span[0]!.start, span[span.length - 1]!.end);
  }

  parse(): ParsedAutoCdc {
    this.expectWord('FROM', 'FROM <source>');
    // `FROM SNAPSHOT src` (a table named `snapshot` is `FROM snapshot KEYS …`): not read as a
    // relation named SNAPSHOT, whose clauses would then be reported as missing.
    const snapshotAt = this.peek();
    const afterSnapshot = this.tokens[this.pos + 1];
    if (
      isWord(snapshotAt, 'SNAPSHOT') &&
      afterSnapshot &&
      !isWord(afterSnapshot, 'KEYS') &&
      !isSymbol(afterSnapshot, '.')
    ) {
      this.unsupported(
        'AUTO CDC FROM SNAPSHOT in SQL',
        'declare a snapshot flow with createAutoCdcFromSnapshotFlow in a TypeScript pipeline file',
        snapshotAt!,
      );
    }
    const source = this.span('a source after FROM', (i) => isWord(this.tokens[i], 'KEYS'));
    const keysAt = this.expectWord('KEYS', 'KEYS (…)');
    if (!isSymbol(this.peek(), '(')) this.fail("expected '(' after KEYS");
    const keys = this.nameList('a key column');
    const seen = new Set<string>();
    const once = (clause: string, t: Token) => {
      if (seen.has(clause)) this.fail(`duplicate ${clause} clause`, t);
      seen.add(clause);
    };
    let sequence: Token[] | undefined;
    let deleteWhen: Token[] | undefined;
    let truncateWhen: Token[] | undefined;
    let ignoreNullUpdates: ColumnSelection | undefined;
    let columns: ColumnSelection | undefined;
    let scdType: 1 | 2 = 1;
    let trackHistory: ColumnSelection | undefined;
    let trackAt: Token | undefined;
    while (this.pos < this.tokens.length) {
      const t = this.peek()!;
      if (this.acceptWord('IGNORE')) {
        once('IGNORE NULL UPDATES', t);
        this.expectWord('NULL', 'IGNORE NULL UPDATES');
        this.expectWord('UPDATES', 'IGNORE NULL UPDATES');
        ignoreNullUpdates = this.acceptWord('ON')
          ? this.selection('a column name')
          : Object.freeze({ kind: 'except', columns: Object.freeze([]) });
      } else if (this.acceptWord('APPLY')) {
        this.expectWord('AS', 'APPLY AS DELETE WHEN or APPLY AS TRUNCATE WHEN');
        const which = this.acceptWord('DELETE', 'TRUNCATE') ?? this.fail('expected DELETE or TRUNCATE');
        this.expectWord('WHEN', `APPLY AS ${which.text.toUpperCase()} WHEN`);
        once(`APPLY AS ${which.text.toUpperCase()}`, t);
        const cond = this.span('a condition');
        if (isWord(which, 'DELETE')) deleteWhen = cond;
        else truncateWhen = cond;
      } else if (this.acceptWord('SEQUENCE')) {
        once('SEQUENCE BY', t);
        this.expectWord('BY', 'SEQUENCE BY');
        sequence = this.span('an expression after SEQUENCE BY');
      } else if (this.acceptWord('SYSTEM')) {
        this.unsupported('SYSTEM SEQUENCE BY', 'sluice orders change events by SEQUENCE BY alone', t);
      } else if (this.acceptWord('COLUMNS')) {
        if (isWord(this.peek(), 'TO'))
          this.unsupported('COLUMNS TO UPDATE', 'sluice applies every selected column of an update', t);
        once('COLUMNS', t);
        columns = this.selection('a column name');
      } else if (this.acceptWord('STORED')) {
        once('STORED AS', t);
        this.expectWord('AS', 'STORED AS');
        if (this.acceptWord('BITEMPORAL'))
          this.unsupported('STORED AS BITEMPORAL', 'sluice stores SCD type 1 or 2', t);
        this.expectWord('SCD', 'SCD TYPE 1 or SCD TYPE 2');
        this.expectWord('TYPE', 'SCD TYPE 1 or SCD TYPE 2');
        const n = this.peek();
        if (n?.kind !== 'number' || (n.text !== '1' && n.text !== '2')) this.fail('expected SCD TYPE 1 or 2');
        this.pos++;
        scdType = n.text === '1' ? 1 : 2;
      } else if (this.acceptWord('TRACK')) {
        once('TRACK HISTORY', t);
        this.expectWord('HISTORY', 'TRACK HISTORY ON');
        this.expectWord('ON', 'TRACK HISTORY ON');
        trackHistory = this.selection('a column name');
        trackAt = t;
      } else {
        this.fail(
          'expected IGNORE NULL UPDATES, APPLY AS DELETE WHEN, APPLY AS TRUNCATE WHEN, SEQUENCE BY, COLUMNS, STORED AS or TRACK HISTORY ON',
        );
      }
    }
    if (!sequence) this.invalid(`AUTO CDC into '${this.target}' needs SEQUENCE BY`, this.at);
    if (trackHistory && scdType !== 2)
      this.invalid('TRACK HISTORY ON is only allowed with STORED AS SCD TYPE 2', trackAt!);
    if (truncateWhen && scdType !== 1)
      this.invalid('APPLY AS TRUNCATE WHEN is only allowed with SCD TYPE 1', truncateWhen[0]!);
    const cdc: AutoCdc = Object.freeze({
      kind: 'auto_cdc',
      source: this.textOf(source),
      keys: Object.freeze(keys),
      sequenceBy: this.textOf(sequence),
      ...(deleteWhen ? { deleteWhen: this.textOf(deleteWhen) } : {}),
      ...(truncateWhen ? { truncateWhen: this.textOf(truncateWhen) } : {}),
      ...(ignoreNullUpdates ? { ignoreNullUpdates } : {}),
      ...(columns ? { columns } : {}),
      scdType,
      ...(trackHistory ? { trackHistory } : {}),
      location: this.loc(keysAt),
    });
    return { cdc, query: this.eventsQuery(cdc, { source, sequence, deleteWhen, truncateWhen }) };
  }

  /**
   * The flow's query text, placed so that errors inside the copied expressions point at where
   * they were written: `SELECT *, <seq> AS …, coalesce((<del>), false) AS …, … FROM <source>`.
   */
  private eventsQuery(
    cdc: AutoCdc,
    spans: { source: Token[]; sequence: Token[]; deleteWhen?: Token[]; truncateWhen?: Token[] },
  ): PlacedText {
    // Pieces copied from the statement keep their offsets; synthesized glue maps to the source.
    const pieces: { text: string; from?: number }[] = [];
    const computed = autoCdcComputedColumns(cdc);
    let rest = computed;
    const copied = (tokens: Token[] | undefined, text: string | undefined) => {
      if (!tokens || text === undefined) return;
      const i = rest.indexOf(text);
      pieces.push({ text: rest.slice(0, i) }, { text, from: tokens[0]!.start });
      rest = rest.slice(i + text.length);
    };
    pieces.push({ text: 'SELECT *, ' });
    copied(spans.sequence, cdc.sequenceBy);
    copied(spans.deleteWhen, cdc.deleteWhen);
    copied(spans.truncateWhen, cdc.truncateWhen);
    pieces.push({ text: `${rest} FROM ` }, { text: this.textOf(spans.source), from: spans.source[0]!.start });
    const text = pieces.map((p) => p.text).join('');
    const anchor = spans.source[0]!.start;
    return {
      text,
      locate: (offset) => {
        let at = 0;
        for (const p of pieces) {
          if (offset < at + p.text.length || p === pieces[pieces.length - 1])
            return this.src.locate(p.from !== undefined ? p.from + Math.max(0, offset - at) : anchor);
          at += p.text.length;
        }
        return this.src.locate(anchor);
      },
    };
  }
}
