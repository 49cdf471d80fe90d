import { SluiceError, toSluiceError } from '../errors/index.ts';
import type { NextSnapshot, NextSnapshotFunction, SnapshotVersion } from '../model/index.ts';
import { renderSql, type SqlQuery } from './sql-template.ts';

/**
 * The next snapshot a snapshot source function gives (Python's `(DataFrame, version)` tuple):
 * `query`, a batch query whose whole result is the snapshot — DuckDB evaluates it, no rows pass
 * through JavaScript — and `version`, an integer greater than every version given before
 * (a safe-integer number or a bigint within BIGINT's range).
 */
export interface SnapshotAndVersion {
  readonly query: SqlQuery;
  readonly version: number | bigint;
}

/**
 * A snapshot source given as a function (Python's `source` lambda of
 * `create_auto_cdc_from_snapshot_flow`). Within an update it is called with the version of the
 * last snapshot processed — `undefined` on the flow's very first call — and each snapshot it
 * returns is applied in turn, until it returns `null` or `undefined`. It may be async. The
 * query may read files (`readFiles`) and Delta tables by path (`` delta.`path` ``), in batch: a
 * snapshot of a pipeline dataset is the dataset's name given as `source` instead.
 */
export type SnapshotSourceFunction = (
  latestSnapshotVersion: number | bigint | undefined,
) => SnapshotAndVersion | null | undefined | Promise<SnapshotAndVersion | null | undefined>;

const BIGINT_MIN = -(2n ** 63n);
const BIGINT_MAX = 2n ** 63n - 1n;

/** Whether `v` is a version a snapshot can carry: an integer within BIGINT's range. */
function isVersion(v: unknown): v is SnapshotVersion {
  if (typeof v === 'bigint') return v >= BIGINT_MIN && v <= BIGINT_MAX;
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/**
 * Wraps a user's snapshot function as the engine calls it (see `NextSnapshotFunction`): the
 * result's shape is checked and its query rendered to Spark SQL, so the engine compiles and
 * evaluates it like any other query.
 * @throws SluiceError AUTO_CDC_SNAPSHOT_FUNCTION_INVALID, AUTO_CDC_SNAPSHOT_FUNCTION_FAILED,
 *   UNDEFINED_CONFIGURATION_KEY (a `conf(k)` without a value), naming the flow and its target.
 */
export function nextSnapshotFunction(
  fn: SnapshotSourceFunction,
  flow: string,
  target: string,
): NextSnapshotFunction {
  return async (latest, configuration): Promise<NextSnapshot | undefined> => {
    let result: unknown;
    try {
      result = await fn(latest);
    } catch (e) {
      const cause = toSluiceError(e);
      throw new SluiceError(
        'AUTO_CDC_SNAPSHOT_FUNCTION_FAILED',
        `the snapshot function of flow '${flow}' threw when called with ${show(latest)}: ${cause.message}`,
        { dataset: target, params: { flow, latest: show(latest), cause: cause.code } },
      );
    }
    if (result === null || result === undefined) return undefined;
    const invalid = (what: string) =>
      new SluiceError(
        'AUTO_CDC_SNAPSHOT_FUNCTION_INVALID',
        `the snapshot function of flow '${flow}' returned ${what} when called with ${show(latest)}; it must return { query: sql\`…\`, version: <integer> } for the next snapshot, or null when there is none`,
        { dataset: target, params: { flow, latest: show(latest) } },
      );
    if (typeof result !== 'object') throw invalid(`a ${typeof result}`);
    const r = result as { query?: unknown; version?: unknown };
    const q = r.query as { kind?: unknown } | undefined;
    if (typeof q !== 'object' || q === null || q.kind !== 'sql')
      throw invalid(`an object whose query is not a sql\`…\` template (${describe(r.query)})`);
    if (!isVersion(r.version))
      throw invalid(
        `the version ${describe(r.version)}, not an integer within BIGINT's range (a safe-integer number or a bigint)`,
      );
    return { sql: renderSql(q as SqlQuery, configuration).text, version: r.version };
  };
}

/** A version as messages show it. */
function show(v: SnapshotVersion | undefined): string {
  return v === undefined
    ? 'undefined (no snapshot processed yet)'
    : typeof v === 'bigint'
      ? `${v}n`
      : String(v);
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'an array' : 'an object';
  return String(v);
}
