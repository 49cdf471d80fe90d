-- Silver: the reference's silver_events with its four expectations.
--   warn (default): the row is kept, the failure is counted
--   ON VIOLATION DROP ROW: the row is removed
--   ON VIOLATION FAIL UPDATE: the update stops; nothing of the batch is committed
-- A row passes only when the constraint is TRUE: FALSE and NULL both fail.
CREATE OR REFRESH STREAMING TABLE silver_events (
  CONSTRAINT event_id_not_null EXPECT (event_id IS NOT NULL),
  CONSTRAINT valid_event_type EXPECT (event_type IN ('click', 'view', 'purchase', 'signup')),
  CONSTRAINT valid_user_id EXPECT (user_id IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT valid_timestamp EXPECT (event_timestamp <= current_timestamp()) ON VIOLATION FAIL UPDATE
)
COMMENT 'LLM: Cleaned event stream with quality validation. Source: bronze_events'
TBLPROPERTIES (
  'quality' = 'silver',
  'delta.enableChangeDataFeed' = 'true',
  'delta.enableRowTracking' = 'true',
  'delta.autoOptimize.optimizeWrite' = 'true',
  'delta.autoOptimize.autoCompact' = 'true',
  'layer' = 'silver',
  'domain' = 'events'
)
AS SELECT
  event_id,
  user_id,
  event_type,
  event_timestamp,
  properties,
  current_timestamp() AS processed_at
FROM STREAM(bronze_events);
