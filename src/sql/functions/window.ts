/** Spark functions: window (ranking and offset) functions. See `index.ts` for how rules work. */
import type { FunctionRule } from './rules.ts';

export const WINDOW_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {};
