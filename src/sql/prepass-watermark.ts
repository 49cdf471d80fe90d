/**
 * The Lakeflow WATERMARK clause of a streaming relation (`FROM STREAM(x) WATERMARK ts DELAY OF
 * INTERVAL …`), read by the clause prepass into extra arguments of the `stream(…)` call, which
 * the translation turns into the input's watermark.
 */
import { SluiceError } from '../errors/index.ts';
import { intervalValueOfText } from './spark-intervals.ts';
import type { Locate } from './syntax-errors.ts';
import { endOf, type Group, isGroup, nodeIsWord, rawToken, startOf, type TreeNode } from './token-tree.ts';
import type { Token } from './tokenizer.ts';

/** A name token: a word, a `backticked` or "double-quoted" identifier. */
export function isName(n: TreeNode | undefined): n is Token {
  return (
    n !== undefined && !isGroup(n) && (n.kind === 'word' || n.kind === 'backtick' || n.kind === 'dstring')
  );
}

export function watermark(at: Token, locate: Locate): SluiceError {
  const location = locate(at.start);
  return new SluiceError(
    'STREAMING_QUERY_NOT_SUPPORTED',
    'WATERMARK … DELAY OF is only supported on a streaming read (FROM STREAM(x) WATERMARK ts DELAY OF INTERVAL …)',
    { params: { operation: 'watermark' }, ...(location ? { location } : {}) },
  );
}

/** Marks the extra arguments of `stream(x, …)` that carry a WATERMARK clause (see translate.ts). */
export const WATERMARK_ARGUMENT = '__sluice_watermark';

/**
 * `WATERMARK col DELAY OF INTERVAL …` at `items[k]` (after a streaming relation), read into
 * the extra arguments of the `stream(…)` call: the column and the delay in microseconds. Only
 * a column is accepted (Spark also takes `expr AS name`, refused here with a code); the delay
 * must be a positive day-time interval below a month, as Spark requires.
 * @throws SluiceError STREAMING_QUERY_NOT_SUPPORTED, WATERMARK_DELAY_INVALID, SQL_SYNTAX_ERROR
 */
export function watermarkClause(
  items: readonly TreeNode[],
  k: number,
  locate: Locate,
): { args: TreeNode[]; end: number } {
  const at = items[k] as Token;
  const column = items[k + 1];
  const fail = (code: 'STREAMING_QUERY_NOT_SUPPORTED' | 'WATERMARK_DELAY_INVALID', message: string) => {
    const location = locate(at.start);
    return new SluiceError(code, message, {
      params: { operation: 'watermark' },
      ...(location ? { location } : {}),
    });
  };
  if (!isName(column) || !nodeIsWord(items[k + 2], 'DELAY') || !nodeIsWord(items[k + 3], 'OF')) {
    throw fail(
      'STREAMING_QUERY_NOT_SUPPORTED',
      'WATERMARK takes a column of the stream (WATERMARK ts DELAY OF INTERVAL …); a computed event time (WATERMARK expr AS name) is not supported yet — compute the column in a view and watermark it there',
    );
  }
  const delay = items[k + 4];
  const v = delay && !isGroup(delay) && delay.kind === 'raw' ? intervalValueOfText(delay.value) : undefined;
  if (!v) {
    throw fail(
      'WATERMARK_DELAY_INVALID',
      'WATERMARK … DELAY OF takes an interval literal (INTERVAL 10 SECONDS)',
    );
  }
  if (v.kind !== 'day-time' || v.micros <= 0n || v.micros >= 31n * 86_400_000_000n) {
    throw fail(
      'WATERMARK_DELAY_INVALID',
      'the watermark delay must be a positive interval less than a month (Spark refuses months and years, which have no fixed length)',
    );
  }
  const name = (column as Token).value;
  const text = `, '${WATERMARK_ARGUMENT}', '${name.replaceAll("'", "''")}', '${v.micros}'`;
  return { args: [rawToken(text, startOf(at), endOf(delay!))], end: k + 5 };
}

export function withWatermark(g: TreeNode, args: TreeNode[]): Group {
  const group = g as Group;
  return { ...group, items: [...group.items, ...args] };
}
