import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { ndjson, readTable, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

// A construct sluice does not support (here a Databricks AI function) refuses only the dataset
// that uses it and what reads it; the rest of the pipeline runs, and the update says FAILED.
const PIPELINE = {
  'spark-pipeline.yml': 'name: refused\n',
  'data/a.json': ndjson([
    { id: 1, s: 'x' },
    { id: 2, s: 'y' },
  ]),
  'transformations/p.sql': `
CREATE OR REFRESH STREAMING TABLE bronze AS SELECT * FROM STREAM read_files('data', format => 'json');
CREATE OR REFRESH MATERIALIZED VIEW counts AS SELECT count(*) AS n FROM bronze;
CREATE OR REFRESH MATERIALIZED VIEW labelled AS SELECT id, ai_classify(s, ARRAY('a', 'b')) AS label FROM bronze;
CREATE OR REFRESH MATERIALIZED VIEW label_counts AS SELECT label, count(*) AS n FROM labelled GROUP BY label;
CREATE OR REFRESH STREAMING TABLE from_avro AS SELECT * FROM cloud_files('data', 'avro');
`,
};

test('a dataset refused for a construct sluice does not support fails alone; the rest of the pipeline runs', async () => {
  const dir = tmpDir('refused');
  writeFiles(dir, PIPELINE);

  const v = await runCli(['validate', dir]);
  assert.equal(v.code, 1);
  assert.match(v.stdout, /UNSUPPORTED_SPARK_FUNCTION: .*'ai_classify'.* \(transformations\/p\.sql:4:/);
  assert.match(
    v.stdout,
    /UNSUPPORTED_FILE_FORMAT: cloud_files format 'avro' .* \(transformations\/p\.sql:6:/,
  );
  assert.match(v.stdout, /sluice run runs the other 2 datasets/);

  const r = await runCli(['run', dir, '--format', 'json']);
  assert.equal(r.code, 1, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.state, 'FAILED');
  const states = Object.fromEntries(
    result.flows.map((f: { dataset: string; state: string; error?: { code: string } }) => [
      f.dataset,
      [f.state, f.error?.code],
    ]),
  );
  assert.deepEqual(states, {
    bronze: ['COMPLETED', undefined],
    counts: ['COMPLETED', undefined],
    labelled: ['FAILED', 'UNSUPPORTED_SPARK_FUNCTION'],
    label_counts: ['SKIPPED', 'UPSTREAM_FAILED'],
    from_avro: ['FAILED', 'UNSUPPORTED_FILE_FORMAT'],
  });
  assert.equal(Number((await readTable(tableDir(dir, 'counts'), 'n'))[0]?.n), 2);
  assert.equal(existsSync(join(tableDir(dir, 'labelled'), '_delta_log')), false);

  // The event log records the refused flow as failed, with its code.
  const q = await runCli([
    'query',
    '--pipeline',
    dir,
    '--format',
    'json',
    "SELECT DISTINCT origin.flow_name AS flow, get_json_object(details, '$.flow_progress.status') AS status FROM event_log WHERE event_type = 'flow_progress' AND origin.flow_name IN ('labelled', 'label_counts') ORDER BY flow",
  ]);
  assert.equal(q.code, 0, q.stderr);
  assert.deepEqual(
    JSON.parse(q.stdout).map((x: { flow: string; status: string }) => [x.flow, x.status]),
    [
      ['label_counts', 'SKIPPED'],
      ['labelled', 'FAILED'],
    ],
  );
});

test('a user mistake still stops the whole update', async () => {
  const dir = tmpDir('refused-mistake');
  writeFiles(dir, {
    ...PIPELINE,
    'transformations/q.sql': 'CREATE OR REFRESH MATERIALIZED VIEW typo AS SELECT * FROM bronz;\n',
  });
  const r = await runCli(['run', dir]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /DATASET_NOT_DEFINED/);
  assert.match(r.stderr, /pipeline is invalid/);
  assert.equal(existsSync(join(tableDir(dir, 'bronze'), '_delta_log')), false);
});
