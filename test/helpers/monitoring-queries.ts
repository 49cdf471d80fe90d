// The reference document's monitoring queries (Streaming Production Patterns), verbatim:
// acceptance cases for `sluice query` and the Spark SQL translation.

export const PIPELINE_HISTORY_QUERY = `-- Query pipeline execution history
SELECT 
    pipeline_name,
    update_id,
    state,
    start_time,
    end_time,
    TIMESTAMPDIFF(MINUTE, start_time, end_time) AS duration_minutes
FROM system.lakeflow.pipeline_events
WHERE pipeline_name = 'Event Streaming Pipeline'
ORDER BY start_time DESC
LIMIT 10;`;

export const DATA_QUALITY_QUERY = `-- Query data quality metrics
SELECT 
    expectation_name,
    dataset_name,
    passed_records,
    failed_records,
    ROUND(100.0 * passed_records / (passed_records + failed_records), 2) AS pass_rate
FROM system.lakeflow.flow_progress
WHERE pipeline_name = 'Event Streaming Pipeline'
ORDER BY timestamp DESC;`;
