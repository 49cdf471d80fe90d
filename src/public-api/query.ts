import { findPipelineTarget, type QueryResult, runPipelineQuery, runQuery } from '../query/index.ts';
import { inSession, type Session } from './session.ts';

export interface QueryOptions {
  /** Where relative paths resolve and the pipeline is searched from (default: the process's cwd). */
  readonly cwd?: string;
  /**
   * The pipeline folder (or spec file) whose tables, event log and `system.lakeflow.*` views the
   * SQL names. Without it, the nearest pipeline found from `cwd` upwards; with none found, the
   * SQL runs as plain DuckDB SQL (Delta tables still readable by path).
   */
  readonly pipeline?: string;
  readonly session?: Session;
}

/**
 * Runs read-only SQL over a pipeline (Spark SQL, translated) or — outside any pipeline — DuckDB
 * SQL; either way `` delta.`path` `` names a Delta table (optionally `VERSION AS OF n`).
 * @throws SluiceError QUERY_READ_ONLY for statements that write, QUERY_FAILED, DELTA_*.
 */
export function query(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
  const cwd = options.cwd ?? process.cwd();
  return inSession(options.session, async (s) => {
    const pipeline = await findPipelineTarget(options.pipeline, cwd);
    return pipeline
      ? runPipelineQuery(sql, { cwd, pipeline, db: s.db, sql: s.sql })
      : runQuery(sql, { cwd, db: s.db });
  });
}
