// Shared pipeline for the event-log tests: expectations of every action and one failing flow.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const EVENTS_JSON = [
  { event_id: 1, user_id: 1, amount: 10 },
  { event_id: 2, user_id: 2, amount: 20 },
  { event_id: null, user_id: 3, amount: 5 },
  { event_id: 4, user_id: null, amount: 7 },
  { event_id: 5, user_id: -5, amount: 1 },
  { event_id: 6, user_id: 6, amount: -3 },
  { event_id: 7, user_id: 7, amount: 0 },
  { event_id: null, user_id: null, amount: 2 },
  { event_id: 9, user_id: 9, amount: 9 },
  { event_id: 10, user_id: 10, amount: 10 },
];

const SQL = `CREATE OR REFRESH STREAMING TABLE bronze_events
AS SELECT * FROM STREAM read_files('data', format => 'json');

CREATE OR REFRESH STREAMING TABLE silver_events (
  CONSTRAINT valid_event_id EXPECT (event_id IS NOT NULL),
  CONSTRAINT valid_user_id EXPECT (user_id IS NOT NULL AND user_id > 0) ON VIOLATION DROP ROW,
  CONSTRAINT small_amount EXPECT (amount < 15) ON VIOLATION QUARANTINE
) AS SELECT CAST(event_id AS BIGINT) AS event_id, CAST(user_id AS BIGINT) AS user_id, CAST(amount AS DOUBLE) AS amount
FROM STREAM(bronze_events);
${'' /* fails: event 6 has a negative amount */}
CREATE OR REFRESH STREAMING TABLE gold_amounts (
  CONSTRAINT non_negative_amount EXPECT (amount >= 0) ON VIOLATION FAIL UPDATE
) AS SELECT CAST(event_id AS BIGINT) AS event_id, CAST(amount AS DOUBLE) AS amount FROM STREAM(bronze_events);

CREATE OR REFRESH MATERIALIZED VIEW gold_summary AS SELECT count(*) AS n FROM gold_amounts;

CREATE OR REFRESH MATERIALIZED VIEW user_totals AS SELECT count(*) AS n, sum(amount) AS total FROM silver_events;
`;

/**
 * Writes the pipeline into `dir`. Expected counts of one run over EVENTS_JSON:
 * valid_event_id 8/2 (warn), valid_user_id 7/3 (drop), small_amount 9/1 (quarantine); silver
 * gets 6 rows; gold_amounts FAILS with EXPECTATION_VIOLATION; gold_summary is SKIPPED.
 */
export function writeEventPipeline(
  dir: string,
  opts: { failing?: boolean; extraSpec?: string; sql?: string } = {},
): string {
  mkdirSync(join(dir, 'transformations'), { recursive: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'spark-pipeline.yml'), `name: Event Streaming Pipeline\n${opts.extraSpec ?? ''}`);
  writeFileSync(
    join(dir, 'data', 'events.json'),
    `${EVENTS_JSON.map((r) => JSON.stringify(r)).join('\n')}\n`,
  );
  let sql = opts.sql ?? SQL;
  if (opts.failing === false) sql = sql.replace('amount >= 0', 'amount >= -100');
  writeFileSync(join(dir, 'transformations', 'pipeline.sql'), sql);
  return dir;
}
