/**
 * Spark's linear-regression aggregates regr_*(y, x). See `index.ts` for how rules work.
 *
 * They read the pairs where both y and x are non-NULL (DuckDB's regr_* do the same), with
 * Spark's own answers where the statistics are degenerate:
 * - regr_count is a BIGINT (DuckDB's is unsigned);
 * - regr_avgx / regr_avgy are averages, whose type for a DECIMAL Spark keeps decimal: refused at
 *   run for DECIMAL arguments;
 * - regr_r2 is NULL when y is constant and 1 when x is (Spark's order of the two tests);
 * - regr_slope and regr_intercept are NULL when x is constant (or there is no pair).
 */
import type { AstNode } from '../ast.ts';
import {
  aggregate,
  aggregateProbe,
  asDouble,
  cast,
  cmp,
  double,
  FRACTIONAL,
  fn,
  INTEGRAL,
  isNull,
  nul,
  op,
  or,
  reusable,
  typeGuard,
  when,
} from './expr.ts';
import { arity, type FunctionCall, type FunctionRule } from './rules.ts';

interface Pair {
  readonly y: () => AstNode;
  readonly x: () => AstNode;
}

function pair(c: FunctionCall): Pair {
  arity(c, 2);
  if (c.node.distinct === true) c.unsupported('DISTINCT is not supported');
  return { y: reusable(c, asDouble(c.args[0]!)), x: reusable(c, asDouble(c.args[1]!)) };
}

const regr = (c: FunctionCall, name: string, p: Pair) => aggregate(c, name, [p.y(), p.x()]);

function average(which: 'x' | 'y'): FunctionRule {
  return (c) => {
    const p = pair(c);
    const body = regr(c, which === 'x' ? 'regr_avgx' : 'regr_avgy', p);
    const arg = c.args[which === 'x' ? 1 : 0]!;
    return typeGuard(
      aggregateProbe(arg),
      [...INTEGRAL, ...FRACTIONAL],
      `${c.name}() of a DECIMAL is not supported (Spark's result is a DECIMAL average)`,
      body,
    );
  };
}

export const REGRESSION_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  regr_count: (c) => cast(regr(c, 'regr_count', pair(c)), 'BIGINT'),
  regr_avgx: average('x'),
  regr_avgy: average('y'),
  regr_sxx: (c) => regr(c, 'regr_sxx', pair(c)),
  regr_syy: (c) => regr(c, 'regr_syy', pair(c)),
  regr_sxy: (c) => regr(c, 'regr_sxy', pair(c)),
  regr_r2: (c) => {
    const p = pair(c);
    const syy = () => regr(c, 'regr_syy', p);
    const sxx = () => regr(c, 'regr_sxx', p);
    const r = op('/', regr(c, 'regr_sxy', p), fn('sqrt', op('*', syy(), sxx())));
    return when(
      [
        [or(isNull(syy()), cmp('=', syy(), double(0))), nul()],
        [cmp('=', sxx(), double(0)), double(1)],
      ],
      op('*', r, structuredClone(r)),
    );
  },
  regr_slope: (c) => {
    const p = pair(c);
    const sxx = () => regr(c, 'regr_sxx', p);
    return when(
      [[or(isNull(sxx()), cmp('=', sxx(), double(0))), nul()]],
      op('/', regr(c, 'regr_sxy', p), sxx()),
    );
  },
  regr_intercept: (c) => {
    const p = pair(c);
    const sxx = () => regr(c, 'regr_sxx', p);
    const slope = op('/', regr(c, 'regr_sxy', p), sxx());
    return when(
      [[or(isNull(sxx()), cmp('=', sxx(), double(0))), nul()]],
      op('-', regr(c, 'regr_avgy', p), op('*', slope, regr(c, 'regr_avgx', p))),
    );
  },
};
