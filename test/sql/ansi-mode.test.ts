/**
 * Where `spark.sql.ansi.enabled` holds, through real pipelines: the pipeline's `configuration`
 * sets it for every file; a `SET` in a SQL file sets it for the statements after it in that
 * file only (Databricks: a table or view defined after a SET uses the configuration it sets).
 * Values are checked against Spark's non-ANSI results, computed independently in DuckDB over
 * the same input file; refusals are checked by code and file:line.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runPipeline, validatePipeline } from '../../src/index.ts';
import { duck, ndjson, readTable, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

const INPUT = ndjson([
  { id: 1, s: '12', d: '2020-03-21' },
  { id: 2, s: '', d: '03-21-2020' },
  { id: 3, s: ' 3.7 ', d: '2020-3-5' },
  { id: 4, s: 'x', d: '' },
  { id: 5, s: '-.5', d: '2020-02-30' },
]);

const QUERY = `SELECT id, CAST(s AS INT) AS i, to_date(d) AS day, 10 div CAST(s AS INT) AS q FROM src`;

/** Spark's non-ANSI results for QUERY, computed in DuckDB from the input file itself. */
async function expected(dir: string): Promise<string[]> {
  // UTF8String.toInt: trimmed sign, digits and an optional fraction that is dropped; `-.5` is 0.
  const t = 'trim(s)';
  const int = `CASE WHEN regexp_full_match(${t}, '[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]*)')
    THEN CAST(regexp_extract(${t}, '^([+-]?)', 1) || coalesce(nullif(regexp_extract(${t}, '^[+-]?([0-9]*)', 1), ''), '0') AS INT) END`;
  const rows = await duck(`
    SELECT id, i, TRY_CAST(CASE WHEN regexp_full_match(d, '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}') THEN d END AS DATE) AS day,
           CASE WHEN i <> 0 THEN 10 // i END AS q
    FROM (SELECT id, d, ${int} AS i FROM read_json('${join(dir, 'data', 'src.json')}', columns = {id: 'INT', s: 'VARCHAR', d: 'VARCHAR'}))
    ORDER BY id`);
  return rows.map(show);
}

function show(r: Record<string, unknown>): string {
  const day = r.day === null ? 'NULL' : String(r.day).slice(0, 10);
  return `${r.id}|${r.i ?? 'NULL'}|${day}|${r.q ?? 'NULL'}`;
}

async function tableRows(dir: string, name: string): Promise<string[]> {
  const rows = await readTable(join(dir, '.sluice', 'tables', 'default', name), 'id');
  return rows.map((r) => show({ ...r, day: r.day instanceof Date ? r.day.toISOString() : r.day }));
}

/** Runs the pipeline at `dir`, which must run (not be refused as a whole); its update's result. */
async function ran(dir: string) {
  const outcome = await runPipeline(dir);
  assert.equal(outcome.kind, 'ran', JSON.stringify(outcome));
  if (outcome.kind !== 'ran') throw new Error('unreachable');
  return outcome.result;
}

/** Runs the pipeline at `dir` and asserts that its update completed. */
async function ranToCompletion(dir: string): Promise<void> {
  const result = await ran(dir);
  assert.equal(result.state, 'COMPLETED', JSON.stringify(result.flows.map((f) => f.error)));
}

test('the pipeline configuration turns ANSI mode off for every file', async () => {
  const dir = tmpDir('ansi-config');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: legacy\nconfiguration:\n  spark.sql.ansi.enabled: "false"\n',
    'data/src.json': INPUT,
    'transformations/a.sql': `CREATE OR REFRESH STREAMING TABLE src AS SELECT * FROM STREAM read_files('data', format => 'json');
CREATE OR REFRESH MATERIALIZED VIEW in_a AS ${QUERY};`,
    'transformations/b.sql': `CREATE OR REFRESH MATERIALIZED VIEW in_b AS ${QUERY};`,
  });
  await ranToCompletion(dir);
  const want = await expected(dir);
  assert.deepEqual(want, [
    '1|12|2020-03-21|0',
    '2|NULL|NULL|NULL',
    '3|3|2020-03-05|3',
    '4|NULL|NULL|NULL',
    '5|0|NULL|NULL',
  ]);
  assert.deepEqual(await tableRows(dir, 'in_a'), want);
  assert.deepEqual(await tableRows(dir, 'in_b'), want);
});

