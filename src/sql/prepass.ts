import { sqlIdent, sqlString } from '../util/index.ts';
import type { OffsetMap } from './substitute.ts';
import { isSymbol, isWord, type Token, tokenize } from './tokenizer.ts';

/**
 * Token-level rewrites that make Spark SQL text parseable by DuckDB's parser, before the real
 * translation happens on DuckDB's AST:
 * - `` `id` `` → `"id"`; Spark string literals (`'…'` and, Spark's default, `"…"`, with
 *   backslash escapes) → DuckDB standard `'…'` literals;
 * - `STREAM x` / `STREAM read_files(…)` in a FROM position → the table function `stream(…)`
 *   (`STREAM(x)` already parses as one);
 * - infix `RLIKE` / `REGEXP` → `SIMILAR TO` (turned into a partial regexp match on the AST),
 *   `DIV` → `//`;
 * - typed number suffixes (`10L`, `1.5D`, `2BD`, `1Y`, `1S`, `1F`) → casts.
 * The output maps back to input offsets through `map`, so DuckDB's error positions can be
 * reported at the user's line:column.
 */
export interface Prepassed {
  readonly text: string;
  readonly map: OffsetMap;
  /** First tokenizer error (unterminated string/comment), if any. */
  readonly error?: { readonly offset: number; readonly message: string; readonly text: string };
}

const CLAUSE_WORDS = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'GROUP',
  'HAVING',
  'ORDER',
  'LIMIT',
  'QUALIFY',
  'WINDOW',
  'UNION',
  'INTERSECT',
  'EXCEPT',
  'ON',
  'USING',
  'JOIN',
  'WITH',
]);

const NOT_OPERAND_END = new Set([
  'SELECT',
  'WHERE',
  'AND',
  'OR',
  'NOT',
  'ON',
  'WHEN',
  'THEN',
  'ELSE',
  'HAVING',
  'BY',
  'CASE',
  'IN',
  'DISTINCT',
]);

const NUMBER_SUFFIX: Record<string, string> = {
  L: 'BIGINT',
  S: 'SMALLINT',
  Y: 'TINYINT',
  D: 'DOUBLE',
  F: 'FLOAT',
  BD: 'DECIMAL(38,18)',
};

function isOperandEnd(t: Token | undefined): boolean {
  if (!t) return false;
  if (t.kind === 'symbol') return t.text === ')';
  if (t.kind === 'word') return !NOT_OPERAND_END.has(t.text.toUpperCase());
  return t.kind !== 'error';
}

/** Index just past the table reference starting at `i` (an identifier chain or a call). */
function tableRefEnd(tokens: readonly Token[], i: number): number {
  let j = i;
  for (;;) {
    const t = tokens[j];
    if (!t || (t.kind !== 'word' && t.kind !== 'backtick' && t.kind !== 'dstring')) return j;
    j++;
    if (isSymbol(tokens[j], '(')) {
      let depth = 0;
      for (; j < tokens.length; j++) {
        if (isSymbol(tokens[j], '(')) depth++;
        else if (isSymbol(tokens[j], ')') && --depth === 0) return j + 1;
      }
      return j;
    }
    if (!isSymbol(tokens[j], '.')) return j;
    j++;
  }
}

/**
 * The rewritten text as it is built, with one segment per emitted token that maps output offsets
 * back to the token's input offsets. Invariant: segment output offsets are strictly increasing.
 */
class PrepassOutput {
  private readonly pieces: string[] = [];
  private readonly segOut: number[] = [];
  private readonly segSrc: number[] = [];
  private readonly segLen: number[] = [];
  private outLen = 0;

  /** Appends `s` (after a space, unless first) as the rewrite of input `[src, src + srcLen)`. */
  emit(s: string, src: number, srcLen: number): void {
    if (this.pieces.length > 0) {
      this.pieces.push(' ');
      this.outLen += 1;
    }
    this.segOut.push(this.outLen);
    this.segSrc.push(src);
    this.segLen.push(srcLen);
    this.pieces.push(s);
    this.outLen += s.length;
  }

  /** Appends `s` directly, with no space and no segment (it maps with the preceding token). */
  append(s: string): void {
    this.pieces.push(s);
    this.outLen += s.length;
  }

  /** The text built so far. */
  text(): string {
    return this.pieces.join('');
  }

