/**
 * A hand-written tokenizer for Spark SQL / the Lakeflow dialect. It never throws: malformed
 * input (an unterminated string or comment) becomes an `error` token, so callers can report it
 * at its exact position. Every token records its start offset; `lineCol` turns offsets into
 * 1-based line:column.
 */

export type TokenKind =
  /** A bare word: keyword or identifier (`SELECT`, `bronze_events`). */
  | 'word'
  /** `` `name` `` (Spark) — `value` is the unescaped name. */
  | 'backtick'
  /**
   * `'text'` — `value` is the decoded text (backslash escapes and doubled quotes resolved). A raw
   * string `r'text'` is a `string` token too: it starts at its quote (the `r` is no token) and its
   * value is the text as written, without escapes.
   */
  | 'string'
  /** `"text"` — a string literal in Spark's default dialect, an identifier in DDL names (`r"…"` raw). */
  | 'dstring'
  | 'number'
  /** Operators and punctuation: `(`, `)`, `,`, `;`, `.`, `=`, `<=>`, `=>`, `::`, `||`, `>>>`, … */
  | 'symbol'
  /** Unterminated string / identifier / comment; `value` says what. */
  | 'error'
  /** DuckDB text the pre-pass put in place of Spark syntax (never produced by `tokenize`). */
  | 'raw';

export interface Token {
  readonly kind: TokenKind;
  /** Raw source text of the token. */
  readonly text: string;
  /** Decoded value (strings, quoted identifiers); equals `text` otherwise. */
  readonly value: string;
  /** Offset of the first character in the tokenized text. */
  readonly start: number;
  /** Offset just past the last character. */
  readonly end: number;
}

// Longest first where one is a prefix of another (`>>>` before `>>`). `!<` / `!>` are Spark's
// spellings of `>=` / `<=`; `|>` is Spark's pipe operator.
const SYMBOLS = [
  '<=>',
  '>>>',
  '=>',
  '::',
  '<=',
  '>=',
  '<>',
  '!=',
  '!<',
  '!>',
  '==',
  '||',
  '|>',
  '->',
  '&&',
  '<<',
  '>>',
];

const SYMBOL_START = new Set(SYMBOLS.map((s) => s[0]!));

function isWordStartCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 0x80;
}

function isWordPartCode(c: number): boolean {
  return isWordStartCode(c) || isDigitCode(c) || c === 36;
}

function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isWordStart(c: string): boolean {
  return c !== '' && isWordStartCode(c.charCodeAt(0));
}

