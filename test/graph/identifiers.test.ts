import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runPipeline, validatePipeline } from '../../src/index.ts';
import { ndjson, readTable, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

test('names are case-insensitive as in Spark; backticked names with hyphens and spaces are tables in folders of their own', async () => {
  const dir = tmpDir('identifiers');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: ids\n',
    'data/a.json': ndjson([
      { id: 1, RideId: 5 },
      { id: 2, RideId: 6 },
    ]),
    'transformations/a.sql': `
CREATE OR REFRESH STREAMING TABLE cdc_data.users AS SELECT * FROM STREAM read_files('data', format => 'json');
CREATE OR REFRESH STREAMING TABLE RIDES_RAW AS SELECT * FROM STREAM read_files('data', format => 'json');
CREATE OR REFRESH MATERIALIZED VIEW \`hyphen-mv\` AS SELECT count(*) AS n FROM rides_raw;
CREATE OR REFRESH MATERIALIZED VIEW m2 AS SELECT count(*) AS n FROM CDC_DATA.Users;
CREATE OR REFRESH MATERIALIZED VIEW m3 AS SELECT RIDEID AS a, \`Rides_Raw\`.id FROM LIVE.Rides_Raw;
CREATE OR REFRESH MATERIALIZED VIEW \`my mv\` AS SELECT n FROM \`HYPHEN-MV\`;
CREATE FLOW more AS INSERT INTO cdc_data.USERS BY NAME SELECT * FROM STREAM read_files('data', format => 'json');
`,
  });
  const outcome = await runPipeline(dir);
  assert.equal(outcome.kind, 'ran', JSON.stringify(outcome));
  if (outcome.kind !== 'ran') return;
  assert.equal(outcome.result.state, 'COMPLETED');
  const tables = join(dir, '.sluice', 'tables');
  for (const folder of ['cdc_data/users', 'default/RIDES_RAW', 'default/hyphen-mv', 'default/my mv'])
    assert.ok(existsSync(join(tables, folder, '_delta_log')), folder);
  const n = async (table: string) => Number((await readTable(join(tables, 'default', table), 'n'))[0]?.n);
  assert.equal(await n('my mv'), 2);
  assert.equal(await n('m2'), 4, 'both flows wrote cdc_data.users');
  const m3 = await readTable(join(tables, 'default', 'm3'), 'id');
  assert.deepEqual(
    m3.map((r) => [Number(r.a), Number(r.id)]),
    [
      [5, 1],
      [6, 2],
    ],
  );
});

test('names that differ only by case are one name; a wrong qualifier or a path-like name is refused', async () => {
  const dir = tmpDir('identifiers-bad');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: ids\n',
    'transformations/a.sql': `
CREATE OR REFRESH STREAMING TABLE s1.events AS SELECT * FROM STREAM read_files('data', format => 'json');
CREATE OR REFRESH MATERIALIZED VIEW EVENTS_COPY AS SELECT * FROM s2.events;
CREATE OR REFRESH MATERIALIZED VIEW events_copy AS SELECT * FROM s1.events;
CREATE OR REFRESH MATERIALIZED VIEW \`.hidden\` AS SELECT 1 AS x;
`,
  });
  const v = await validatePipeline(dir);
  assert.deepEqual(
    v.errors.map((e) => [e.code, e.dataset, e.location?.line]),
    [
      ['INVALID_DATASET_NAME', '.hidden', 5],
      ['DUPLICATE_GRAPH_ELEMENT', 'events_copy', 4],
      ['DATASET_NOT_DEFINED', 'EVENTS_COPY', 3],
    ],
  );
});

test('a qualified name that would be the reading table itself is a table outside the pipeline, said so', async () => {
  const dir = tmpDir('identifiers-external');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: ids\n',
    'transformations/a.sql': `
CREATE OR REFRESH STREAMING TABLE payments AS SELECT * FROM STREAM(samples.shop.payments);
CREATE OR REFRESH MATERIALIZED VIEW totals AS SELECT count(*) AS n FROM shop.payments;
`,
  });
  const v = await validatePipeline(dir);
  // The table reading itself by a qualified name is external (was: CIRCULAR_DEPENDENCY); another
  // dataset reading the same qualified name finds the pipeline's table (no schema to compare).
  assert.deepEqual(
    v.errors.map((e) => [e.code, e.dataset, e.location?.line, e.params.external]),
    [['DATASET_NOT_DEFINED', 'payments', 2, true]],
  );
  assert.match(v.errors[0]!.message, /'samples\.shop\.payments', a table outside the pipeline/);
  assert.doesNotMatch(v.errors[0]!.message, /did you mean/);
});
