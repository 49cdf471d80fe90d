import { resolve } from 'node:path';
import {
  findDeltaReferences,
  findPipelineTarget,
  type QueryResult,
  runPipelineQuery,
  runQuery,
} from '../query/index.ts';
import type { BundleSelection } from '../spec/index.ts';
import { Database } from '../util/index.ts';
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
  /** For a Databricks Asset Bundle: its target, variables and pipeline key. */
  readonly bundle?: BundleSelection;
  /**
   * Let the SQL read any file the process can (DuckDB's `read_csv`, `read_parquet`, …). By
   * default it reads only the pipeline's storage and the Delta tables it names by path.
   */
  readonly allowFiles?: boolean;
  readonly session?: Session;
}

/**
 * Runs read-only SQL over a pipeline (Spark SQL, translated) or — outside any pipeline — DuckDB
 * SQL; either way `` delta.`path` `` names a Delta table (optionally `VERSION AS OF n`). Unless
 * `allowFiles`, the SQL runs on a database of its own that can read only the pipeline's storage
 * folder and the Delta tables the SQL names.
 * @throws SluiceError QUERY_READ_ONLY for statements that write, FILE_ACCESS_DENIED, QUERY_FAILED, DELTA_*.
 */
export function query(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
  const cwd = options.cwd ?? process.cwd();
  return inSession(options.session, async (s) => {
    const pipeline = await findPipelineTarget(options.pipeline, cwd, options.bundle);
    const allowed = [
      ...(pipeline ? [pipeline.storage] : []),
      ...findDeltaReferences(sql).map((r) => resolve(cwd, r.path)),
    ];
    const db = options.allowFiles ? s.db : new Database({ allowedPaths: allowed });
    try {
      return pipeline
        ? await runPipelineQuery(sql, { cwd, pipeline, db, sql: s.sql })
        : await runQuery(sql, { cwd, db });
    } finally {
      if (db !== s.db) db.close();
    }
  });
}
