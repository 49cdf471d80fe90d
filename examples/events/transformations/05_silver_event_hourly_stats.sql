-- Materialized view: hourly statistics, recomputed when silver_events changes.
CREATE OR REFRESH MATERIALIZED VIEW silver_event_hourly_stats
COMMENT 'Hourly event statistics for monitoring'
TBLPROPERTIES ('quality' = 'silver', 'layer' = 'silver')
AS SELECT
  date_trunc('hour', event_timestamp) AS event_hour,
  event_type,
  count(*) AS event_count,
  count(DISTINCT user_id) AS unique_users
FROM silver_events
GROUP BY date_trunc('hour', event_timestamp), event_type;
