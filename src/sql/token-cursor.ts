/**
 * A cursor over one statement's tokens: the accept / expect steps the statement parsers share
 * (`pipeline-parser.ts`, `auto-cdc-clauses.ts`). A syntax error points at the token it is about
 * (the statement's end when there is none) and, when the cursor knows it, at the dataset.
 */
import { SluiceError, type SourceLocation } from '../errors/index.ts';
import type { PlacedText } from './compile.ts';
import { isSymbol, isWord, type Token } from './tokenizer.ts';

export class TokenCursor {
  protected pos: number;

  constructor(
    protected readonly tokens: readonly Token[],
    protected readonly src: PlacedText,
    from = 0,
    private readonly dataset?: string,
  ) {
    this.pos = from;
  }

  protected peek(k = 0): Token | undefined {
    return this.tokens[this.pos + k];
  }

  protected loc(t: Token | undefined): SourceLocation {
    return this.src.locate(t ? t.start : this.src.text.length)!;
  }

  /** SQL_SYNTAX_ERROR `message (near '…')` at `t`. */
  fail(message: string, t: Token | undefined = this.peek()): never {
    const near = t ? t.text.slice(0, 40) : '<end of statement>';
    throw new SluiceError('SQL_SYNTAX_ERROR', `${message} (near '${near}')`, {
      params: { near, detail: message },
      location: this.loc(t),
      ...(this.dataset !== undefined ? { dataset: this.dataset } : {}),
    });
  }

  protected acceptWord(...words: string[]): Token | undefined {
    const t = this.peek();
    if (t && words.some((w) => isWord(t, w))) {
      this.pos++;
      return t;
    }
    return undefined;
  }

  protected expectWord(word: string, what = word): Token {
    return this.acceptWord(word) ?? this.fail(`expected ${what}`);
  }

  protected acceptSymbol(sym: string): Token | undefined {
    const t = this.peek();
    if (isSymbol(t, sym)) {
      this.pos++;
      return t;
    }
    return undefined;
  }

  protected expectSymbol(sym: string): Token {
    return this.acceptSymbol(sym) ?? this.fail(`expected '${sym}'`);
  }

  /** A name: a word, a `backticked` or "double-quoted" identifier. */
  protected identifier(what: string): string {
    const t = this.peek();
    if (t && (t.kind === 'word' || t.kind === 'backtick' || t.kind === 'dstring')) {
      this.pos++;
      return t.value;
    }
    return this.fail(`expected ${what}`);
  }
}