test('a SET holds for the statements after it in its own file only', async () => {
  const dir = tmpDir('ansi-set');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: legacy-set\n',
    'data/src.json': INPUT,
    'transformations/a.sql': `CREATE OR REFRESH STREAMING TABLE src AS SELECT * FROM STREAM read_files('data', format => 'json');
CREATE OR REFRESH MATERIALIZED VIEW before_set AS ${QUERY};
SET spark.sql.ansi.enabled = false;
CREATE OR REFRESH MATERIALIZED VIEW after_set AS ${QUERY};`,
    'transformations/b.sql': `CREATE OR REFRESH MATERIALIZED VIEW other_file AS ${QUERY};`,
  });
  const result = await ran(dir);
  assert.equal(result.state, 'FAILED');
  const byDataset = Object.fromEntries(result.flows.map((f) => [f.dataset, [f.state, f.error?.code]]));
  // ANSI mode on before the SET and in the other file: '' is not an INT.
  assert.deepEqual(byDataset.before_set, ['FAILED', 'CAST_INVALID_INPUT']);
  assert.deepEqual(byDataset.other_file, ['FAILED', 'CAST_INVALID_INPUT']);
  assert.deepEqual(byDataset.after_set, ['COMPLETED', undefined]);
  assert.deepEqual(await tableRows(dir, 'after_set'), await expected(dir));
});

test('spark.sql.ansi.enabled takes true or false; a non-ANSI cast sluice does not translate is refused at validate', async () => {
  const dir = tmpDir('ansi-refused');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: legacy-bad\n',
    'transformations/a.sql': `SET spark.sql.ansi.enabled = maybe;
CREATE OR REFRESH MATERIALIZED VIEW m1 AS SELECT 1 AS x;
SET spark.sql.ansi.enabled = FALSE;
CREATE OR REFRESH MATERIALIZED VIEW m2 AS SELECT CAST(DATE'2020-01-01' AS INT) AS x;`,
  });
  const v = await validatePipeline(dir);
  assert.deepEqual(
    v.errors.map((e) => [e.code, e.location?.file, e.location?.line]),
    [
      ['LEGACY_MODE_INVALID_SETTING', 'transformations/a.sql', 1],
      ['LEGACY_MODE_UNSUPPORTED', 'transformations/a.sql', 4],
    ],
  );
  const bad = tmpDir('ansi-refused-config');
  writeFiles(bad, {
    'spark-pipeline.yml': 'name: legacy-bad\nconfiguration:\n  spark.sql.ansi.enabled: "off"\n',
    'transformations/a.sql': 'CREATE OR REFRESH MATERIALIZED VIEW m AS SELECT 1 AS x;',
  });
  assert.deepEqual(
    (await validatePipeline(bad)).errors.map((e) => e.code),
    ['LEGACY_MODE_INVALID_SETTING'],
  );
});

test("a dataset's expectations are translated in its query's mode: size(NULL) is -1 with ANSI off", async () => {
  const dir = tmpDir('ansi-expect');
  const rows = ndjson([
    { id: 1, tags: ['a'] },
    { id: 2, tags: null },
    { id: 3, tags: [] },
  ]);
  const body = `(CONSTRAINT sized EXPECT (coalesce(size(tags), 0) >= 0) ON VIOLATION DROP ROW)
  AS SELECT id, tags FROM read_files('data', format => 'json', schemaHints => 'tags ARRAY<STRING>')`;
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: legacy-expect\n',
    'data/src.json': rows,
    'transformations/a.sql': `CREATE OR REFRESH MATERIALIZED VIEW on_ansi ${body};
SET spark.sql.ansi.enabled = false;
CREATE OR REFRESH MATERIALIZED VIEW on_legacy ${body};
CREATE TEMPORARY VIEW v_legacy ${body};
CREATE OR REFRESH MATERIALIZED VIEW from_view AS SELECT id FROM v_legacy;`,
  });
  await ranToCompletion(dir);
  const ids = async (name: string) =>
    (await readTable(join(dir, '.sluice', 'tables', 'default', name), 'id')).map((r) => Number(r.id));
  // ANSI on: size(NULL) is NULL, so coalesce gives 0 and the row passes.
  assert.deepEqual(await ids('on_ansi'), [1, 2, 3]);
  // ANSI off: size(NULL) is -1, so the row with NULL tags violates the expectation.
  assert.deepEqual(await ids('on_legacy'), [1, 3]);
  assert.deepEqual(await ids('from_view'), [1, 3]);
});
