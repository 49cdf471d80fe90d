/**
 * `table_changes('t', start[, end])` in a pipeline query (Databricks' table-valued function over a
 * table's change data feed): a batch read of dataset t's changes of versions start..end, which the
 * graph resolves as a dependency on t like any read of it.
 */
import { SluiceError, type SourceLocation } from '../errors/index.ts';
import type { QueryInput } from '../model/index.ts';
import { type AstNode, constantText, isNode, nodes, str } from './ast.ts';

/** A version argument: an integer literal (a timestamp — a string or TIMESTAMP — is refused). */
function versionOf(arg: AstNode | undefined): number | 'timestamp' | undefined {
  if (arg === undefined) return undefined;
  if (arg.class !== 'CONSTANT' || !isNode(arg.value)) return 'timestamp';
  const type = isNode(arg.value.type) ? str(arg.value.type, 'id') : '';
  const text = constantText(arg);
  if (!['INTEGER', 'BIGINT', 'SMALLINT', 'TINYINT', 'HUGEINT'].includes(type) || text === undefined)
    return 'timestamp';
  return Number(text);
}

/**
 * The input `table_changes(…)` call `fn` reads.
 * @throws SluiceError UNSUPPORTED_SQL_SYNTAX for timestamps, SQL_SYNTAX_ERROR for other arguments
 */
export function tableChangesInput(
  fn: AstNode,
  locate: (n: AstNode) => SourceLocation | undefined,
): QueryInput {
  const args = nodes(fn, 'children');
  const fail = (code: 'SQL_SYNTAX_ERROR' | 'UNSUPPORTED_SQL_SYNTAX', message: string, params: object) => {
    const location = locate(fn);
    return new SluiceError(code, message, { params: { ...params }, ...(location ? { location } : {}) });
  };
  const name = args[0] ? constantText(args[0]) : undefined;
  const start = versionOf(args[1]);
  const end = versionOf(args[2]);
  if (name === undefined || name === '' || start === undefined || args.length > 3) {
    throw fail('SQL_SYNTAX_ERROR', "expected table_changes('table', startVersion[, endVersion])", {
      near: 'table_changes',
    });
  }
  if (start === 'timestamp' || end === 'timestamp') {
    throw fail(
      'UNSUPPORTED_SQL_SYNTAX',
      'table_changes(…) by timestamp is not supported: give table versions (see DESCRIBE HISTORY / the table log)',
      { construct: 'table_changes by timestamp' },
    );
  }
  if (
    !Number.isSafeInteger(start) ||
    start < 0 ||
    (end !== undefined && (!Number.isSafeInteger(end) || end < start))
  ) {
    throw fail(
      'SQL_SYNTAX_ERROR',
      `table_changes(…): versions ${start}..${end ?? 'latest'} are not a version range`,
      {
        near: 'table_changes',
      },
    );
  }
  let parts = name.split('.');
  if (parts.length > 1 && parts[0]!.toLowerCase() === 'live') parts = parts.slice(1);
  return {
    kind: 'dataset',
    name: parts.join('.'),
    streaming: false,
    changes: { startVersion: start, ...(end !== undefined ? { endVersion: end } : {}) },
  };
}
