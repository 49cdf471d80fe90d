/** Spark functions: hashes, bitwise operations, predicates and other scalar functions. See `index.ts` for how rules work. */
import type { FunctionRule } from './rules.ts';

export const MISC_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {};
