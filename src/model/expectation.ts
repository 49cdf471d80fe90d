import type { SourceLocation } from '../errors/index.ts';

/**
 * What happens to a row whose constraint is not TRUE (FALSE and NULL both fail).
 * Precedence when a row fails several: fail > quarantine > drop > warn.
 */
export type ExpectationAction = 'warn' | 'drop' | 'fail' | 'quarantine';

export const EXPECTATION_ACTIONS: readonly ExpectationAction[] = ['warn', 'drop', 'fail', 'quarantine'];

/** A named data-quality constraint on a dataset's output rows. */
export interface Expectation {
  readonly kind: 'expectation';
  readonly name: string;
  /** The constraint exactly as written (Spark SQL boolean expression). */
  readonly expression: string;
  readonly action: ExpectationAction;
  readonly location?: SourceLocation;
}

export function expectation(
  name: string,
  expression: string,
  action: ExpectationAction = 'warn',
  location?: SourceLocation,
): Expectation {
  return Object.freeze({ kind: 'expectation', name, expression, action, ...(location ? { location } : {}) });
}
