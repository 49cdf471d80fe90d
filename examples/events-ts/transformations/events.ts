// The reference's "Complete Lakeflow SDP Pipeline Example" in sluice's TypeScript API.
// Importing this file only registers datasets; sluice runs them.
import {
  expect,
  expectAllOrQuarantine,
  expectOrDrop,
  expectOrFail,
  materializedView,
  read,
  readFiles,
  sql,
  stream,
  table,
} from 'sluice';

const VALID_TYPES = "event_type IN ('click', 'view', 'purchase', 'signup')";

// Bronze: raw events from NDJSON files; unparseable lines land in _rescued_data.
table(
  {
    name: 'bronze_events',
    comment: 'Raw events as received',
    properties: { quality: 'bronze', layer: 'bronze' },
    expectations: [expect('parsed_cleanly', '_rescued_data IS NULL')],
  },
  (ctx) =>
    sql`SELECT * FROM ${stream(
      readFiles(ctx.conf.events_path ?? 'data/events', {
        format: 'json',
        schema:
          'event_id STRING, user_id BIGINT, event_type STRING, event_timestamp TIMESTAMP, amount DOUBLE, properties STRUCT<page: STRING, referrer: STRING>',
        rescuedDataColumn: '_rescued_data',
      }),
    )}`,
);

// Silver: four expectations — warn, warn, drop, fail.
table(
  {
    name: 'silver_events',
    comment: 'LLM: Cleaned event stream with quality validation. Source: bronze_events',
    properties: {
      quality: 'silver',
      'delta.enableChangeDataFeed': 'true',
      'delta.enableRowTracking': 'true',
      'delta.autoOptimize.optimizeWrite': 'true',
      'delta.autoOptimize.autoCompact': 'true',
      layer: 'silver',
      domain: 'events',
    },
    expectations: [
      expect('event_id_not_null', 'event_id IS NOT NULL'),
      expect('valid_event_type', VALID_TYPES),
      expectOrDrop('valid_user_id', 'user_id IS NOT NULL'),
      expectOrFail('valid_timestamp', 'event_timestamp <= current_timestamp()'),
    ],
  },
  sql`SELECT event_id, user_id, event_type, event_timestamp, properties, current_timestamp() AS processed_at
      FROM ${stream('bronze_events')}`,
);

// The hand-written quarantine pattern of the reference: every rule repeated, negated.
table(
  {
    name: 'quarantine_events',
    comment: 'Events that failed quality validation',
    properties: { quality: 'quarantine', layer: 'silver' },
  },
  sql`SELECT *,
        CASE
          WHEN event_id IS NULL THEN 'NULL_EVENT_ID'
          WHEN NOT event_type IN ('click', 'view', 'purchase', 'signup') THEN 'INVALID_EVENT_TYPE'
          WHEN user_id IS NULL THEN 'NULL_USER_ID'
          ELSE 'UNKNOWN'
        END AS quarantine_reason,
        current_timestamp() AS quarantined_at
      FROM ${stream('bronze_events')}
      WHERE event_id IS NULL OR NOT event_type IN ('click', 'view', 'purchase', 'signup') OR user_id IS NULL`,
);

// The same rules once, with built-in quarantine: failing rows go to validated_events_quarantine.
table(
  {
    name: 'validated_events',
    comment: 'Valid events; invalid ones are in validated_events_quarantine',
    properties: { quality: 'silver', layer: 'silver' },
    expectations: expectAllOrQuarantine({
      event_id_not_null: 'event_id IS NOT NULL',
      valid_event_type: VALID_TYPES,
      valid_user_id: 'user_id IS NOT NULL',
    }),
  },
  sql`SELECT event_id, user_id, event_type, event_timestamp, properties FROM ${stream('bronze_events')}`,
);

// Hourly statistics, recomputed when silver_events changes.
materializedView(
  {
    name: 'silver_event_hourly_stats',
    comment: 'Hourly event statistics for monitoring',
    properties: { quality: 'silver', layer: 'silver' },
  },
  sql`SELECT date_trunc('hour', event_timestamp) AS event_hour, event_type,
             count(*) AS event_count, count(DISTINCT user_id) AS unique_users
      FROM ${read('silver_events')}
      GROUP BY date_trunc('hour', event_timestamp), event_type`,
);
