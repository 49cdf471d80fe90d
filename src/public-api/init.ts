import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { SluiceError } from '../errors/index.ts';
import { SPEC_FILE_NAMES } from '../spec/index.ts';

const SAMPLE_EVENTS = [
  { event_id: 1, user_id: 101, event_type: 'click', event_timestamp: '2026-01-05 10:00:00', amount: 0 },
  { event_id: 2, user_id: 102, event_type: 'view', event_timestamp: '2026-01-05 10:05:00', amount: 0 },
  { event_id: 3, user_id: 101, event_type: 'purchase', event_timestamp: '2026-01-05 10:07:30', amount: 42.5 },
  { event_id: 4, user_id: null, event_type: 'click', event_timestamp: '2026-01-05 10:12:00', amount: 0 },
  { event_id: 5, user_id: 103, event_type: 'signup', event_timestamp: '2026-01-05 11:00:00', amount: 0 },
  {
    event_id: 6,
    user_id: 103,
    event_type: 'purchase',
    event_timestamp: '2026-01-05 11:20:00',
    amount: 19.99,
  },
  { event_id: 7, user_id: 104, event_type: 'scroll', event_timestamp: '2026-01-05 11:45:00', amount: 0 },
  { event_id: 8, user_id: 102, event_type: 'purchase', event_timestamp: '2026-01-05 12:02:00', amount: 7.25 },
];

function specText(name: string): string {
  return `# Pipeline spec (a superset of Spark's spark-pipeline.yml). Check it with: sluice validate
name: ${name}
# storage: .sluice          # tables, checkpoints and the event log (default: .sluice beside this file)
# schema: default
configuration:
  source_path: data/events  # used as \${source_path} in SQL
libraries:
  - glob:
      include: transformations/**
`;
}

const SQL_TEXT = `-- Bronze: ingest raw JSON events incrementally (each file is read once).
CREATE OR REFRESH STREAMING TABLE bronze_events (
  CONSTRAINT has_event_id EXPECT (event_id IS NOT NULL)
)
COMMENT 'Raw events as ingested'
AS SELECT * FROM STREAM read_files('\${source_path}/*.json', format => 'json');

-- Silver: cleaned events with data-quality expectations (rule ST-02).
CREATE OR REFRESH STREAMING TABLE silver_events (
  CONSTRAINT valid_event_id EXPECT (event_id IS NOT NULL),
  CONSTRAINT valid_event_type EXPECT (event_type IN ('click', 'view', 'purchase', 'signup')),
  CONSTRAINT valid_user_id EXPECT (user_id IS NOT NULL AND user_id > 0) ON VIOLATION DROP ROW
)
COMMENT 'Cleaned events'
TBLPROPERTIES ('quality' = 'silver')
AS SELECT
  event_id,
  user_id,
  event_type,
  to_timestamp(event_timestamp) AS event_timestamp,
  amount,
  current_timestamp() AS processed_at
FROM STREAM(bronze_events);
`;

const TS_TEXT = `// A materialized view in TypeScript: recomputed from a batch read of silver_events.
import { materializedView, read, sql } from 'sluice';

materializedView(
  { name: 'event_type_stats', comment: 'Events, revenue and distinct users per event type' },
  sql\`
    SELECT event_type,
           count(*) AS event_count,
           count(DISTINCT user_id) AS unique_users,
           sum(amount) AS revenue
    FROM \${read('silver_events')}
    GROUP BY event_type
  \`,
);
`;

/** Scaffolds a pipeline; returns the files written (relative to `dir`). Throws PIPELINE_ALREADY_INITIALIZED. */
export async function initPipeline(dir: string, name?: string): Promise<string[]> {
  const existing = SPEC_FILE_NAMES.map((f) => join(dir, f)).find((f) => existsSync(f));
  if (existing) {
    throw new SluiceError(
      'PIPELINE_ALREADY_INITIALIZED',
      `${existing} already exists; sluice init does not overwrite a pipeline`,
      {
        params: { path: existing },
      },
    );
  }
  const pipelineName =
    name ??
    (basename(resolve(dir))
      .replace(/[^A-Za-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '') ||
      'my_pipeline');
  const files: [string, string][] = [
    ['spark-pipeline.yml', specText(pipelineName)],
    ['transformations/events.sql', SQL_TEXT],
    ['transformations/event_stats.ts', TS_TEXT],
    ['data/events/events-0001.json', `${SAMPLE_EVENTS.map((e) => JSON.stringify(e)).join('\n')}\n`],
  ];
  for (const [rel] of files) {
    if (existsSync(join(dir, rel))) {
      throw new SluiceError(
        'PIPELINE_ALREADY_INITIALIZED',
        `${join(dir, rel)} already exists; sluice init does not overwrite files`,
        {
          params: { path: join(dir, rel) },
        },
      );
    }
  }
  for (const [rel, text] of files) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), text, { flag: 'wx' });
  }
  return files.map(([rel]) => rel);
}
