import { SqlCompiler } from '../sql/index.ts';
import { Database } from '../util/index.ts';

/**
 * What one command or one programmatic call works with: a DuckDB database and the SQL front end
 * over it. Everything that caches or holds a connection belongs to a session (or to an update
 * inside it), so two sessions in one process share nothing. Every function of the public API
 * takes an optional `session`; without one it opens its own and closes it before returning.
 * Open one yourself to run several calls on one database (and close it when done).
 */
export class Session {
  readonly db: Database;
  readonly sql: SqlCompiler;

  constructor() {
    this.db = new Database();
    this.sql = new SqlCompiler(this.db);
  }

  /** Releases the SQL front end's connections and closes the database. */
  async close(): Promise<void> {
    await this.sql.close();
    this.db.close();
  }
}

/** Runs `work` in `session`, or in a session of its own that is closed when `work` ends. */
export async function inSession<T>(
  session: Session | undefined,
  work: (s: Session) => Promise<T>,
): Promise<T> {
  if (session) return work(session);
  const own = new Session();
  try {
    return await work(own);
  } finally {
    await own.close();
  }
}
