/**
 * A small SQL tokenizer, just enough to find table references and statement keywords without
 * being fooled by string literals, quoted identifiers or comments. Token texts concatenate back
 * to the exact input (`tokens.map(t => t.text).join('') === sql`).
 */

export type TokenKind =
  | 'space'
  | 'comment'
  | 'string' // '...', E'...', $$...$$
  | 'quoted' // "..."
  | 'backtick' // `...`
  | 'word'
  | 'number'
  | 'punct';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** Offset of the token in the input. */
  readonly start: number;
}

function readQuoted(sql: string, i: number, quote: string): number {
  let j = i + 1;
  while (j < sql.length) {
    if (sql[j] === quote) {
      if (sql[j + 1] === quote) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return sql.length; // unterminated: the rest of the input (DuckDB reports the error)
}

/** Splits SQL text into tokens. Never throws; unterminated quotes/comments run to the end. */
export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, end: number) => {
    out.push({ kind, text: sql.slice(i, end), start: i });
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i] as string;
    const n = sql[i + 1];
    if (/\s/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /\s/.test(sql[j] as string)) j++;
      push('space', j);
    } else if (c === '-' && n === '-') {
      const j = sql.indexOf('\n', i);
      push('comment', j < 0 ? sql.length : j);
    } else if (c === '/' && n === '*') {
      const j = sql.indexOf('*/', i + 2);
      push('comment', j < 0 ? sql.length : j + 2);
    } else if (c === "'") {
      push('string', readQuoted(sql, i, "'"));
    } else if ((c === 'E' || c === 'e') && n === "'") {
      // E'..' with backslash escapes
      let j = i + 2;
      while (j < sql.length && sql[j] !== "'") j += sql[j] === '\\' ? 2 : 1;
      push('string', Math.min(j + 1, sql.length));
    } else if (c === '"') {
      push('quoted', readQuoted(sql, i, '"'));
    } else if (c === '`') {
      push('backtick', readQuoted(sql, i, '`'));
    } else if (c === '$') {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (m) {
        const tag = m[0];
        const j = sql.indexOf(tag, i + tag.length);
        push('string', j < 0 ? sql.length : j + tag.length);
      } else {
        push('punct', i + 1);
      }
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[j] as string)) j++;
      push('word', j);
    } else if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /[0-9.]/.test(sql[j] as string)) j++;
      push('number', j);
    } else {
      push('punct', i + 1);
    }
  }
  return out;
}

/** True for tokens that carry meaning (not whitespace or comments). */
export function isSignificant(t: Token): boolean {
  return t.kind !== 'space' && t.kind !== 'comment';
}

/** The content of a quoted token (`'a''b'` → `a'b`, `` `x` `` → `x`). */
export function unquote(t: Token): string {
  const q = t.text[0] as string;
  const body = t.text.endsWith(q) && t.text.length >= 2 ? t.text.slice(1, -1) : t.text.slice(1);
  return body.replaceAll(q + q, q);
}
