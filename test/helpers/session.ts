import { Session } from '../../src/index.ts';
import type { DuckDBConnection } from '../../src/util/index.ts';

/** One session per test file: its database and SQL front end, for tests that call internals. */
export const session = new Session();

/** A new connection on the test file's database. */
export function connect(): Promise<DuckDBConnection> {
  return session.db.connect();
}