function isWordPart(c: string): boolean {
  return c !== '' && isWordPartCode(c.charCodeAt(0));
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c !== '' && isDigitCode(c.charCodeAt(0));
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', '0': '\0', Z: '\x1a' };

/** Reads a quoted run starting at `i` (the opening quote). Returns the end offset or -1 if unterminated. */
function scanQuoted(
  text: string,
  i: number,
  quote: string,
  backslash: boolean,
): { end: number; value: string } {
  let value = '';
  let j = i + 1;
  while (j < text.length) {
    const c = text[j]!;
    if (backslash && c === '\\' && j + 1 < text.length) {
      const n = text[j + 1]!;
      value += ESCAPES[n] ?? n;
      j += 2;
      continue;
    }
    if (c === quote) {
      if (text[j + 1] === quote) {
        value += quote;
        j += 2;
        continue;
      }
      return { end: j + 1, value };
    }
    value += c;
    j++;
  }
  return { end: -1, value };
}

/**
 * End offset of the bracketed comment opening at `i` (`/*`), or -1 if it is unterminated.
 * Spark allows nested bracketed comments; the end is where the nesting depth returns to 0.
 */
function blockCommentEnd(text: string, i: number): number {
  const n = text.length;
  let depth = 0;
  let j = i;
  while (j < n) {
    if (text[j] === '/' && text[j + 1] === '*') {
      depth++;
      j += 2;
    } else if (text[j] === '*' && text[j + 1] === '/') {
      depth--;
      j += 2;
      if (depth === 0) break;
    } else j++;
  }
  return depth !== 0 ? -1 : j;
}

/** End offset of the number literal starting at `i` (digits, fraction, exponent, type suffix). */
function numberEnd(text: string, i: number): number {
  const n = text.length;
  let j = i;
  while (j < n && isDigit(text[j])) j++;
  if (text[j] === '.' && isDigit(text[j + 1])) {
    j++;
    while (j < n && isDigit(text[j])) j++;
  } else if (text[j] === '.' && !isWordStart(text[j + 1] ?? ' ')) j++;
  if ((text[j] === 'e' || text[j] === 'E') && /[0-9+-]/.test(text[j + 1] ?? '')) {
    let k = j + 1;
    if (text[k] === '+' || text[k] === '-') k++;
    if (isDigit(text[k])) {
      j = k;
      while (j < n && isDigit(text[j])) j++;
    }
  }
  // Spark literal suffixes (10L, 1.5D, 2BD, 1Y, 1S, 1F) stay part of the number token.
  while (j < n && isWordPart(text[j]!)) j++;
  return j;
}

/** Tokenizes `text`; comments and whitespace are skipped. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const push = (kind: TokenKind, start: number, end: number, value?: string) => {
    const raw = text.slice(start, end);
    tokens.push({ kind, text: raw, value: value ?? raw, start, end });
  };
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (c === '-' && text[i + 1] === '-') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = blockCommentEnd(text, i);
      if (end < 0) {
        push('error', i, n, 'unterminated comment');
        return tokens;
      }
      i = end;
      continue;
    }
    const rawQuote = (c === 'r' || c === 'R') && (text[i + 1] === "'" || text[i + 1] === '"');
    if (rawQuote && !(i > 0 && isWordPartCode(text.charCodeAt(i - 1)))) {
      // Spark's raw string: no escapes, ends at the next quote of its kind.
      const quote = text[i + 1]!;
      const close = text.indexOf(quote, i + 2);
      if (close < 0) {
        push('error', i, n, 'unterminated string');
        return tokens;
      }
      push(quote === "'" ? 'string' : 'dstring', i + 1, close + 1, text.slice(i + 2, close));
      i = close + 1;
      continue;
    }
    if (c === "'" || c === '"') {
      const { end, value } = scanQuoted(text, i, c, true);
      if (end < 0) {
        push('error', i, n, 'unterminated string');
        return tokens;
      }
      push(c === "'" ? 'string' : 'dstring', i, end, value);
      i = end;
      continue;
    }
    if (c === '`') {
      const { end, value } = scanQuoted(text, i, '`', false);
      if (end < 0) {
        push('error', i, n, 'unterminated quoted identifier');
        return tokens;
      }
      push('backtick', i, end, value);
      i = end;
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(text[i + 1]))) {
      const end = numberEnd(text, i);
      push('number', i, end);
      i = end;
      continue;
    }
    if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && isWordPartCode(text.charCodeAt(j))) j++;
      push('word', i, j);
      i = j;
      continue;
    }
    const sym = SYMBOL_START.has(c) ? SYMBOLS.find((s) => text.startsWith(s, i)) : undefined;
    if (sym) {
      push('symbol', i, i + sym.length);
      i += sym.length;
      continue;
    }
    push('symbol', i, i + 1);
    i++;
  }
  return tokens;
}

/** True when `t` is the bare word `word` (case-insensitive). */
export function isWord(t: Token | undefined, word: string): boolean {
  return t !== undefined && t.kind === 'word' && t.text.toUpperCase() === word;
}

/** True when `t` is the symbol `sym`. */
export function isSymbol(t: Token | undefined, sym: string): boolean {
  return t !== undefined && t.kind === 'symbol' && t.text === sym;
}

/** Maps offsets of one text to 1-based line and column numbers. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.starts.push(i + 1);
  }

  lineCol(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }
}
