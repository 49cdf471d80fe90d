/**
 * The SELECTs whose columns reach a dataset's output through a star (a subquery in FROM, a CTE,
 * a set operation's first branch, `x.*`) name its columns too: their unaliased computed items are
 * UNALIASED_EXPRESSION at the inner item, a name given twice in one of them is
 * DELTA_DUPLICATE_COLUMNS_FOUND and a name Delta refuses is DELTA_INVALID_CHARACTERS_IN_COLUMN_NAMES,
 * all at validate with the item's text and file:line; SELECTs whose names never reach the output
 * are free, and what passed before passes with the same names (read back through chdb).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPipeline, validatePipeline } from '../../src/index.ts';
import { deltaColumnNames, ndjson, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

const DATA = ndjson([
  { p: 'Ab', d: 1.5, ts: '2024-01-01T00:00:00Z', arr: [1, 2], s: { f: 1, g: 'x' } },
  { p: 'c', d: 2.5, ts: '2024-01-01T00:05:00Z', arr: [3], s: { f: 2, g: 'y' } },
]);

const SRC = `CREATE MATERIALIZED VIEW src AS SELECT * FROM read_files('data', format => 'json', schemaHints => 'ts TIMESTAMP');`;

function pipeline(name: string, lines: readonly string[]): string {
  const dir = tmpDir(name);
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: nm\nlibraries:\n  - glob: {include: "*.sql"}\n',
    'data/a.json': DATA,
    't.sql': `${[SRC, ...lines].join('\n')}\n`,
  });
  return dir;
}

/** The validate errors as [code, dataset, file, line, expression]. */
async function refusals(dir: string): Promise<unknown[][]> {
  const v = await validatePipeline(dir);
  return v.errors.map((e) => [e.code, e.dataset, e.location?.file, e.location?.line, e.params?.expression]);
}

test('unaliased items reaching the output through a star are refused at the inner item', async () => {
  const dir = pipeline('reach-unaliased', [
    'CREATE MATERIALIZED VIEW a AS SELECT * FROM (SELECT p, count(*) FROM src GROUP BY p);',
    'CREATE MATERIALIZED VIEW b AS WITH c AS (SELECT upper(p) FROM src) SELECT * FROM c;',
    "CREATE MATERIALIZED VIEW c AS SELECT x.* FROM (SELECT p, 'a' FROM src) x;",
    'CREATE MATERIALIZED VIEW d AS SELECT * FROM (SELECT p FROM src UNION ALL SELECT p FROM src)',
    '  JOIN (SELECT d,',
    '    d + 1 FROM src) USING (d);',
    'CREATE MATERIALIZED VIEW e AS WITH c1 AS (SELECT p, lower(p) FROM src), c2 AS (SELECT * FROM c1)',
    '  SELECT * EXCEPT (p) FROM c2;',
    'CREATE MATERIALIZED VIEW f AS SELECT * FROM (SELECT * FROM (SELECT abs(d) FROM src) AS i) AS o;',
    'CREATE MATERIALIZED VIEW g AS SELECT * FROM (SELECT length(p) FROM src UNION SELECT 1 AS one FROM src);',
    'CREATE MATERIALIZED VIEW h AS SELECT s.* FROM (SELECT p AS k, d * 2 FROM src) AS s;',
  ]);
  assert.deepEqual(await refusals(dir), [
    ['UNALIASED_EXPRESSION', 'a', 't.sql', 2, 'count(*)'],
    ['UNALIASED_EXPRESSION', 'b', 't.sql', 3, 'upper(p)'],
    ['UNALIASED_EXPRESSION', 'c', 't.sql', 4, "'a'"],
    ['UNALIASED_EXPRESSION', 'd', 't.sql', 7, 'd + 1'],
    ['UNALIASED_EXPRESSION', 'e', 't.sql', 8, 'lower(p)'],
    ['UNALIASED_EXPRESSION', 'f', 't.sql', 10, 'abs(d)'],
    ['UNALIASED_EXPRESSION', 'g', 't.sql', 11, 'length(p)'],
    ['UNALIASED_EXPRESSION', 'h', 't.sql', 12, 'd * 2'],
  ]);
});

