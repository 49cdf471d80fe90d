// Rules over configuration (bundle pipelines and jobs, sluice specs) and over SQL/TypeScript
// datasets: each with a case that fires and one that does not.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { type LintResult, lintPipelines, Session } from '../../src/index.ts';
import { writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

const session = new Session();
after(() => session.close());

async function lintFiles(files: Record<string, string>, paths: string[] = []): Promise<LintResult> {
  const dir = tmpDir('lint-rules');
  writeFiles(dir, files);
  return lintPipelines(paths, { cwd: dir, session });
}
const brief = (r: LintResult) => r.findings.map((f) => `${f.file}:${f.line} ${f.rule}`);

const GOOD_PIPELINE = `resources:
  pipelines:
    events:
      name: events
      serverless: true
      root_path: ../src
      libraries:
        - glob:
            include: ../src/**
      notifications:
        - alerts: [on-update-failure]
          email_recipients: [team@example.com]
      tags:
        team: data
`;
const bundle = (resources: string, extra: Record<string, string> = {}) => ({
  'databricks.yml': 'bundle:\n  name: b\ninclude:\n  - resources/*.yml\n',
  'resources/r.yml': resources,
  'src/events.sql':
    "CREATE OR REFRESH STREAMING TABLE events (CONSTRAINT ok EXPECT (id IS NOT NULL))\nAS SELECT * FROM STREAM read_files('in', format => 'json');\n",
  ...extra,
});

test('a bundle pipeline with everything the checklist asks is clean', async () => {
  const r = await lintFiles(bundle(GOOD_PIPELINE));
  assert.deepEqual(r.problems, []);
  assert.deepEqual(brief(r), []);
});

test('SDP-SERVERLESS, SDP-TAGS, SDP-NOTIFICATIONS, SDP-ROOT-PATH on a bare bundle pipeline', async () => {
  const r = await lintFiles(
    bundle(
      'resources:\n  pipelines:\n    events:\n      name: events\n      libraries:\n        - glob:\n            include: ../src/**\n',
    ),
  );
  assert.deepEqual(
    r.findings.map((f) => `${f.line} ${f.rule} ${f.severity}`),
    ['3 SDP-NOTIFICATIONS warning', '3 SDP-ROOT-PATH note', '3 SDP-SERVERLESS note', '3 SDP-TAGS warning'],
  );
  // notifications that alert on success only do not count
  const success = await lintFiles(
    bundle(GOOD_PIPELINE.replace('[on-update-failure]', '[on-update-success]')),
  );
  assert.deepEqual(brief(success), ['resources/r.yml:10 SDP-NOTIFICATIONS']);
});

test('SDP-EDITION: expectations on classic compute need ADVANCED; serverless or no expectations do not', async () => {
  const classic = GOOD_PIPELINE.replace('serverless: true', 'serverless: false\n      edition: PRO');
  assert.deepEqual(brief(await lintFiles(bundle(classic))), ['resources/r.yml:6 SDP-EDITION']);
  assert.deepEqual(brief(await lintFiles(bundle(classic.replace('PRO', 'ADVANCED')))), []);
  assert.deepEqual(
    brief(
      await lintFiles(
        bundle(GOOD_PIPELINE.replace('serverless: true', 'serverless: true\n      edition: CORE')),
      ),
    ),
    [],
  );
  const noExpectations = bundle(classic, {
    'src/events.sql': 'CREATE MATERIALIZED VIEW totals AS SELECT 1 AS n;\n',
  });
  assert.deepEqual(brief(await lintFiles(noExpectations)), []);
});

test('ST-05 on pipeline clusters: autoscale on a streaming pipeline, not on one that only has materialized views', async () => {
  const clusters = GOOD_PIPELINE.replace(
    'serverless: true',
    'serverless: false\n      clusters:\n        - label: default\n          autoscale:\n            min_workers: 1\n            max_workers: 5\n            mode: ENHANCED',
  );
  const r = await lintFiles(bundle(clusters));
  assert.deepEqual(brief(r), ['resources/r.yml:8 ST-05']);
  assert.match(
    r.findings.find((f) => f.rule === 'ST-05')!.message,
    /pipeline 'events' cluster 'default' autoscales/,
  );
  const batch = bundle(clusters, {
    'src/events.sql': 'CREATE MATERIALIZED VIEW totals AS SELECT 1 AS n;\n',
  });
  assert.ok(!brief(await lintFiles(batch)).some((f) => f.endsWith('ST-05')));
});

const JOB = (task: string, extra = '') => `resources:
  jobs:
    ingest:
      name: ingest
      tags:
        team: data${extra}
      job_clusters:
        - job_cluster_key: main
          new_cluster:
            spark_version: 15.4.x-scala2.12
            autoscale:
              min_workers: 1
              max_workers: 4
      tasks:
${task}`;
const STREAM_PY =
  '# sluice-lint: disable-file ST-01 approved exception PA-7\ndef up(df, i):\n    df.sparkSession.sql("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET *")\n\n(spark.readStream.table("a").writeStream.foreachBatch(up)\n  .option("checkpointLocation", "/chk").start())\n';

test('jobs: a streaming task on an autoscaling job cluster, without retries or graceful shutdown', async () => {
  const r = await lintFiles(
    bundle(
      JOB(
        '        - task_key: stream\n          job_cluster_key: main\n          notebook_task:\n            notebook_path: ../src/stream\n',
      ),
      {
        'src/stream.py': STREAM_PY,
      },
    ),
  );
  assert.deepEqual(
    r.findings.map((f) => `${f.line} ${f.rule}`),
    ['3 SDP-NOTIFICATIONS', '9 RSS-GRACEFUL-SHUTDOWN', '11 ST-05', '15 RSS-RETRIES'],
  );
  // a failure notification on the job, or on a task, is monitoring enough for SDP-NOTIFICATIONS
  for (const at of [
    ['', '\n      email_notifications:\n        on_failure: [oncall@company.com]'],
    ['          webhook_notifications:\n            on_failure: [{id: pager}]\n', ''],
  ]) {
    const notified = await lintFiles(
      bundle(
        JOB(
          `        - task_key: stream\n          job_cluster_key: main\n${at[0]}          notebook_task:\n            notebook_path: ../src/stream\n`,
          at[1],
        ),
        { 'src/stream.py': STREAM_PY },
      ),
    );
    assert.ok(!notified.findings.some((f) => f.rule === 'SDP-NOTIFICATIONS'), at.join());
  }
});

test('jobs: a batch task (its code read) may autoscale; a task whose code cannot be read is assumed to stream for ST-04/ST-05 only', async () => {
  const batch = await lintFiles(
    bundle(
      JOB(
        '        - task_key: nightly\n          job_cluster_key: main\n          spark_python_task:\n            python_file: ../src/nightly.py\n',
      ),
      {
        'src/nightly.py': 'spark.table("a").write.mode("overwrite").saveAsTable("b")\n',
      },
    ),
  );
  assert.deepEqual(brief(batch), []);
  const unknown = await lintFiles(
    bundle(
      JOB(
        '        - task_key: x\n          existing_cluster_id: abc\n          notebook_task:\n            notebook_path: /Workspace/Shared/x\n',
      ),
    ),
  );
  assert.deepEqual(
    unknown.findings.map((f) => `${f.line} ${f.rule}`),
    ['11 ST-05', '16 ST-04'],
  );
  assert.match(unknown.findings[1]!.message, /lint cannot read its code, so it may stream/);
  // a continuous job streams; its tasks retry on their own
  const continuous = await lintFiles(
    bundle(
      JOB(
        '        - task_key: x\n          job_cluster_key: main\n          notebook_task:\n            notebook_path: /Workspace/x\n',
        '\n      continuous:\n        pause_status: UNPAUSED',
      ),
    ),
  );
  assert.deepEqual(
    continuous.findings.map((f) => f.rule),
    ['SDP-NOTIFICATIONS', 'RSS-GRACEFUL-SHUTDOWN', 'ST-05'],
  );
});

test('SDP-TAGS on jobs: tags, or custom_tags on every cluster', async () => {
  const untagged = JOB(
    '        - task_key: t\n          pipeline_task:\n            pipeline_id: abc\n',
  ).replace('      tags:\n        team: data\n', '');
  assert.deepEqual(
    brief(await lintFiles(bundle(untagged))).filter((f) => f.endsWith('SDP-TAGS')),
    ['resources/r.yml:3 SDP-TAGS'],
  );
  const custom = untagged.replace(
    'spark_version: 15.4.x-scala2.12',
    'spark_version: 15.4.x-scala2.12\n            custom_tags: {team: data}',
  );
  assert.deepEqual(
    brief(await lintFiles(bundle(custom))).filter((f) => f.endsWith('SDP-TAGS')),
    [],
  );
});

test('SQL datasets: ST-02, quarantine tables excepted, SDP-CDF and SDP-QUARANTINE in a sluice pipeline', async () => {
  const r = await lintFiles({
    'spark-pipeline.yml':
      'name: shop\ntags: {team: data}\nnotifications:\n  - alerts: [on-update-failure]\n    email_recipients: [a@b.c]\n',
    'transformations/a_bronze.sql':
      "CREATE OR REFRESH STREAMING TABLE orders_bronze\nAS SELECT * FROM STREAM read_files('data', format => 'json');\n",
    'transformations/b_silver.sql': `CREATE OR REFRESH STREAMING TABLE orders (
  CONSTRAINT valid_id EXPECT (id IS NOT NULL) ON VIOLATION DROP ROW
)
TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true')
AS SELECT * FROM STREAM(orders_bronze);

CREATE MATERIALIZED VIEW totals AS SELECT count(*) AS n FROM orders;
`,
  });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(
    r.findings.map((f) => `${f.file}:${f.line} ${f.rule} ${f.severity}`),
    [
      'transformations/a_bronze.sql:1 SDP-CDF warning',
      'transformations/a_bronze.sql:1 ST-02 error',
      'transformations/b_silver.sql:1 SDP-QUARANTINE warning',
    ],
  );
  const kept = await lintFiles({
    'spark-pipeline.yml':
      'name: shop\ntags: {team: data}\nnotifications:\n  - alerts: [on-flow-failure]\n    email_recipients: [a@b.c]\n',
    'transformations/a.sql': `CREATE OR REFRESH STREAMING TABLE orders (
  CONSTRAINT valid_id EXPECT (id IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT valid_total EXPECT (total > 0) ON VIOLATION QUARANTINE
) AS SELECT * FROM STREAM read_files('data', format => 'json');
CREATE OR REFRESH STREAMING TABLE orders_quarantine AS SELECT * FROM STREAM read_files('bad', format => 'json');
`,
  });
  assert.deepEqual(brief(kept), []);
});

test('sluice spec: SDP-TAGS and SDP-NOTIFICATIONS; TypeScript datasets are read by the loader', async () => {
  const r = await lintFiles({
    'spark-pipeline.yml': 'name: ts_pipeline\n',
    'transformations/events.ts': `import { sql, table } from 'sluice';

table({ name: 'events' }, sql\`SELECT * FROM read_files('data', format => 'json')\`);
`,
  });
  assert.deepEqual(r.problems, []);
  // a TypeScript table() is a streaming table
  assert.deepEqual(brief(r), [
    'spark-pipeline.yml:1 SDP-NOTIFICATIONS',
    'spark-pipeline.yml:1 SDP-TAGS',
    'transformations/events.ts:3 ST-02',
  ]);
  const streaming = await lintFiles({
    'spark-pipeline.yml':
      'name: ts_pipeline\ntags: {team: data}\nnotifications:\n  - alerts: [on-update-fatal-failure]\n    webhook_urls: ["https://hooks.example.com/x"]\n',
    'transformations/events.ts': `import { sql, stream, table } from 'sluice';

table({ name: 'raw' }, sql\`SELECT * FROM STREAM read_files('data', format => 'json')\`);
table({ name: 'events' }, sql\`SELECT * FROM \${stream('raw')}\`);
`,
  });
  assert.deepEqual(brief(streaming), [
    'transformations/events.ts:3 SDP-CDF',
    'transformations/events.ts:3 ST-02',
    'transformations/events.ts:4 ST-02',
  ]);
});

test('loose SQL files: configuration references and notebooks are read; other statements are ignored', async () => {
  const r = await lintFiles({
    'nb.sql': `-- Databricks notebook source
CREATE OR REFRESH STREAMING TABLE \${catalog}.\${schema}.raw
AS SELECT * FROM STREAM read_files('\${path}', format => 'json')

-- COMMAND ----------

SELECT * FROM system.lakeflow.pipeline_events
`,
  });
  assert.deepEqual(brief(r), ['nb.sql:2 ST-02']);
});

test('YAML fragments: existing_cluster_id anywhere is ST-04; other YAML is left alone; bad YAML named explicitly is a problem', async () => {
  const r = await lintFiles({
    'task.yml': 'task_key: x\nexisting_cluster_id: 0101\n',
    '.github/workflows/ci.yml': 'on: [push]\n',
    'compose.yml': 'services:\n  db:\n    image: postgres\n',
    'broken.yml': 'a: [\n',
  });
  assert.deepEqual(brief(r), ['task.yml:2 ST-04']);
  assert.deepEqual(r.problems, []);
  const dir = tmpDir('lint-bad-yaml');
  writeFiles(dir, { 'broken.yml': 'a: [\n' });
  const explicit = await lintPipelines(['broken.yml'], { cwd: dir, session });
  assert.deepEqual(
    explicit.problems.map((p) => p.code),
    ['BUNDLE_INVALID'],
  );
});

test('a bundle pipeline whose library is missing is a problem; its configuration is still linted', async () => {
  const r = await lintFiles({
    'databricks.yml': `bundle:\n  name: b\nresources:\n  pipelines:\n    p:\n      name: p\n      serverless: true\n      root_path: .\n      tags: {a: b}\n      libraries:\n        - notebook:\n            path: missing.py\n`,
  });
  assert.deepEqual(
    r.problems.map((p) => p.code),
    ['BUNDLE_INVALID'],
  );
  assert.deepEqual(brief(r), ['databricks.yml:5 SDP-NOTIFICATIONS']);
});
