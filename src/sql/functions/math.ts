/** Spark functions: math. See `index.ts` for how rules work. */
import { type AstNode, integerConstant, operatorFunction } from '../ast.ts';
import { arity, call, type FunctionRule, renamed } from './rules.ts';

export const MATH_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  signum: 'sign',
  bround: 'round_even',
  random: (c) => (c.args.length > 0 ? c.unsupported('a seed is not supported') : renamed(c, 'random')),
  rand: (c) => (c.args.length > 0 ? c.unsupported('a seed is not supported') : renamed(c, 'random')),
  mod: (c) => {
    arity(c, 2);
    return operatorFunction('%', [...c.args]);
  },
  pmod: (c) => {
    arity(c, 2);
    const [a, n] = c.args as [AstNode, AstNode];
    return operatorFunction('%', [
      operatorFunction('+', [operatorFunction('%', [a, n]), structuredClone(n)]),
      structuredClone(n),
    ]);
  },
  e: (c) => {
    arity(c, 0);
    return call('exp', integerConstant(1));
  },
};
