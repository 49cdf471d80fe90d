/**
 * What the rules of Spark's casts (`cast-conversions.ts`, `cast-arrays.ts`) produce and need:
 * a converted value and the errors its NULL stands for, and the translation around them.
 */
import type { AstNode } from './ast.ts';
import { concat, eq, fn, str, when } from './cast-ast.ts';
import type { Bind } from './cast-text.ts';
import { type CastTarget, type SourceKind, sparkTypeName } from './cast-types.ts';

/** Why a non-NULL value converted to NULL: the error Spark raises there. */
export interface Failure {
  /** When this failure applies (tested in order); omitted: always. */
  readonly when?: AstNode;
  readonly code:
    | 'CAST_INVALID_INPUT'
    | 'ARITHMETIC_OVERFLOW'
    | 'UNSUPPORTED_CAST'
    | 'LEGACY_MODE_UNSUPPORTED';
  /** The message (a VARCHAR expression, without the code). */
  readonly message: AstNode;
  /** Raised by TRY_CAST too: Spark has a value sluice cannot compute. */
  readonly always?: boolean;
}

export type Conversion =
  | { readonly kind: 'value'; readonly value: AstNode; readonly failures: readonly Failure[] }
  | { readonly kind: 'mismatch' }
  | { readonly kind: 'unsupported'; readonly reason: string };

/** What a rule needs from the translation around it. */
export interface CastEnv {
  /** ` (file:line:column)` of the cast, or ''. */
  readonly at: string;
  /** A lambda parameter name not used elsewhere in the expression. */
  fresh(): string;
  /** The complete Spark cast of `x` (of any type) to `target`, for array elements. */
  castAny(x: AstNode, target: CastTarget): AstNode;
  /** Evaluates `value` once and builds an expression on a reference to it. */
  readonly bind: Bind;
  /** ANSI mode off: Spark's non-ANSI cast (`cast-legacy.ts`); its failures are NULLs. */
  readonly legacy: boolean;
}

/** A converted value and what its NULL stands for. */
export const value = (v: AstNode, failures: readonly Failure[] = []): Conversion => ({
  kind: 'value',
  value: v,
  failures,
});
/** A cast Spark refuses at analysis. */
export const MISMATCH: Conversion = { kind: 'mismatch' };

/** Spark's name of the type of `x`, a value of `kind` (an expression DuckDB folds). */
export function sourceTypeName(x: AstNode, kind: SourceKind): AstNode {
  switch (kind) {
    case 'string':
      return str('STRING');
    case 'timestamp':
      return str('TIMESTAMP');
    case 'timestamp_ntz':
      return str('TIMESTAMP_NTZ');
    case 'binary':
      return str('BINARY');
    case 'integral':
      return when([[eq(fn('typeof', x), str('INTEGER')), str('INT')]], fn('typeof', x));
    default:
      return fn('upper', fn('typeof', x));
  }
}

/** Text Spark cannot read as the target type: CAST_INVALID_INPUT. */
export function malformed(text: AstNode, target: CastTarget, env: CastEnv, when?: AstNode): Failure {
  return {
    ...(when ? { when } : {}),
    code: 'CAST_INVALID_INPUT',
    message: concat(
      str("The value '"),
      text,
      str(
        `' of the type "STRING" cannot be cast to "${sparkTypeName(target)}" because it is malformed; ` +
          `correct the value, or use try_cast to get NULL instead${env.at}`,
      ),
    ),
  };
}

/** A value out of the target type's range: Spark's CAST_OVERFLOW (ARITHMETIC_OVERFLOW). */
export function overflow(
  text: AstNode,
  source: AstNode,
  target: CastTarget,
  env: CastEnv,
  when?: AstNode,
): Failure {
  return {
    ...(when ? { when } : {}),
    code: 'ARITHMETIC_OVERFLOW',
    message: concat(
      str('The value '),
      text,
      str(' of the type "'),
      source,
      str(
        `" cannot be cast to "${sparkTypeName(target)}" due to an overflow; use try_cast to get NULL instead${env.at}`,
      ),
    ),
  };
}

/** A value Spark converts but sluice cannot exactly: UNSUPPORTED_CAST, raised by TRY_CAST too. */
export function unsupportedValue(reason: string, env: CastEnv, when?: AstNode): Failure {
  return { ...(when ? { when } : {}), code: 'UNSUPPORTED_CAST', message: str(reason + env.at), always: true };
}
