import { SluiceError } from '../errors/index.ts';
import { type Expectation, type ExpectationAction, expectation } from '../model/index.ts';
import { callSite } from './registry.ts';

function one(name: string, expr: string, action: ExpectationAction): Expectation {
  if (typeof name !== 'string' || name === '' || typeof expr !== 'string' || expr.trim() === '') {
    throw new SluiceError(
      'TS_INVALID_DEFINITION',
      'an expectation needs a non-empty name and a SQL boolean expression',
    );
  }
  return expectation(name, expr, action, callSite());
}

function all(constraints: Readonly<Record<string, string>>, action: ExpectationAction): Expectation[] {
  const loc = callSite();
  return Object.entries(constraints).map(([name, expr]) => {
    if (name === '' || typeof expr !== 'string' || expr.trim() === '') {
      throw new SluiceError(
        'TS_INVALID_DEFINITION',
        `expectation '${name}' needs a non-empty SQL boolean expression`,
      );
    }
    return expectation(name, expr, action, loc);
  });
}

/** Keep violating rows; count them (`@dp.expect`). A row passes only when `expr` is TRUE. */
export const expect = (name: string, expr: string): Expectation => one(name, expr, 'warn');
/** Drop violating rows (`ON VIOLATION DROP ROW`). */
export const expectOrDrop = (name: string, expr: string): Expectation => one(name, expr, 'drop');
/** Fail the flow's batch atomically on any violation (`ON VIOLATION FAIL UPDATE`). */
export const expectOrFail = (name: string, expr: string): Expectation => one(name, expr, 'fail');
/** Move violating rows to `<table>_quarantine` (sluice extension). */
export const expectOrQuarantine = (name: string, expr: string): Expectation => one(name, expr, 'quarantine');
/** Several warn expectations: `...expectAll({ name: expr })`. */
export const expectAll = (c: Readonly<Record<string, string>>): Expectation[] => all(c, 'warn');
export const expectAllOrDrop = (c: Readonly<Record<string, string>>): Expectation[] => all(c, 'drop');
export const expectAllOrFail = (c: Readonly<Record<string, string>>): Expectation[] => all(c, 'fail');
export const expectAllOrQuarantine = (c: Readonly<Record<string, string>>): Expectation[] =>
  all(c, 'quarantine');
