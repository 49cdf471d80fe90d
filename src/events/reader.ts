/**
 * Reading a pipeline's event log: the scan SQL for queries, filtered rows in sequence order,
 * the per-update summary, and the Lakeflow-compatible `system.lakeflow.*` views.
 */
import { SluiceError } from '../errors/index.ts';
import { latestVersion, loadSnapshot, snapshotScanSql } from '../storage/index.ts';
import { type Database, queryRows, sqlString, withConnection } from '../util/index.ts';
import { type EventLogRow, eventLogPath } from './schema.ts';

/** DuckDB SQL for the event log's rows, or undefined when the pipeline has no event log yet. */
export async function eventLogScanSql(db: Database, storage: string): Promise<string | undefined> {
  const path = eventLogPath(storage);
  if ((await latestVersion(path)) === undefined) return undefined;
  return snapshotScanSql(await loadSnapshot(path, { db }));
}

/** The event log's Delta version (changes whenever events are appended), or undefined. */
export function eventLogVersion(storage: string): Promise<number | undefined> {
  return latestVersion(eventLogPath(storage));
}

const TERMINAL = "('COMPLETED', 'FAILED', 'CANCELED')";

/**
 * `system.lakeflow.pipeline_events` over the event log scan `ev`: one row per update with its
 * final state (the last `update_progress` state, by sequence), start time (its first event) and
 * end time (its terminal state event; NULL while running).
 */
export function pipelineEventsViewSql(ev: string): string {
  return `SELECT
  any_value(origin.pipeline_name) AS pipeline_name,
  any_value(origin.pipeline_id) AS pipeline_id,
  origin.update_id AS update_id,
  arg_max(json_extract_string(details, '$.update_progress.state'), sequence) FILTER (WHERE event_type = 'update_progress') AS state,
  min("timestamp") AS start_time,
  max("timestamp") FILTER (WHERE event_type = 'update_progress' AND json_extract_string(details, '$.update_progress.state') IN ${TERMINAL}) AS end_time,
  any_value(json_extract_string(details, '$.create_update.cause')) FILTER (WHERE event_type = 'create_update') AS cause,
  min(sequence) AS first_sequence
FROM (${ev}) AS ev
WHERE origin.update_id IS NOT NULL
GROUP BY origin.update_id`;
}

const EXPECTATIONS_JSON_TYPE =
  '[{"name":"VARCHAR","dataset":"VARCHAR","passed_records":"BIGINT","failed_records":"BIGINT"}]';

/**
 * `system.lakeflow.flow_progress` over the event log scan `ev`: one row per expectation per
 * flow completion — a `flow_progress` event carrying `data_quality` whose status is COMPLETED
 * (or STOPPED after processing batches). FAILED, SKIPPED and IDLE flows completed nothing, so
 * they have no row here (their events, with whatever counts they carry, stay in `event_log`).
 */
export function flowProgressViewSql(ev: string): string {
  return `SELECT
  pipeline_name, pipeline_id, update_id, flow_name,
  coalesce(x.e.dataset, dataset_name) AS dataset_name,
  x.e.name AS expectation_name,
  x.e.passed_records AS passed_records,
  x.e.failed_records AS failed_records,
  status, dropped_records, quarantined_records,
  "timestamp"
FROM (
  SELECT origin.pipeline_name AS pipeline_name, origin.pipeline_id AS pipeline_id, origin.update_id AS update_id,
    origin.flow_name AS flow_name, origin.dataset_name AS dataset_name, "timestamp", sequence,
    json_extract_string(details, '$.flow_progress.status') AS status,
    CAST(json_extract(details, '$.flow_progress.data_quality.dropped_records') AS BIGINT) AS dropped_records,
    CAST(json_extract(details, '$.flow_progress.data_quality.quarantined_records') AS BIGINT) AS quarantined_records,
    unnest(from_json(json_extract(details, '$.flow_progress.data_quality.expectations'), '${EXPECTATIONS_JSON_TYPE}')) AS e
  FROM (${ev}) AS ev
  WHERE event_type = 'flow_progress' AND json_extract(details, '$.flow_progress.data_quality') IS NOT NULL
    AND (json_extract_string(details, '$.flow_progress.status') = 'COMPLETED'
      OR (json_extract_string(details, '$.flow_progress.status') = 'STOPPED'
        AND CAST(json_extract(details, '$.flow_progress.metrics.num_batches') AS BIGINT) > 0))
) AS x`;
}

