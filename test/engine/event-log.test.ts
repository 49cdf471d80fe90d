import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { query } from 'chdb';
import { readEvents } from '../../src/events/index.ts';
import { runPipelineQuery } from '../../src/query/pipeline-query.ts';
import { runCli } from '../helpers/cli.ts';
import { DATA_QUALITY_QUERY, PIPELINE_HISTORY_QUERY } from '../helpers/monitoring-queries.ts';
import { session } from '../helpers/session.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { writeEventPipeline } from './event-pipeline.ts';

const dir = writeEventPipeline(join(tmpDir('event-log'), 'p'));
const storage = join(dir, '.sluice');
const target = { name: 'Event Streaming Pipeline', storage };
let first = '';
let second = '';

before(async () => {
  for (let i = 0; i < 2; i++) {
    const r = await runCli(['run', dir, '--format', 'json']);
    assert.equal(r.code, 1, r.stderr); // gold_amounts fails the update
    const id = (JSON.parse(r.stdout) as { updateId: string }).updateId;
    if (i === 0) first = id;
    else second = id;
  }
});

test('the event log holds the update states, flow states, expectation counts and the failure (via sluice query)', async () => {
  const sql = `SELECT origin.flow_name AS flow, event_type, level,
      get_json_object(details, '$.update_progress.state') AS update_state,
      get_json_object(details, '$.flow_progress.status') AS flow_status,
      get_json_object(details, '$.flow_progress.data_quality') AS dq,
      error.code AS error_code
    FROM event_log
    WHERE origin.update_id = '${first}' AND event_type IN ('update_progress', 'flow_progress') AND level <> 'METRICS'
    ORDER BY sequence`;
  const r = await runCli(['query', '--pipeline', dir, '--format', 'json', '--', sql]);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as {
    flow: string | null;
    event_type: string;
    level: string;
    update_state: string | null;
    flow_status: string | null;
    dq: string | null;
    error_code: string | null;
  }[];
  assert.deepEqual(
    rows.filter((x) => x.event_type === 'update_progress').map((x) => x.update_state),
    ['CREATED', 'INITIALIZING', 'SETTING_UP_TABLES', 'RUNNING', 'FAILED'],
  );
  const states = (flow: string) => rows.filter((x) => x.flow === flow).map((x) => x.flow_status);
  assert.deepEqual(states('bronze_events'), ['QUEUED', 'PLANNING', 'STARTING', 'RUNNING', 'COMPLETED']);
  assert.deepEqual(states('silver_events'), ['QUEUED', 'PLANNING', 'STARTING', 'RUNNING', 'COMPLETED']);
  assert.deepEqual(states('gold_amounts'), ['QUEUED', 'PLANNING', 'STARTING', 'RUNNING', 'FAILED']);
  assert.deepEqual(states('gold_summary'), ['QUEUED', 'SKIPPED']);
  assert.deepEqual(states('user_totals'), ['QUEUED', 'PLANNING', 'STARTING', 'RUNNING', 'COMPLETED']);
  const failed = rows.find((x) => x.flow === 'gold_amounts' && x.flow_status === 'FAILED')!;
  assert.equal(failed.level, 'ERROR');
  assert.equal(failed.error_code, 'EXPECTATION_VIOLATION');
  const silver = rows.find((x) => x.flow === 'silver_events' && x.flow_status === 'COMPLETED')!;
  assert.deepEqual(JSON.parse(silver.dq!), {
    dropped_records: 3,
    quarantined_records: 1,
    expectations: [
      { name: 'valid_event_id', dataset: 'silver_events', passed_records: 8, failed_records: 2 },
      { name: 'valid_user_id', dataset: 'silver_events', passed_records: 7, failed_records: 3 },
      { name: 'small_amount', dataset: 'silver_events', passed_records: 9, failed_records: 1 },
    ],
  });
  assert.equal(rows.at(-1)!.level, 'ERROR');
});

test('monitoring query 1 (pipeline execution history), verbatim', async () => {
  const sql = PIPELINE_HISTORY_QUERY;
  const r = await runCli(['query', '--pipeline', dir, '--format', 'json', '--', sql]);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
  assert.deepEqual(
    rows.map((x) => [x.pipeline_name, x.update_id, x.state, x.duration_minutes]),
    [
      ['Event Streaming Pipeline', second, 'FAILED', 0],
      ['Event Streaming Pipeline', first, 'FAILED', 0],
    ],
  );
  for (const x of rows) assert.ok(Date.parse(x.end_time as string) >= Date.parse(x.start_time as string));
  assert.ok(Date.parse(rows[0]!.start_time as string) >= Date.parse(rows[1]!.end_time as string));
});

