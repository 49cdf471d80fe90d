import { join } from 'node:path';
import type { Dataset } from '../model/index.ts';

/** The schema a dataset lives in when none is given. */
export const DEFAULT_SCHEMA = 'default';

/** `<storage>/tables/<schema>/<name>`: where a stored dataset's Delta table lives. */
export function tablePath(storage: string, d: Dataset): string {
  return join(storage, 'tables', d.schema ?? DEFAULT_SCHEMA, d.name);
}