export interface EventFilter {
  readonly updateId?: string;
  readonly types?: readonly string[];
  readonly levels?: readonly string[];
  /** Only events with a larger sequence number. */
  readonly afterSequence?: number;
}

function whereClause(f: EventFilter): string {
  const c: string[] = [];
  if (f.updateId !== undefined) c.push(`origin.update_id = ${sqlString(f.updateId)}`);
  if (f.types?.length) c.push(`event_type IN (${f.types.map(sqlString).join(', ')})`);
  if (f.levels?.length) c.push(`level IN (${f.levels.map((l) => sqlString(l.toUpperCase())).join(', ')})`);
  if (f.afterSequence !== undefined) c.push(`sequence > ${Math.trunc(f.afterSequence)}`);
  return c.length ? `WHERE ${c.join(' AND ')}` : '';
}

function toRow(r: Record<string, unknown>): EventLogRow {
  const ts = r.timestamp;
  return {
    ...(r as unknown as EventLogRow),
    sequence: Number(r.sequence),
    timestamp:
      typeof ts === 'string'
        ? new Date(ts.replace(' ', 'T').replace(/\+00(:00)?$/, 'Z')).toISOString()
        : String(ts),
    origin: {
      ...(r.origin as EventLogRow['origin']),
      batch_id:
        (r.origin as { batch_id: unknown }).batch_id === null
          ? null
          : Number((r.origin as { batch_id: unknown }).batch_id),
    },
  };
}

/** Events in sequence order. Empty when the pipeline has no event log. */
export async function readEvents(
  db: Database,
  storage: string,
  filter: EventFilter = {},
): Promise<EventLogRow[]> {
  const scan = await eventLogScanSql(db, storage);
  if (scan === undefined) return [];
  const rows = await withConnection(db, (conn) =>
    queryRows(conn, `SELECT * FROM (${scan}) AS ev ${whereClause(filter)} ORDER BY sequence`),
  );
  return rows.map(toRow);
}

export interface UpdateSummary {
  readonly pipeline_name: string;
  readonly update_id: string;
  /** Last recorded update state. */
  readonly state: string | null;
  readonly start_time: string;
  readonly end_time: string | null;
  readonly cause: string | null;
}

/** One summary per update, in the order updates started (by sequence), as `system.lakeflow.pipeline_events` shows them. */
export async function listUpdates(db: Database, storage: string): Promise<UpdateSummary[]> {
  const scan = await eventLogScanSql(db, storage);
  if (scan === undefined) return [];
  return withConnection(db, async (conn) => {
    const rows = await queryRows<Record<string, unknown>>(
      conn,
      `SELECT pipeline_name, update_id, state, strftime(start_time, '%Y-%m-%dT%H:%M:%S.%gZ') AS start_time,
        strftime(end_time, '%Y-%m-%dT%H:%M:%S.%gZ') AS end_time, cause
       FROM (${pipelineEventsViewSql(scan)}) ORDER BY first_sequence`,
    );
    return rows as unknown as UpdateSummary[];
  });
}

/**
 * Resolves `latest` (or undefined) to the newest update's id and checks a given id (a unique
 * prefix is accepted).
 * @throws SluiceError EVENT_LOG_NOT_FOUND when there are no updates; UPDATE_NOT_FOUND.
 */
export async function resolveUpdateId(
  db: Database,
  storage: string,
  wanted: string | undefined,
): Promise<string> {
  const updates = await listUpdates(db, storage);
  if (updates.length === 0) {
    throw new SluiceError(
      'EVENT_LOG_NOT_FOUND',
      `no updates recorded in ${eventLogPath(storage)}; run 'sluice run' first`,
      {
        params: { path: eventLogPath(storage) },
      },
    );
  }
  if (wanted === undefined || wanted === 'latest') return updates.at(-1)!.update_id;
  const matches = updates.filter((u) => u.update_id === wanted || u.update_id.startsWith(wanted));
  if (matches.length !== 1) {
    throw new SluiceError(
      'UPDATE_NOT_FOUND',
      matches.length === 0
        ? `no update '${wanted}' in the event log`
        : `update id prefix '${wanted}' is ambiguous (${matches.length} updates)`,
      { params: { update: wanted } },
    );
  }
  return matches[0]!.update_id;
}
