-- Bronze: raw events, ingested incrementally from NDJSON files.
-- The schema is explicit (as in production); with rescuedDataColumn a value that does not fit its
-- column (or a line that is not JSON) is not lost: it lands in _rescued_data, and the expectation
-- below counts it.
CREATE OR REFRESH STREAMING TABLE bronze_events (
  CONSTRAINT parsed_cleanly EXPECT (_rescued_data IS NULL)
)
COMMENT 'Raw events as received'
TBLPROPERTIES ('quality' = 'bronze', 'layer' = 'bronze')
AS SELECT * FROM STREAM read_files(
  '${events_path}',
  format => 'json',
  schema => 'event_id STRING, user_id BIGINT, event_type STRING, event_timestamp TIMESTAMP, amount DOUBLE, properties STRUCT<page: STRING, referrer: STRING>',
  rescuedDataColumn => '_rescued_data'
);
