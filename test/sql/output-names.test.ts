// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are pipeline source code
/**
 * A dataset's output columns are named by the user: an unaliased computed select item (Spark
 * names it after the expression's text, `count(1)`, `(d + 1)`, which Delta tables refuse without
 * column mapping) is UNALIASED_EXPRESSION at validate, with the user's text and file:line; column
 * references, struct fields, stars, generators and window() keep working, checked through the
 * written Delta tables' schemas as chdb reads them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPipeline, validatePipeline } from '../../src/index.ts';
import { runCli } from '../helpers/cli.ts';
import { deltaColumnNames, ndjson, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

const DATA = ndjson([
  { p: 'Ab', d: 1.5, ts: '2024-01-01T00:00:00Z', arr: [1, 2], s: { f: 1, g: 'x' } },
  { p: 'c', d: 2.5, ts: '2024-01-01T00:05:00Z', arr: [3], s: { f: 2, g: 'y' } },
]);

const SRC = `CREATE MATERIALIZED VIEW src AS SELECT * FROM read_files('data', format => 'json', schemaHints => 'ts TIMESTAMP');`;

/** A pipeline folder with `data/a.json` and `t.sql` holding `lines` (line 1 is SRC). */
function pipeline(name: string, lines: readonly string[], extra: Record<string, string> = {}): string {
  const dir = tmpDir(name);
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: nm\nlibraries:\n  - glob: {include: "*.sql"}\n  - glob: {include: "*.ts"}\n',
    'data/a.json': DATA,
    't.sql': `${[SRC, ...lines].join('\n')}\n`,
    ...extra,
  });
  return dir;
}

/** The validate errors as [code, dataset, file, line, expression]. */
async function refusals(dir: string): Promise<unknown[][]> {
  const v = await validatePipeline(dir);
  return v.errors.map((e) => [e.code, e.dataset, e.location?.file, e.location?.line, e.params?.expression]);
}

async function runs(dir: string): Promise<void> {
  const outcome = await runPipeline(dir);
  assert.equal(outcome.kind, 'ran', JSON.stringify(outcome));
  if (outcome.kind !== 'ran') return;
  assert.equal(outcome.result.state, 'COMPLETED', JSON.stringify(outcome.result.flows.map((f) => f.error)));
}

test("unaliased computed items of a dataset's output are refused with the user's text and line", async () => {
  const dir = pipeline('unaliased', [
    'CREATE MATERIALIZED VIEW m1 AS SELECT p, count(*) FROM src GROUP BY p;',
    'CREATE MATERIALIZED VIEW m2 AS SELECT p, sum(d) FROM src GROUP BY p;',
    'CREATE MATERIALIZED VIEW m3 AS SELECT p,',
    '  d + 1, d AS e FROM src;',
    'CREATE MATERIALIZED VIEW m4 AS SELECT upper(p) FROM src;',
    "CREATE MATERIALIZED VIEW m5 AS SELECT 'x' FROM src;",
    'CREATE MATERIALIZED VIEW m6 AS SELECT 1 FROM src;',
    'CREATE MATERIALIZED VIEW m7 AS SELECT CAST(d AS INT) FROM src;',
    'CREATE MATERIALIZED VIEW m8 AS SELECT (d + 1) * 2 FROM src;',
    'CREATE MATERIALIZED VIEW m9 AS SELECT DISTINCT lower(p) FROM src;',
    'CREATE MATERIALIZED VIEW m10 AS SELECT arr[0] FROM src;',
    "CREATE MATERIALIZED VIEW m11 AS SELECT p AS k, coalesce(p, 'z') FROM src;",
    'CREATE MATERIALIZED VIEW m12 AS SELECT * EXCEPT (arr), (SELECT max(d) FROM src) + 1 FROM src;',
  ]);
  assert.deepEqual(await refusals(dir), [
    ['UNALIASED_EXPRESSION', 'm1', 't.sql', 2, 'count(*)'],
    ['UNALIASED_EXPRESSION', 'm2', 't.sql', 3, 'sum(d)'],
    ['UNALIASED_EXPRESSION', 'm3', 't.sql', 5, 'd + 1'],
    ['UNALIASED_EXPRESSION', 'm4', 't.sql', 6, 'upper(p)'],
    ['UNALIASED_EXPRESSION', 'm5', 't.sql', 7, "'x'"],
    ['UNALIASED_EXPRESSION', 'm6', 't.sql', 8, '1'],
    ['UNALIASED_EXPRESSION', 'm7', 't.sql', 9, 'CAST(d AS INT)'],
    ['UNALIASED_EXPRESSION', 'm8', 't.sql', 10, '(d + 1) * 2'],
    ['UNALIASED_EXPRESSION', 'm9', 't.sql', 11, 'lower(p)'],
    ['UNALIASED_EXPRESSION', 'm10', 't.sql', 12, 'arr[0]'],
    ['UNALIASED_EXPRESSION', 'm11', 't.sql', 13, "coalesce(p, 'z')"],
    ['UNALIASED_EXPRESSION', 'm12', 't.sql', 14, '(SELECT max(d) FROM src) + 1'],
  ]);
});

