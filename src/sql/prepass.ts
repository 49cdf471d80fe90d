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

/** Rewrites Spark SQL text into text DuckDB's parser accepts (see module comment). */
export function prepassSparkSql(text: string): Prepassed {
  const tokens = tokenize(text);
  const pieces: string[] = [];
  const segOut: number[] = [];
  const segSrc: number[] = [];
  const segLen: number[] = [];
  let outLen = 0;
  const emit = (s: string, src: number, srcLen: number) => {
    if (pieces.length > 0) {
      pieces.push(' ');
      outLen += 1;
    }
    segOut.push(outLen);
    segSrc.push(src);
    segLen.push(srcLen);
    pieces.push(s);
    outLen += s.length;
  };
  let error: Prepassed['error'];
  const clause: string[] = [''];
  // Closing parens to add after token index → count (for `STREAM x` wrapping).
  const closeAfter = new Map<number, number>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const prev = tokens[i - 1];
    const len = t.end - t.start;
    switch (t.kind) {
      case 'error':
        error ??= { offset: t.start, message: t.value, text: t.text.slice(0, 20) };
        emit(t.text, t.start, len);
        break;
      case 'backtick':
        emit(sqlIdent(t.value), t.start, len);
        break;
      case 'string':
      case 'dstring':
        emit(sqlString(t.value), t.start, len);
        break;
      case 'number': {
        const m = /^([0-9.eE+-]+?)(BD|[LSYDF])$/i.exec(t.text);
        const type = m ? NUMBER_SUFFIX[m[2]!.toUpperCase()] : undefined;
        emit(type ? `CAST(${m![1]} AS ${type})` : t.text, t.start, len);
        break;
      }
      case 'symbol':
        if (t.text === '(') clause.push('');
        else if (t.text === ')' && clause.length > 1) clause.pop();
        emit(t.text, t.start, len);
        break;
      case 'word': {
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
          emit('stream', t.start, len);
          pieces.push('(');
          outLen += 1;
          closeAfter.set(end - 1, (closeAfter.get(end - 1) ?? 0) + 1);
          break;
        }
        if (
          (upper === 'RLIKE' || upper === 'REGEXP') &&
          !isSymbol(next, '(') &&
          (isWord(prev, 'NOT') || isOperandEnd(prev))
        ) {
          emit('SIMILAR TO', t.start, len);
          break;
        }
        if (upper === 'DIV' && isOperandEnd(prev) && next && !isSymbol(next, '(')) {
          emit('//', t.start, len);
          break;
        }
        if (upper === 'ARRAY' && isSymbol(next, '(')) {
          // Spark's array(…) function; DuckDB reads `ARRAY(` as an array subquery.
          emit('list_value', t.start, len);
          break;
        }
        if (CLAUSE_WORDS.has(upper)) clause[clause.length - 1] = upper === 'JOIN' ? 'FROM' : upper;
        emit(t.text, t.start, len);
        break;
      }
      default: {
        const never: never = t.kind;
        return never;
      }
    }
    const closes = closeAfter.get(i);
    if (closes) {
      pieces.push(')'.repeat(closes));
      outLen += closes;
    }
  }
  const out = pieces.join('');
  const map: OffsetMap = (offset) => {
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
    if (k < 0) return tokens[0]?.start ?? 0;
    return segSrc[k]! + Math.min(offset - segOut[k]!, Math.max(0, segLen[k]! - 1));
  };
  return { text: out, map, ...(error ? { error } : {}) };
}
