import { sqlIdent, sqlString } from '../util/index.ts';
import { rewriteClauses } from './prepass-clauses.ts';
import { rewriteExpressions } from './prepass-expressions.ts';
import { rewriteLiterals } from './spark-literals.ts';
import type { OffsetMap } from './substitute.ts';
import type { Locate } from './syntax-errors.ts';
import { buildTree, flatten } from './token-tree.ts';
import { type Token, tokenize } from './tokenizer.ts';

/**
 * Rewrites Spark SQL text into text DuckDB's parser reads with the same meaning, before the
 * real translation happens on DuckDB's AST. Three passes over the tokens:
 *
 * 1. literals, data types and single-token operators (spark-literals.ts), on the flat tokens;
 * 2. clauses and function-call forms (prepass-clauses.ts, prepass-calls.ts), on the token tree;
 * 3. operator precedence and the JSON path operator (prepass-expressions.ts).
 *
 * Backticked names become `"names"` and every Spark string literal (`'…'`, `"…"`, `r'…'`) a
 * standard `'…'` literal. The output maps back to input offsets through `map`, so DuckDB's
 * error positions are reported at the user's line:column. Spark syntax sluice does not support
 * is refused here with UNSUPPORTED_SQL_SYNTAX (or STREAMING_QUERY_NOT_SUPPORTED) at `locate`.
 */
export interface Prepassed {
  readonly text: string;
  readonly map: OffsetMap;
  /** First tokenizer error (unterminated string/comment), if any. */
  readonly error?: { readonly offset: number; readonly message: string; readonly text: string };
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

/** A token's DuckDB text. */
function tokenText(t: Token): string {
  switch (t.kind) {
    case 'backtick':
      return sqlIdent(t.value);
    case 'string':
    case 'dstring':
      return sqlString(t.value);
    case 'word':
    case 'number':
    case 'symbol':
    case 'raw':
    case 'error':
      return t.text;
    default: {
      const never: never = t.kind;
      return never;
    }
  }
}

/** Rewrites Spark SQL text into text DuckDB's parser accepts (see the module comment). */
export function prepassSparkSql(text: string, locate: Locate = () => undefined): Prepassed {
  const tokens = tokenize(text);
  const out = new PrepassOutput();
  const bad = tokens.find((t) => t.kind === 'error');
  if (bad) {
    for (const t of tokens) out.emit(tokenText(t), t.start, t.end - t.start);
    const error = { offset: bad.start, message: bad.value, text: bad.text.slice(0, 20) };
    return { text: out.text(), map: out.offsetMap(() => 0), error };
  }
  const literals = rewriteLiterals(tokens, locate);
  const clauses = rewriteClauses(buildTree(literals), locate);
  const expressions = rewriteExpressions(clauses, locate);
  for (const t of flatten(expressions)) out.emit(tokenText(t), t.start, Math.max(0, t.end - t.start));
  return { text: out.text(), map: out.offsetMap(() => tokens[0]?.start ?? 0) };
}
