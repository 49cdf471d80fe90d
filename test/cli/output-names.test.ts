/**
 * `sluice validate` and `sluice run` on a pipeline folder whose datasets write names Delta (or
 * Spark) would not: an unaliased item reaching the output through a star, a duplicate column, a
 * CSV header with a space. Both exit 1 naming the code, the dataset and the `file:line`; the run
 * writes none of the refused tables, and writes the dataset that is fine.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { deltaColumnNames, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

test('sluice validate and sluice run refuse an unaliased item reaching the output through a star at the inner item', async () => {
  const dir = tmpDir('cli-output-names-star');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: names\nlibraries:\n  - glob: {include: "transformations/**"}\n',
    'data/a.csv': 'Country,n\nFR,1\nDE,2\n',
    'transformations/t.sql': [
      "CREATE MATERIALIZED VIEW raw AS SELECT * FROM read_files('data', format => 'csv');",
      'CREATE MATERIALIZED VIEW counted AS',
      '  WITH c AS (SELECT Country, count(*) FROM raw GROUP BY Country) SELECT * FROM c;',
      '',
    ].join('\n'),
  });
  const expected =
    /UNALIASED_EXPRESSION: the select item `count\(\*\)` has no alias.*\[dataset counted\].*\(transformations\/t\.sql:3:/;
  const v = await runCli(['validate', dir]);
  assert.equal(v.code, 1, v.stdout + v.stderr);
  assert.match(v.stdout + v.stderr, expected);
  const run = await runCli(['run', dir]);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stdout + run.stderr, expected);
  assert.equal(existsSync(tableDir(dir, 'counted')), false);
});

test('sluice validate and sluice run refuse duplicate and invalid column names with code, dataset and file:line; nothing written', async () => {
  const dir = tmpDir('cli-output-names');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: names\nlibraries:\n  - glob: {include: "transformations/**"}\n',
    'data/a.csv': 'Country,Last Update,n\nFR,2024-01-01,1\nDE,2024-01-02,2\n',
    'transformations/t.sql': [
      "CREATE MATERIALIZED VIEW raw AS SELECT * FROM read_files('data', format => 'csv');",
      'CREATE MATERIALIZED VIEW doubled AS SELECT r.*, r.n FROM (SELECT Country, n FROM',
      "  read_files('data', format => 'csv')) r;",
      "CREATE MATERIALIZED VIEW fine AS SELECT Country, `Last Update` AS last_update FROM read_files('data', format => 'csv');",
      '',
    ].join('\n'),
  });
  const expected = [
    /DELTA_INVALID_CHARACTERS_IN_COLUMN_NAMES: the column `Last Update` of 'raw' .*\(transformations\/t\.sql:1:1\)/,
    /DELTA_DUPLICATE_COLUMNS_FOUND: .* in 'doubled': n .*\(transformations\/t\.sql:2:1\)/,
  ];
  const v = await runCli(['validate', dir]);
  assert.equal(v.code, 1, v.stdout + v.stderr);
  for (const re of expected) assert.match(v.stdout + v.stderr, re);

  const run = await runCli(['run', dir]);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  for (const re of expected) assert.match(run.stdout + run.stderr, re);
  for (const name of ['doubled', 'raw']) {
    assert.equal(existsSync(tableDir(dir, name)), false, `${name} has no table`);
  }
  assert.deepEqual(deltaColumnNames(dir, 'fine'), ['Country', 'last_update']);
});