test('views, streaming tables, streaming aggregations, flows, set operations and declared columns are checked too', async () => {
  const dir = pipeline(
    'unaliased-kinds',
    [
      'CREATE TEMPORARY VIEW tv AS SELECT p, length(p) FROM src;',
      'CREATE VIEW v AS SELECT p || p FROM src;',
      'CREATE STREAMING TABLE st AS SELECT p, d * 2 FROM STREAM(src);',
      "CREATE STREAMING TABLE agg AS SELECT window(ts, '1 minute'), count(*)",
      "  FROM STREAM(src) WATERMARK ts DELAY OF INTERVAL 1 MINUTE GROUP BY window(ts, '1 minute');",
      'CREATE MATERIALIZED VIEW u AS SELECT upper(p) FROM src UNION ALL SELECT p FROM src;',
      'CREATE MATERIALIZED VIEW dc (p STRING, n BIGINT) AS SELECT p, count(*) FROM src GROUP BY p;',
      'CREATE STREAMING TABLE target;',
      'CREATE FLOW f AS INSERT INTO target BY NAME SELECT abs(d) FROM STREAM(src);',
    ],
    {
      'api.ts': [
        "import { materializedView, read, sql } from 'sluice';",
        '',
        'materializedView(',
        "  { name: 'from_ts' },",
        "  sql`SELECT p, max(d) FROM ${read('src')} GROUP BY p`,",
        ');',
      ].join('\n'),
    },
  );
  const got = await refusals(dir);
  assert.deepEqual(
    got.filter((e) => e[2] === 't.sql'),
    [
      ['UNALIASED_EXPRESSION', 'tv', 't.sql', 2, 'length(p)'],
      ['UNALIASED_EXPRESSION', 'v', 't.sql', 3, 'p || p'],
      ['UNALIASED_EXPRESSION', 'st', 't.sql', 4, 'd * 2'],
      ['UNALIASED_EXPRESSION', 'agg', 't.sql', 5, 'count(*)'],
      ['UNALIASED_EXPRESSION', 'u', 't.sql', 7, 'upper(p)'],
      // Declared columns are matched to the query's output by name, so they name nothing.
      ['UNALIASED_EXPRESSION', 'dc', 't.sql', 8, 'count(*)'],
      ['UNALIASED_EXPRESSION', 'target', 't.sql', 10, 'abs(d)'],
    ],
  );
  // A TypeScript dataset's sql`…` compiles through the same path, placed at its call.
  assert.deepEqual(
    got.filter((e) => e[2] !== 't.sql').map((e) => [e[0], e[1], e[3], e[4]]),
    [['UNALIASED_EXPRESSION', 'from_ts', 3, 'max(d)']],
  );
});

