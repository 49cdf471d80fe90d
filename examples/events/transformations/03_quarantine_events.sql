-- The reference's hand-written quarantine pattern: a second streaming table that repeats
-- every rule, negated, to catch the rows silver_events rejects or flags. Each rule is written
-- twice, and a row gets only the FIRST reason that matches.
CREATE OR REFRESH STREAMING TABLE quarantine_events
COMMENT 'Events that failed quality validation'
TBLPROPERTIES ('quality' = 'quarantine', 'layer' = 'silver')
AS SELECT
  *,
  CASE
    WHEN event_id IS NULL THEN 'NULL_EVENT_ID'
    WHEN NOT event_type IN ('click', 'view', 'purchase', 'signup') THEN 'INVALID_EVENT_TYPE'
    WHEN user_id IS NULL THEN 'NULL_USER_ID'
    ELSE 'UNKNOWN'
  END AS quarantine_reason,
  current_timestamp() AS quarantined_at
FROM STREAM(bronze_events)
WHERE event_id IS NULL
   OR NOT event_type IN ('click', 'view', 'purchase', 'signup')
   OR user_id IS NULL;
