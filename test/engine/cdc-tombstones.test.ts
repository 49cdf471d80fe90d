import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runPipeline, validatePipeline } from '../../src/index.ts';
import { ndjson, readTable, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

const SPEC = 'name: tombstones\nlibraries:\n  - glob:\n      include: transformations/**\n';

/** One target per retention: none set (Databricks' 2 days), 1 second, an hour. */
const SQL = `CREATE STREAMING TABLE events AS SELECT * FROM STREAM read_files('data', format => 'json',
  schemaHints => 'id INT, name STRING, seq BIGINT, op STRING');
CREATE STREAMING TABLE kept;
APPLY CHANGES INTO kept FROM STREAM(events) KEYS (id) APPLY AS DELETE WHEN op = 'D' SEQUENCE BY seq COLUMNS id, name, seq;
CREATE STREAMING TABLE short TBLPROPERTIES ('pipelines.cdc.tombstoneGCThresholdInSeconds' = '1');
APPLY CHANGES INTO short FROM STREAM(events) KEYS (id) APPLY AS DELETE WHEN op = 'D' SEQUENCE BY seq COLUMNS id, name, seq;
CREATE STREAMING TABLE hour TBLPROPERTIES ('pipelines.cdc.tombstoneGCThresholdInSeconds' = '3600');
APPLY CHANGES INTO hour FROM STREAM(events) KEYS (id) APPLY AS DELETE WHEN op = 'D' SEQUENCE BY seq COLUMNS id, name, seq;
`;

async function run(dir: string): Promise<void> {
  const outcome = await runPipeline(dir, {});
  assert.equal(outcome.kind, 'ran');
  if (outcome.kind !== 'ran') return;
  assert.deepEqual(
    outcome.result.flows.filter((f) => f.state === 'FAILED').map((f) => f.error?.code),
    [],
  );
}

const ids = async (dir: string, t: string) =>
  (await readTable(tableDir(dir, t), 'id')).map((r) => [Number(r.id), r.name, Number(r.seq)]);

test('delete tombstones are kept for pipelines.cdc.tombstoneGCThresholdInSeconds: a late update within it is discarded, after it applies', async () => {
  const dir = tmpDir('cdc-tombstones');
  writeFiles(dir, {
    'spark-pipeline.yml': SPEC,
    'transformations/cdc.sql': SQL,
    'data/0.json': ndjson([
      { id: 1, name: 'a', seq: 1, op: 'U' },
      { id: 2, name: 'b', seq: 1, op: 'U' },
    ]),
  });
  await run(dir);
  writeFiles(dir, { 'data/1.json': ndjson([{ id: 1, name: null, seq: 5, op: 'D' }]) });
  await run(dir);
  // More than a second later: the 1-second retention has passed for the delete of key 1 (its
  // tombstone goes in this batch), the others have not.
  await sleep(1_200);
  writeFiles(dir, { 'data/2.json': ndjson([{ id: 2, name: 'b2', seq: 2, op: 'U' }]) });
  await run(dir);
  // An update older than the delete arrives: only the table whose tombstone was collected applies it.
  writeFiles(dir, { 'data/3.json': ndjson([{ id: 1, name: 'late', seq: 3, op: 'U' }]) });
  await run(dir);
  assert.deepEqual(await ids(dir, 'kept'), [[2, 'b2', 2]]);
  assert.deepEqual(await ids(dir, 'hour'), [[2, 'b2', 2]]);
  assert.deepEqual(await ids(dir, 'short'), [
    [1, 'late', 3],
    [2, 'b2', 2],
  ]);
});

test('a tombstone retention that is not a number of seconds is refused at validate', async () => {
  const dir = tmpDir('cdc-tombstones-bad');
  writeFiles(dir, {
    'spark-pipeline.yml': SPEC,
    'transformations/cdc.sql': `${SQL}CREATE STREAMING TABLE bad TBLPROPERTIES ('pipelines.cdc.tombstoneGCThresholdInSeconds' = '2 days');
APPLY CHANGES INTO bad FROM STREAM(events) KEYS (id) SEQUENCE BY seq;
`,
  });
  const v = await validatePipeline(dir);
  assert.deepEqual(
    v.errors.map((e) => [e.dataset, e.code, e.params.property]),
    [['bad', 'AUTO_CDC_INVALID_DEFINITION', 'pipelines.cdc.tombstoneGCThresholdInSeconds']],
  );
});
