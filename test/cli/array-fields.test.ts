import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { queryRows, sqlString } from '../../src/util/index.ts';
import { runCli } from '../helpers/cli.ts';
import { ndjson, writeFiles } from '../helpers/pipeline.ts';
import { connect } from '../helpers/session.ts';
import { tmpDir } from '../helpers/tmp.ts';

/**
 * A JSON source whose `weather` is an array of structs (as a weather API returns it), read as
 * `weather.main`: Spark's array of the elements' `main`. Checked against DuckDB computing the same
 * arrays from the files with unnest and an ordered list aggregate.
 */

const PIPELINE = `CREATE OR REFRESH STREAMING TABLE raw_weather
AS SELECT * FROM STREAM read_files('data', format => 'json');

CREATE OR REFRESH STREAMING TABLE weather_silver
AS SELECT id, weather.main AS weather_main, r.weather.description, main.temp AS temp
FROM STREAM(raw_weather) r;

CREATE OR REFRESH MATERIALIZED VIEW weather_codes
AS SELECT id, weather.id AS codes FROM raw_weather WHERE size(weather.id) > 0;

CREATE OR REFRESH MATERIALIZED VIEW main_counts
AS SELECT weather.main AS mains, count(*) AS n FROM raw_weather GROUP BY weather.main;
`;

const reading = (id: number, weather: unknown) => ({ id, weather, main: { temp: 280 + id } });

/** What Spark gives for `arr.field`, computed independently of sluice's rewrite. */
async function expected(dir: string, field: string): Promise<Record<string, unknown>[]> {
  const c = await connect();
  try {
    return await queryRows(
      c,
      `WITH src AS (SELECT * FROM read_json(${sqlString(join(dir, 'data', '*.json'))}, columns = {
         id: 'BIGINT', weather: 'STRUCT(main VARCHAR, description VARCHAR, id BIGINT)[]'}))
       SELECT id::INTEGER AS id, CASE WHEN weather IS NULL THEN NULL
         ELSE (SELECT coalesce(list(e.${field} ORDER BY i), []) FROM
               (SELECT unnest(weather) AS e, generate_subscripts(weather, 1) AS i)) END AS v
       FROM src ORDER BY id`,
    );
  } finally {
    c.closeSync();
  }
}

async function query(dir: string, sql: string): Promise<Record<string, unknown>[]> {
  const r = await runCli(['query', '--pipeline', dir, '--format', 'json', sql]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('sluice run: weather.main on a JSON array of structs is the array of each element’s main, across updates', async () => {
  const dir = tmpDir('cli-array-fields');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: weather\n',
    'transformations/weather.sql': PIPELINE,
    'data/1.json': ndjson([
      reading(1, [
        { id: 800, main: 'Clear', description: 'clear sky' },
        { id: 500, main: 'Rain', description: 'light rain' },
      ]),
      reading(2, [null, { id: 701, description: 'mist' }]),
      reading(3, null),
    ]),
  });
  const validate = await runCli(['validate', dir]);
  assert.equal(validate.code, 0, validate.stdout + validate.stderr);
  const first = await runCli(['run', dir]);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  writeFiles(dir, { 'data/2.json': ndjson([reading(4, []), reading(5, [{ id: 600, main: 'Snow' }])]) });
  const second = await runCli(['run', dir]);
  assert.equal(second.code, 0, second.stdout + second.stderr);
  // The grouped view is refreshed by groups (its query typed before the rewrite), not recomputed.
  assert.match(second.stdout, /main_counts .*GROUP_AGGREGATE/);

  const silver = await query(
    dir,
    'SELECT id, weather_main AS m, description AS d, temp FROM weather_silver ORDER BY id',
  );
  const mains = await expected(dir, 'main');
  const descriptions = await expected(dir, 'description');
  assert.deepEqual(
    silver.map((r) => [r.id, r.m, r.d]),
    mains.map((r, i) => [r.id, r.v, descriptions[i]!.v]),
  );
  // The facts, not only the agreement: NULL elements and a NULL array stay NULL.
  assert.deepEqual(
    silver.map((r) => r.m),
    [['Clear', 'Rain'], [null, null], null, [], ['Snow']],
  );
  assert.deepEqual(
    silver.map((r) => r.temp),
    [281, 282, 283, 284, 285],
  );

  const counts = await query(dir, 'SELECT mains, n FROM main_counts ORDER BY n DESC, CAST(mains AS STRING)');
  const byMains = new Map<string, number>();
  for (const r of mains) byMains.set(JSON.stringify(r.v), (byMains.get(JSON.stringify(r.v)) ?? 0) + 1);
  assert.deepEqual(counts.map((r) => [JSON.stringify(r.mains), r.n]).sort(), [...byMains].sort());

  const codes = await query(dir, 'SELECT id, codes AS c FROM weather_codes ORDER BY id');
  const expectedCodes = (await expected(dir, 'id')).filter((r) => Array.isArray(r.v) && r.v.length > 0);
  assert.deepEqual(
    codes.map((r) => [r.id, r.c]),
    expectedCodes.map((r) => [r.id, r.v]),
  );
});