test('sluice validate exits 1 naming the expression and its line, before any table is written', async () => {
  const dir = pipeline('unaliased-cli', [
    'CREATE MATERIALIZED VIEW m AS SELECT p, count(*) FROM src GROUP BY p;',
  ]);
  const r = await runCli(['validate', dir]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stdout + r.stderr,
    /UNALIASED_EXPRESSION: the select item `count\(\*\)` has no alias.*\(t\.sql:2:/,
  );
  const run = await runCli(['run', dir]);
  assert.notEqual(run.code, 0);
  assert.throws(() => deltaColumnNames(dir, 'm'));
});

test('only the output is checked: subqueries, CTEs, the second branch, GROUP BY and ORDER BY are free', async () => {
  const dir = pipeline('unaliased-free', [
    'CREATE MATERIALIZED VIEW a AS WITH c AS (SELECT p, upper(p) FROM src) SELECT p FROM c',
    '  WHERE p IN (SELECT lower(p) FROM src) GROUP BY p, upper(p) ORDER BY count(*), upper(p);',
    'CREATE MATERIALIZED VIEW b AS SELECT p, count(*) + 0 AS n FROM src GROUP BY p',
    '  UNION ALL SELECT upper(p), 1 FROM src;',
  ]);
  assert.deepEqual(await refusals(dir), []);
  await runs(dir);
  assert.deepEqual(deltaColumnNames(dir, 'a'), ['p']);
  assert.deepEqual(deltaColumnNames(dir, 'b'), ['p', 'n']);
});

test("column references, struct fields, stars (a struct's fields too), generators, window(), session_window() and aliases run with their names", async () => {
  const dir = pipeline('unaliased-allowed', [
    'CREATE MATERIALIZED VIEW refs AS SELECT t.p, d, (ts), s.f, s.g, count(*) n FROM src t GROUP BY t.p, d, ts, s.f, s.g;',
    'CREATE MATERIALIZED VIEW stars AS SELECT * EXCEPT (arr, s) FROM src;',
    'CREATE MATERIALIZED VIEW sstar AS SELECT s.*, d FROM src;',
    'CREATE MATERIALIZED VIEW tsstar AS SELECT t.s.*, d FROM src t;',
    'CREATE MATERIALIZED VIEW qstar AS SELECT t.* EXCEPT (t.arr, t.s, t.ts), 1 AS one FROM src t;',
    'CREATE MATERIALIZED VIEW gen AS SELECT p, explode(arr) FROM src;',
    'CREATE MATERIALIZED VIEW pgen AS SELECT posexplode(arr) FROM src;',
    "CREATE STREAMING TABLE win AS SELECT window(ts, '1 minute'), count(*) AS n",
    "  FROM STREAM(src) WATERMARK ts DELAY OF INTERVAL 1 MINUTE GROUP BY window(ts, '1 minute');",
    "CREATE STREAMING TABLE ses AS SELECT session_window(ts, '1 minute'), count(*) AS n",
    "  FROM STREAM(src) WATERMARK ts DELAY OF INTERVAL 1 MINUTE GROUP BY session_window(ts, '1 minute');",
    'CREATE MATERIALIZED VIEW dc (p STRING, n BIGINT) AS SELECT p, count(*) AS n FROM src GROUP BY p;',
  ]);
  assert.deepEqual(await refusals(dir), []);
  await runs(dir);
  assert.deepEqual(deltaColumnNames(dir, 'refs'), ['p', 'd', 'ts', 'f', 'g', 'n']);
  assert.deepEqual(deltaColumnNames(dir, 'stars'), ['d', 'p', 'ts', '_rescued_data']);
  assert.deepEqual(deltaColumnNames(dir, 'sstar'), ['f', 'g', 'd']);
  assert.deepEqual(deltaColumnNames(dir, 'tsstar'), ['f', 'g', 'd']);
  assert.deepEqual(deltaColumnNames(dir, 'qstar'), ['d', 'p', '_rescued_data', 'one']);
  assert.deepEqual(deltaColumnNames(dir, 'gen'), ['p', 'col']);
  assert.deepEqual(deltaColumnNames(dir, 'pgen'), ['pos', 'col']);
  assert.deepEqual(deltaColumnNames(dir, 'win'), ['window', 'n']);
  assert.deepEqual(deltaColumnNames(dir, 'ses'), ['session_window', 'n']);
  assert.deepEqual(deltaColumnNames(dir, 'dc'), ['p', 'n']);
});