  /** Maps output offsets to input offsets; offsets before the first token map to `fallback`. */
  offsetMap(fallback: () => number): OffsetMap {
    const { segOut, segSrc, segLen } = this;
    return (offset) => {
      let lo = 0;
      let hi = segOut.length - 1;
      let k = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (segOut[mid]! <= offset) {
          k = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (k < 0) return fallback();
      return segSrc[k]! + Math.min(offset - segOut[k]!, Math.max(0, segLen[k]! - 1));
    };
  }
}

/** A number token's DuckDB text: a Spark typed literal (`10L`, `2BD`, …) becomes a CAST. */
function numberLiteral(text: string): string {
  const m = /^([0-9.eE+-]+?)(BD|[LSYDF])$/i.exec(text);
  const type = m ? NUMBER_SUFFIX[m[2]!.toUpperCase()] : undefined;
  return type ? `CAST(${m![1]} AS ${type})` : text;
}

/** Token-walk state: `clause` is a stack of the current clause word per paren depth. */
interface PrepassState {
  readonly tokens: readonly Token[];
  readonly out: PrepassOutput;
  readonly clause: string[];
  /** Closing parens to add after token index → count (for `STREAM x` wrapping). */
  readonly closeAfter: Map<number, number>;
}

/**
 * Emits the rewrite of the word token at `i` (`STREAM x`, `RLIKE`/`REGEXP`, `DIV`, `array(`),
 * else the word itself, updating the current clause when it is a clause word.
 */
function emitWord(state: PrepassState, i: number): void {
  const { tokens, out, clause, closeAfter } = state;
  const t = tokens[i]!;
  const prev = tokens[i - 1];
  const len = t.end - t.start;
  const upper = t.text.toUpperCase();
  const next = tokens[i + 1];
  if (
    upper === 'STREAM' &&
    next &&
    !isSymbol(next, '(') &&
    (next.kind === 'word' || next.kind === 'backtick') &&
    ['FROM', 'ON', 'USING'].includes(clause[clause.length - 1]!) &&
    (isWord(prev, 'FROM') || isWord(prev, 'JOIN') || isSymbol(prev, ','))
  ) {
    const end = tableRefEnd(tokens, i + 1);
    out.emit('stream', t.start, len);
    out.append('(');
    closeAfter.set(end - 1, (closeAfter.get(end - 1) ?? 0) + 1);
    return;
  }
  if (
    (upper === 'RLIKE' || upper === 'REGEXP') &&
    !isSymbol(next, '(') &&
    (isWord(prev, 'NOT') || isOperandEnd(prev))
  ) {
    out.emit('SIMILAR TO', t.start, len);
    return;
  }
  if (upper === 'DIV' && isOperandEnd(prev) && next && !isSymbol(next, '(')) {
    out.emit('//', t.start, len);
    return;
  }
  if (upper === 'ARRAY' && isSymbol(next, '(')) {
    // Spark's array(…) function; DuckDB reads `ARRAY(` as an array subquery.
    out.emit('list_value', t.start, len);
    return;
  }
  if (CLAUSE_WORDS.has(upper)) clause[clause.length - 1] = upper === 'JOIN' ? 'FROM' : upper;
  out.emit(t.text, t.start, len);
}

/** Rewrites Spark SQL text into text DuckDB's parser accepts (see module comment). */
export function prepassSparkSql(text: string): Prepassed {
  const tokens = tokenize(text);
  const state: PrepassState = { tokens, out: new PrepassOutput(), clause: [''], closeAfter: new Map() };
  const { out, clause, closeAfter } = state;
  let error: Prepassed['error'];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const len = t.end - t.start;
    switch (t.kind) {
      case 'error':
        error ??= { offset: t.start, message: t.value, text: t.text.slice(0, 20) };
        out.emit(t.text, t.start, len);
        break;
      case 'backtick':
        out.emit(sqlIdent(t.value), t.start, len);
        break;
      case 'string':
      case 'dstring':
        out.emit(sqlString(t.value), t.start, len);
        break;
      case 'number':
        out.emit(numberLiteral(t.text), t.start, len);
        break;
      case 'symbol':
        if (t.text === '(') clause.push('');
        else if (t.text === ')' && clause.length > 1) clause.pop();
        out.emit(t.text, t.start, len);
        break;
      case 'word':
        emitWord(state, i);
        break;
      default: {
        const never: never = t.kind;
        return never;
      }
    }
    const closes = closeAfter.get(i);
    if (closes) out.append(')'.repeat(closes));
  }
  const map = out.offsetMap(() => tokens[0]?.start ?? 0);
  return { text: out.text(), map, ...(error ? { error } : {}) };
}
