import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  type FlowResult,
  runPipeline,
  type SluiceError,
  type ValidationResult,
  validatePipeline,
} from '../../../src/index.ts';
import { duck, ndjson, readTable, tableDir, writeFiles } from '../../helpers/pipeline.ts';
import { session } from '../../helpers/session.ts';
import { ROOT, tmpDir } from '../../helpers/tmp.ts';

/**
 * validate binds each flow's query over its inputs' known schemas: what the run would refuse for
 * a name or a type is an error at validate, with the run's code, dataset and file:line; what it
 * cannot know (no files yet, a value that does not convert) is left to the run.
 */

const RECORDS = [
  { id: 1, ts: '2026-01-01T00:00:01Z', items: [{ f: 1, g: 'a' }] },
  {
    id: 2,
    ts: '2026-01-01T00:00:30Z',
    items: [
      { f: 2, g: 'b' },
      { f: 5, g: 'c' },
    ],
  },
  { id: 3, ts: '2026-01-01T00:01:10Z', items: [] },
  { id: 4, ts: '2026-01-01T00:03:00Z', items: [{ f: 4, g: 'd' }] },
];

function pipeline(sql: string, files: Record<string, string> = { 'data/a.json': ndjson(RECORDS) }): string {
  const dir = tmpDir('query-binding');
  writeFiles(dir, { 'spark-pipeline.yml': 'name: x\n', 'transformations/p.sql': sql, ...files });
  return dir;
}

function validate(dir: string): Promise<ValidationResult> {
  return validatePipeline(dir, { session });
}

type Brief = [
  code: string,
  dataset: string | undefined,
  line: number | undefined,
  column: number | undefined,
];
const brief = (e: SluiceError): Brief => [e.code, e.dataset, e.location?.line, e.location?.column];

async function runErrors(dir: string): Promise<Map<string, SluiceError>> {
  const outcome = await runPipeline(dir, { session });
  assert.equal(outcome.kind, 'ran');
  if (outcome.kind !== 'ran') throw new Error('unreachable');
  const failed = outcome.result.flows.filter((f: FlowResult) => f.state === 'FAILED');
  return new Map(failed.map((f) => [f.flow, f.error!]));
}

