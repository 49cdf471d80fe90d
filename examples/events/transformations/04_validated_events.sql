-- The same rules with sluice's built-in ON VIOLATION QUARANTINE: written once. Failing rows
-- leave this table and go to validated_events_quarantine automatically, with _violations
-- listing EVERY rule the row broke, plus _batch_id, _source and _quarantined_at.
-- Note: event_type IS NULL (a rescued line) fails valid_event_type here, because NULL fails.
CREATE OR REFRESH STREAMING TABLE validated_events (
  CONSTRAINT event_id_not_null EXPECT (event_id IS NOT NULL) ON VIOLATION QUARANTINE,
  CONSTRAINT valid_event_type EXPECT (event_type IN ('click', 'view', 'purchase', 'signup')) ON VIOLATION QUARANTINE,
  CONSTRAINT valid_user_id EXPECT (user_id IS NOT NULL) ON VIOLATION QUARANTINE
)
COMMENT 'Valid events; invalid ones are in validated_events_quarantine'
TBLPROPERTIES ('quality' = 'silver', 'layer' = 'silver')
AS SELECT event_id, user_id, event_type, event_timestamp, properties
FROM STREAM(bronze_events);