test('SELECTs whose names never reach the output are free; reached ones keep their names', async () => {
  const dir = pipeline('reach-free', [
    // Selected by name, renamed by an alias list, only in expressions, or another star's relation.
    'CREATE MATERIALIZED VIEW a AS SELECT p, n FROM (SELECT p, count(*) AS n, max(d) FROM src GROUP BY p);',
    'CREATE MATERIALIZED VIEW b AS SELECT * FROM (SELECT p, count(*) FROM src GROUP BY p) AS x(k, n);',
    'CREATE MATERIALIZED VIEW c AS WITH q(k, m) AS (SELECT p, max(d) FROM src GROUP BY p) SELECT * FROM q;',
    'CREATE MATERIALIZED VIEW d AS SELECT x.*, y.n FROM src x JOIN (SELECT p, count(*) AS n, min(d) FROM src GROUP BY p) y',
    '  ON x.p = y.p WHERE x.d IN (SELECT max(d) FROM src) AND EXISTS (SELECT 1 FROM src) ORDER BY (SELECT 1);',
    'CREATE MATERIALIZED VIEW e AS SELECT * FROM (SELECT p FROM src UNION ALL SELECT upper(p) FROM src);',
    // Reached, and named as before: column refs, struct fields and stars, generators, window().
    'CREATE MATERIALIZED VIEW f AS SELECT * FROM (SELECT t.p, s.f AS sf, s.*, explode(arr) FROM src t);',
    'CREATE MATERIALIZED VIEW g AS WITH w AS (SELECT * EXCEPT (arr, s) FROM src) SELECT * FROM w;',
    "CREATE MATERIALIZED VIEW h AS SELECT * FROM (SELECT window(ts, '1 minute'), count(*) AS n",
    "  FROM src GROUP BY window(ts, '1 minute'));",
  ]);
  assert.deepEqual(await refusals(dir), []);
  const outcome = await runPipeline(dir);
  assert.equal(outcome.kind, 'ran');
  if (outcome.kind !== 'ran') return;
  assert.equal(outcome.result.state, 'COMPLETED', JSON.stringify(outcome.result.flows.map((f) => f.error)));
  assert.deepEqual(deltaColumnNames(dir, 'a'), ['p', 'n']);
  assert.deepEqual(deltaColumnNames(dir, 'b'), ['k', 'n']);
  assert.deepEqual(deltaColumnNames(dir, 'c'), ['k', 'm']);
  assert.deepEqual(deltaColumnNames(dir, 'd'), ['arr', 'd', 'p', 's', 'ts', '_rescued_data', 'n']);
  assert.deepEqual(deltaColumnNames(dir, 'e'), ['p']);
  assert.deepEqual(deltaColumnNames(dir, 'f'), ['p', 'sf', 'f', 'g', 'col']);
  assert.deepEqual(deltaColumnNames(dir, 'g'), ['d', 'p', 'ts', '_rescued_data']);
  assert.deepEqual(deltaColumnNames(dir, 'h'), ['window', 'n']);
});

test('a name given twice in a reached SELECT, or with a character Delta refuses, is refused at the item', async () => {
  const dir = pipeline('reach-names', [
    'CREATE MATERIALIZED VIEW a AS SELECT p, p FROM src;',
    'CREATE MATERIALIZED VIEW b AS SELECT p, d AS P FROM src;',
    'CREATE MATERIALIZED VIEW c AS SELECT * FROM (SELECT p, d,',
    '  s.f AS d FROM src);',
    'CREATE MATERIALIZED VIEW d AS SELECT p AS `last update` FROM src;',
    'CREATE MATERIALIZED VIEW e AS WITH c AS (SELECT d AS `a=b` FROM src) SELECT * FROM c;',
    // Not reached: the inner names are never written.
    'CREATE MATERIALIZED VIEW f AS SELECT k FROM (SELECT p AS k, p AS `x y`, d AS k2, d AS K2 FROM src);',
  ]);
  assert.deepEqual(await refusals(dir), [
    ['DELTA_DUPLICATE_COLUMNS_FOUND', 'a', 't.sql', 2, 'p'],
    ['DELTA_DUPLICATE_COLUMNS_FOUND', 'b', 't.sql', 3, 'd AS P'],
    ['DELTA_DUPLICATE_COLUMNS_FOUND', 'c', 't.sql', 5, 's.f AS d'],
    ['DELTA_INVALID_CHARACTERS_IN_COLUMN_NAMES', 'd', 't.sql', 6, 'p AS `last update`'],
    ['DELTA_INVALID_CHARACTERS_IN_COLUMN_NAMES', 'e', 't.sql', 7, 'd AS `a=b`'],
  ]);
});
