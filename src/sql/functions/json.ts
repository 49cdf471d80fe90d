/** Spark functions: JSON. See `index.ts` for how rules work. */
import type { FunctionRule } from './rules.ts';

export const JSON_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  get_json_object: 'json_extract_string',
};