test('a column the input lacks is the run’s UNRESOLVED_COLUMN at validate, with dataset and file:line; readers are UPSTREAM_FAILED', async () => {
  const dir = pipeline(
    [
      "CREATE MATERIALIZED VIEW j AS SELECT nosuch FROM read_files('data', format => 'json');",
      'CREATE MATERIALIZED VIEW k AS SELECT id FROM j;',
      "CREATE MATERIALIZED VIEW l AS SELECT id + 'x' AS z FROM read_files('data', format => 'json');",
    ].join('\n'),
  );
  const v = await validate(dir);
  assert.equal(v.valid, false);
  assert.deepEqual(v.errors.map(brief), [['UNRESOLVED_COLUMN', 'j', 1, 38]]);
  assert.equal(v.errors[0]!.location?.file, 'transformations/p.sql');
  assert.match(v.errors[0]!.message, /column 'nosuch' cannot be resolved; did you mean 'ts'\?/);
  assert.doesNotMatch(v.errors[0]!.message, /__sluice|CAST\(NULL/);
  assert.deepEqual(v.downstream.map(brief), [['UPSTREAM_FAILED', 'k', 2, 1]]);
  assert.ok(v.graph!.failed.has('j') && v.graph!.failed.has('k') && !v.graph!.failed.has('l'));
  // `id + 'x'` binds (DuckDB converts the literal per row): a value error the run reports, only
  // when there are rows — not something binding shows.
  assert.ok(!v.errors.some((e) => e.dataset === 'l'));
  // Nothing read or written beyond the schema inference: no storage appeared.
  assert.equal(v.runnable, true);

  // The run gives j the same error.
  const run = await runErrors(dir);
  assert.deepEqual(brief(run.get('j')!), brief(v.errors[0]!));
  assert.equal(run.get('j')!.message, v.errors[0]!.message);
  assert.equal(run.get('l')!.code, 'CAST_INVALID_INPUT');

  // Without the binding, the graph alone is valid (the check is what finds it).
  const graphOnly = await validatePipeline(dir, { session, bindQueries: false });
  assert.equal(graphOnly.valid, true);
});

test('an upstream dataset’s output schema feeds a downstream binding error, across stored tables and streams', async () => {
  const dir = pipeline(
    [
      "CREATE STREAMING TABLE bronze AS SELECT * FROM STREAM read_files('data', format => 'json');",
      'CREATE MATERIALIZED VIEW silver AS SELECT id AS ident, size(items) AS n, ts FROM bronze;',
      'CREATE MATERIALIZED VIEW gold AS SELECT ident, id FROM silver;',
      'CREATE MATERIALIZED VIEW gold2 AS SELECT n.f AS nf FROM silver;',
      'CREATE STREAMING TABLE s2 AS SELECT ident, lower(ts) AS t FROM STREAM(silver2);',
      'CREATE TEMPORARY VIEW silver2_v AS SELECT ident, n FROM silver;',
      'CREATE STREAMING TABLE silver2 AS SELECT id AS ident, ts FROM STREAM(bronze);',
      'CREATE MATERIALIZED VIEW through_view AS SELECT ident, missing_col FROM silver2_v;',
      'CREATE MATERIALIZED VIEW fine AS SELECT ident, n * 2 AS n2 FROM silver2_v;',
    ].join('\n'),
  );
  const v = await validate(dir);
  const byDataset = new Map(v.errors.map((e) => [e.dataset, e]));
  assert.deepEqual(brief(byDataset.get('gold')!), ['UNRESOLVED_COLUMN', 'gold', 3, 48]);
  assert.match(byDataset.get('gold')!.message, /column 'id' cannot be resolved/);
  assert.deepEqual(brief(byDataset.get('gold2')!), ['DATATYPE_MISMATCH', 'gold2', 4, 42]);
  assert.equal(byDataset.get('through_view')!.code, 'UNRESOLVED_COLUMN');
  // lower() of a timestamp is DATATYPE_MISMATCH in DuckDB: only if the run says so too.
  const run = await runErrors(dir);
  for (const [dataset, e] of byDataset) {
    const r = run.get(dataset!);
    assert.ok(r, `the run does not fail '${dataset}' (validate: ${e.code})`);
    assert.deepEqual(brief(r), brief(e), dataset);
  }
  // …and every flow the run fails for such a reason was found at validate.
  for (const [flow, e] of run)
    assert.ok(byDataset.has(flow), `${flow} failed at run only: ${e.code} ${e.message}`);
  assert.ok(!byDataset.has('fine') && !byDataset.has('silver') && !byDataset.has('bronze'));
});

test('file sources are typed by the run’s own inference: options, schema hints, a declared schema, _rescued_data, _metadata, cloud_files', async () => {
  const dir = pipeline(
    [
      // A column the files lack is there once a schema hint names it.
      "CREATE MATERIALIZED VIEW unhinted AS SELECT extra FROM read_files('data', format => 'json');",
      "CREATE MATERIALIZED VIEW hinted AS SELECT lower(extra) AS l FROM read_files('data', format => 'json', schemaHints => 'extra STRING');",
      "CREATE MATERIALIZED VIEW declared AS SELECT upper(id) AS u, nope FROM read_files('data', format => 'json', schema => 'id STRING, nope INT');",
      "CREATE MATERIALIZED VIEW meta AS SELECT _metadata.file_name AS f, _rescued_data AS r FROM read_files('data', format => 'json', rescuedDataColumn => '_rescued_data');",
      "CREATE STREAMING TABLE legacy AS SELECT lower(id) AS l FROM cloud_files('data', 'json', map('cloudFiles.schemaHints', 'id STRING'));",
      "CREATE STREAMING TABLE legacy_bad AS SELECT id, missing FROM cloud_files('data', 'json');",
    ].join('\n'),
  );
  const v = await validate(dir);
  assert.deepEqual(v.errors.map(brief).sort(), [
    ['UNRESOLVED_COLUMN', 'legacy_bad', 6, 49],
    ['UNRESOLVED_COLUMN', 'unhinted', 1, 45],
  ]);
  const run = await runErrors(dir);
  assert.deepEqual(
    [...run.entries()].map(([, e]) => brief(e)).sort(),
    v.errors.map(brief).sort(),
    'the run fails exactly these flows, the same way',
  );
});

test('a stream that has not read yet is bound with its first batch’s schema, as the run infers it (maxFilesPerTrigger)', async () => {
  const dir = pipeline(
    "CREATE STREAMING TABLE s AS SELECT id, extra FROM STREAM read_files('data', format => 'json', maxFilesPerTrigger => 1);",
    {
      'data/a.json': ndjson([{ id: 1 }]),
      'data/b.json': ndjson([{ id: 2, extra: 'x' }]),
    },
  );
  const v = await validate(dir);
  assert.deepEqual(v.errors.map(brief), [['UNRESOLVED_COLUMN', 's', 1, 40]]);
  assert.deepEqual(brief((await runErrors(dir)).get('s')!), brief(v.errors[0]!));
});

test('a source without files yet, or whose only file is empty, is not known: no error, and nothing downstream of it is checked', async () => {
  const dir = pipeline(
    [
      "CREATE STREAMING TABLE raw AS SELECT nosuch FROM STREAM read_files('incoming', format => 'json');",
      'CREATE MATERIALIZED VIEW after_raw AS SELECT other FROM raw;',
      "CREATE MATERIALIZED VIEW empty_one AS SELECT nosuch FROM read_files('empty', format => 'json');",
    ].join('\n'),
    { 'empty/e.json': '' },
  );
  mkdirSync(join(dir, 'incoming'));
  const v = await validate(dir);
  assert.deepEqual(v.errors, []);
  assert.equal(v.valid, true);
});

test('a Delta input — a path-based delta.`…` table and a pipeline table that exists — is bound with its schema from the log', async () => {
  // A real Delta table, written by a pipeline run.
  const producer = pipeline(
    "CREATE MATERIALIZED VIEW t AS SELECT id, items FROM read_files('data', format => 'json');",
  );
  const ran = await runPipeline(producer, { session });
  assert.equal(ran.kind, 'ran');
  const tablePath = tableDir(producer, 't');
  const dir = pipeline(
    [
      `CREATE MATERIALIZED VIEW by_path AS SELECT id, nope FROM delta.\`${tablePath}\`;`,
      `CREATE MATERIALIZED VIEW ok_path AS SELECT id, items.f AS fs FROM delta.\`${tablePath}\`;`,
      // A streaming table that already holds a column its query no longer writes keeps it.
      "CREATE STREAMING TABLE st AS SELECT id FROM STREAM read_files('data', format => 'json');",
      'CREATE MATERIALIZED VIEW reads_st AS SELECT id FROM st;',
    ].join('\n'),
  );
  const v = await validate(dir);
  assert.deepEqual(v.errors.map(brief), [['UNRESOLVED_COLUMN', 'by_path', 1, 48]]);

  // The pipeline runs once with st holding `extra`, then its query drops it: a reader of `extra`
  // is still fine (the table keeps the column), one of a column never there is not.
  const evolving = pipeline(
    [
      "CREATE STREAMING TABLE st AS SELECT id, ts AS extra FROM STREAM read_files('data', format => 'json');",
      'CREATE MATERIALIZED VIEW reads_st AS SELECT id, extra FROM st;',
    ].join('\n'),
  );
  assert.equal((await runPipeline(evolving, { session })).kind, 'ran');
  writeFiles(evolving, {
    'transformations/p.sql': [
      "CREATE STREAMING TABLE st AS SELECT id FROM STREAM read_files('data', format => 'json');",
      'CREATE MATERIALIZED VIEW reads_st AS SELECT id, extra FROM st;',
      'CREATE MATERIALIZED VIEW reads_never AS SELECT never_there FROM st;',
    ].join('\n'),
  });
  const again = await validate(evolving);
  assert.deepEqual(again.errors.map(brief), [['UNRESOLVED_COLUMN', 'reads_never', 3, 48]]);
  const run = await runErrors(evolving);
  assert.deepEqual([...run.keys()], ['reads_never']);
});

test('field access through an array of structs in a streaming aggregation and a join condition validates and runs, rows as DuckDB computes them', async () => {
  const dir = pipeline(
    [
      "CREATE STREAMING TABLE agg AS SELECT window(ts, '1 minute') w, count(*) AS n, max(size(items.f)) AS m, sum(aggregate(items.f, 0, (a, x) -> a + x)) AS total",
      "FROM STREAM read_files('data', format => 'json', schemaHints => 'ts TIMESTAMP') WATERMARK ts DELAY OF INTERVAL 10 SECONDS GROUP BY w;",
      "CREATE MATERIALIZED VIEW src AS SELECT * FROM read_files('data', format => 'json');",
      'CREATE MATERIALIZED VIEW jn AS SELECT a.id, b.id AS bid FROM src a JOIN src b ON array_contains(a.items.f, b.id);',
      "CREATE STREAMING TABLE dd AS SELECT DISTINCT id, items.g AS gs, ts FROM STREAM read_files('data', format => 'json', schemaHints => 'ts TIMESTAMP') WATERMARK ts DELAY OF INTERVAL 10 SECONDS;",
    ].join('\n'),
  );
  const v = await validate(dir);
  assert.deepEqual(v.errors, []);
  const run = await runPipeline(dir, { session });
  assert.equal(run.kind, 'ran');
  if (run.kind !== 'ran') return;
  assert.deepEqual(
    run.result.flows.filter((f) => f.state === 'FAILED').map((f) => [f.flow, f.error?.message]),
    [],
  );
  const file = join(dir, 'data', 'a.json');
  const json = `read_json('${file}', columns = {id: 'BIGINT', ts: 'TIMESTAMPTZ', items: 'STRUCT(f BIGINT, g VARCHAR)[]'})`;
  // Windows the watermark (max ts − 10 s = 00:02:50) closed: [00:00, 00:01) and [00:01, 00:02).
  const text = (rows: Record<string, unknown>[]) =>
    rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, x]) => [k, String(x)])));
  const expectedAgg = await duck(
    `SELECT b AS start, count(*) AS n, max(len([x.f for x in items])) AS m,
            sum(coalesce(list_sum([x.f for x in items]), 0)) AS total
     FROM (SELECT *, time_bucket(INTERVAL 1 minute, ts) AS b FROM ${json})
     WHERE b + INTERVAL 1 minute <= TIMESTAMPTZ '2026-01-01 00:02:50Z' GROUP BY b ORDER BY b`,
  );
  const agg = await readTable(tableDir(dir, 'agg'), 'w.start');
  assert.deepEqual(
    text(agg.map((r) => ({ start: (r.w as { start: unknown }).start, n: r.n, m: r.m, total: r.total }))),
    text(expectedAgg),
  );
  assert.equal(agg.length, 2);
  const expectedJoin = await duck(
    `SELECT a.id, b.id AS bid FROM ${json} a JOIN ${json} b ON list_contains([x.f for x in a.items], b.id) ORDER BY 1, 2`,
  );
  assert.deepEqual(text(await readTable(tableDir(dir, 'jn'), 'id, bid')), text(expectedJoin));
  assert.ok(expectedJoin.length >= 3);
  const dd = await readTable(tableDir(dir, 'dd'), 'id');
  assert.deepEqual(
    dd.map((r) => [String(r.id), JSON.stringify(r.gs)]),
    RECORDS.map((r) => [String(r.id), JSON.stringify(r.items.map((x) => x.g))]),
  );

  // A field the structs lack is the run's DATATYPE_MISMATCH, at validate.
  writeFiles(dir, {
    'transformations/p.sql': [
      "CREATE MATERIALIZED VIEW src AS SELECT * FROM read_files('data', format => 'json');",
      'CREATE MATERIALIZED VIEW jn AS SELECT a.id FROM src a JOIN src b ON array_contains(a.items.nope, b.id);',
    ].join('\n'),
  });
  const bad = await validate(dir);
  assert.deepEqual(bad.errors.map(brief), [['DATATYPE_MISMATCH', 'jn', 2, 86]]);
  assert.deepEqual(brief((await runErrors(dir)).get('jn')!), brief(bad.errors[0]!));
});

test('the pipelines under test/fixtures and examples/ validate as before: the binding adds no error', async () => {
  const dirs = [
    'test/fixtures/pipelines/reference-sql',
    'test/fixtures/pipelines/reference-ts',
    'test/fixtures/pipelines/reference-ts-complete',
    'examples/events',
    'examples/events-ts',
    'examples/cdc',
  ];
  for (const d of dirs) {
    const dir = join(ROOT, d);
    const bound = await validatePipeline(dir, { session });
    const graphOnly = await validatePipeline(dir, { session, bindQueries: false });
    assert.deepEqual(
      bound.errors.map((e) => e.toJSON()),
      graphOnly.errors.map((e) => e.toJSON()),
      d,
    );
    assert.equal(bound.valid, true, d);
  }
});
