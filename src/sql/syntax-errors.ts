import { SluiceError, type SourceLocation } from '../errors/index.ts';
import type { Group } from './token-tree.ts';

/** The file position of a character offset of the text being translated, when it is known. */
export type Locate = (offset: number) => SourceLocation | undefined;

/** Where an error points: a token, a bracketed group or any span of the translated text. */
export type At = { readonly start: number; readonly text?: string } | Group;

function point(at: At): { start: number; text?: string } {
  return 'kind' in at && at.kind === 'group' ? at.open : (at as { start: number; text?: string });
}

function located(locate: Locate, at: At): { location: SourceLocation } | Record<string, never> {
  const location = locate(point(at).start);
  return location ? { location } : {};
}

/**
 * UNSUPPORTED_SQL_SYNTAX: valid Spark SQL that sluice does not translate. `message` names the
 * construct for the person reading it ("`* EXCEPT` on a struct field is not supported");
 * `construct` is its short stable name (`* EXCEPT`, `LATERAL VIEW`, …) for params.
 */
export function unsupportedSyntax(
  construct: string,
  message: string,
  at: At,
  locate: Locate,
  params: Record<string, unknown> = {},
): SluiceError {
  return new SluiceError('UNSUPPORTED_SQL_SYNTAX', message, {
    params: { construct, ...params },
    ...located(locate, at),
  });
}

/** SQL_SYNTAX_ERROR found by sluice itself (an invalid literal, a malformed clause). */
export function sparkSyntaxError(message: string, at: At, locate: Locate): SluiceError {
  const near = (point(at).text ?? '').slice(0, 40) || '<end of input>';
  return new SluiceError('SQL_SYNTAX_ERROR', `${message} (near '${near}')`, {
    params: { near, detail: message },
    ...located(locate, at),
  });
}