test('monitoring query 2 (data quality metrics), verbatim', async () => {
  const sql = DATA_QUALITY_QUERY;
  const r = await runCli(['query', '--pipeline', dir, '--format', 'json', '--', sql]);
  assert.equal(r.code, 0, r.stderr);
  const rows = (JSON.parse(r.stdout) as Record<string, unknown>[]).map((x) => [
    x.expectation_name,
    x.dataset_name,
    x.passed_records,
    x.failed_records,
    Number(x.pass_rate),
  ]);
  // Only completed flows report: silver_events in the first update (idle in the second),
  // gold_amounts failed both times.
  assert.deepEqual(
    rows.sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    [
      ['small_amount', 'silver_events', 9, 1, 90],
      ['valid_event_id', 'silver_events', 8, 2, 80],
      ['valid_user_id', 'silver_events', 7, 3, 70],
    ],
  );
});

test('sequence continues across updates; definitions, planning and batches are recorded', async () => {
  const events = await readEvents(session.db, storage);
  assert.deepEqual(
    events.map((e) => e.sequence),
    events.map((_, i) => i),
  );
  const ofSecond = events.filter((e) => e.origin.update_id === second);
  assert.ok(ofSecond[0]!.sequence > events.filter((e) => e.origin.update_id === first).at(-1)!.sequence);
  const kinds = new Set(events.filter((e) => e.origin.update_id === first).map((e) => e.event_type));
  assert.deepEqual([...kinds].sort(), [
    'create_update',
    'dataset_definition',
    'flow_definition',
    'flow_progress',
    'planning_information',
    'update_progress',
  ]);
  const silverDef = events.find(
    (e) => e.event_type === 'dataset_definition' && e.origin.dataset_name === 'silver_events',
  )!;
  const def = JSON.parse(silverDef.details).dataset_definition;
  assert.equal(def.dataset_type, 'STREAMING_TABLE');
  assert.deepEqual(
    def.expectations.map((x: { name: string; action: string }) => [x.name, x.action]),
    [
      ['valid_event_id', 'warn'],
      ['valid_user_id', 'drop'],
      ['small_amount', 'quarantine'],
    ],
  );
  assert.equal(def.source_code_location.path, 'transformations/pipeline.sql');
  const planning = events
    .filter((e) => e.event_type === 'planning_information' && e.origin.flow_name === 'user_totals')
    .map((e) => [e.origin.update_id, JSON.parse(e.details).planning_information.technique]);
  assert.deepEqual(planning, [
    [first, 'COMPLETE_RECOMPUTE'],
    [second, 'NO_OP'],
  ]);
  const batch = events.find((e) => e.level === 'METRICS' && e.origin.flow_name === 'silver_events')!;
  assert.equal(batch.origin.batch_id, 0);
  assert.equal(JSON.parse(batch.details).flow_progress.metrics.num_output_rows, 6);
  const create = JSON.parse(events.find((e) => e.event_type === 'create_update')!.details).create_update;
  assert.equal(create.cause, 'USER_ACTION');
  assert.equal(create.full_refresh, false);
  // All events of a pipeline share its id.
  assert.equal(new Set(events.map((e) => e.origin.pipeline_id)).size, 1);
});

test('pipeline tables, quarantine tables and event_log are queryable by name', async () => {
  // `default` is reserved in DuckDB's parser; Spark users quote it with backticks anyway.
  const r = await runPipelineQuery(
    `SELECT (SELECT count(*) FROM silver_events) AS silver, (SELECT count(*) FROM \`default\`.silver_events_quarantine) AS quarantined,
       (SELECT max(event_id) FROM silver_events_quarantine) AS q_id, (SELECT n FROM user_totals) AS totals,
       (SELECT count(*) FROM system.lakeflow.event_log WHERE level = 'ERROR') AS errors`,
    { cwd: dir, pipeline: target, db: session.db, sql: session.sql },
  );
  // errors: gold FAILED + update FAILED, twice.
  assert.deepEqual(r.rows, [{ silver: 6, quarantined: 1, q_id: 2, totals: 6, errors: 4 }]);
});

test('chdb reads the event log as a Delta table', () => {
  const path = join(storage, 'system', 'event_log');
  const out = query(
    `SELECT event_type, count() AS n, max(sequence) AS m FROM deltaLakeLocal('${path}') GROUP BY event_type ORDER BY event_type`,
    'JSONEachRow',
  );
  const rows = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event_type: string; n: number | string });
  const mine = new Map<string, number>();
  for (const r of rows) mine.set(r.event_type, Number(r.n));
  assert.equal(mine.get('update_progress'), 10);
  assert.equal(mine.get('create_update'), 2);
  assert.equal(mine.get('dataset_definition'), 10);
  const codes = query(
    `SELECT error.code AS code, origin.flow_name AS flow FROM deltaLakeLocal('${path}') WHERE error.code IS NOT NULL AND origin.flow_name IS NOT NULL ORDER BY sequence`,
    'JSONEachRow',
  );
  assert.deepEqual(
    codes
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)),
    [
      { code: 'EXPECTATION_VIOLATION', flow: 'gold_amounts' },
      { code: 'EXPECTATION_VIOLATION', flow: 'gold_amounts' },
    ],
  );
});
