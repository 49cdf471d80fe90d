/**
 * Column names Delta refuses to save, seen on a query's bound output: two columns of one name
 * (compared without regard to case; also a subquery's duplicate that DuckDB names apart as
 * `x_1`) are DELTA_DUPLICATE_COLUMNS_FOUND, and a column or nested field name holding one of
 * ` ,;{}()\n\t=` is DELTA_INVALID_CHARACTERS_IN_COLUMN_NAMES — at validate when the inputs'
 * schemas are known, and before the run writes anything (no table). A real column named `f_1`,
 * and names renamed by an alias, are written as they are (read back through chdb).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { runPipeline, type SluiceError, validatePipeline } from '../../../src/index.ts';
import { deltaColumnNames, ndjson, tableDir, writeFiles } from '../../helpers/pipeline.ts';
import { session } from '../../helpers/session.ts';
import { tmpDir } from '../../helpers/tmp.ts';

const DATA = ndjson([
  {
    k: 1,
    f: 'a',
    f_1: 'real',
    'Last Update': '2024-01-01',
    s: { f: 1, g: 2 },
    n: { 'in ner': { 'x=y': 1 } },
  },
  {
    k: 2,
    f: 'b',
    f_1: 'real2',
    'Last Update': '2024-01-02',
    s: { f: 3, g: 4 },
    n: { 'in ner': { 'x=y': 2 } },
  },
]);

/** A temporary view `src` over the JSON file (a view is never written: its names are free). */
const SRC = "CREATE TEMPORARY VIEW src AS SELECT * FROM read_files('data', format => 'json');";

function pipeline(name: string, lines: readonly string[]): string {
  const dir = tmpDir(name);
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: names\nlibraries:\n  - glob: {include: "*.sql"}\n',
    'data/a.json': DATA,
    't.sql': `${[SRC, ...lines].join('\n')}\n`,
  });
  return dir;
}

const brief = (l: readonly SluiceError[]) =>
  l
    .map(
      (e) =>
        [e.code, e.dataset, e.location?.file, e.location?.line, e.params.columns ?? e.params.column] as const,
    )
    .sort((x, y) => Number(x[3]) - Number(y[3]));

const REFUSED = [
  // Written as the star and the field give them: two columns `f`.
  'CREATE MATERIALIZED VIEW struct_dup AS SELECT s.*, s.f FROM src;',
  'CREATE MATERIALIZED VIEW join_dup AS SELECT a.*, b.* FROM (SELECT k, f FROM src) a',
  '  JOIN (SELECT k AS k2, f AS F FROM src) b ON a.k = b.k2;',
  'CREATE MATERIALIZED VIEW star_dup AS SELECT * EXCEPT (`Last Update`, s, n), k FROM src;',
  // DuckDB names the subquery\'s second `k` `k_1`; Spark keeps both `k`.
  'CREATE MATERIALIZED VIEW inner_dup AS SELECT * FROM (SELECT * EXCEPT (`Last Update`, s, n), K FROM src);',
  "CREATE STREAMING TABLE space_name AS SELECT * FROM STREAM(read_files('data', format => 'json'));",
  'CREATE MATERIALIZED VIEW nested_name AS SELECT k, n FROM src;',
  'CREATE MATERIALIZED VIEW nested_deeper AS SELECT k, array(n) AS arr FROM src;',
  // Expectations that drop or quarantine rows: refused before the batch is routed.
  'CREATE STREAMING TABLE quarantined (CONSTRAINT pos EXPECT (k > 0) ON VIOLATION DROP ROW)',
  "  AS SELECT s.*, s.f FROM STREAM(read_files('data', format => 'json'));",
];

const EXPECTED: [string, string, string, number, string][] = [
  ['DELTA_DUPLICATE_COLUMNS_FOUND', 'struct_dup', 't.sql', 2, 'f'],
  ['DELTA_DUPLICATE_COLUMNS_FOUND', 'join_dup', 't.sql', 3, 'f, F'],
  ['DELTA_DUPLICATE_COLUMNS_FOUND', 'star_dup', 't.sql', 5, 'k'],
  ['DELTA_DUPLICATE_COLUMNS_FOUND', 'inner_dup', 't.sql', 6, 'k'],
  ['DELTA_INVALID_CHARACTERS_IN_COLUMN_NAMES', 'space_name', 't.sql', 7, 'Last Update'],
  ['DELTA_INVALID_CHARACTERS_IN_COLUMN_NAMES', 'nested_name', 't.sql', 8, 'n.in ner'],
  ['DELTA_INVALID_CHARACTERS_IN_COLUMN_NAMES', 'nested_deeper', 't.sql', 9, 'arr.element.in ner'],
  ['DELTA_DUPLICATE_COLUMNS_FOUND', 'quarantined', 't.sql', 10, 'f'],
];

test('duplicate and invalid column names on the bound output are refused at validate and before the run writes', async () => {
  const dir = pipeline('column-names-refused', REFUSED);
  const v = await validatePipeline(dir, { session });
  assert.deepEqual(brief(v.errors), EXPECTED);
  // The run (without validate's binding) refuses each before writing: no table, no commit.
  const run = await runPipeline(dir, { session });
  assert.equal(run.kind, 'ran');
  if (run.kind !== 'ran') return;
  const failed = run.result.flows.filter((f) => f.state === 'FAILED').map((f) => f.error!);
  assert.deepEqual(brief(failed), EXPECTED);
  for (const e of EXPECTED) {
    assert.equal(existsSync(tableDir(dir, e[1])), false, `${e[1]} has no table`);
  }
});

test('a real column named f_1, renamed columns and a view over invalid names are written as they are', async () => {
  const dir = pipeline('column-names-ok', [
    'CREATE MATERIALIZED VIEW real_suffix AS SELECT f, f_1, k FROM src;',
    'CREATE MATERIALIZED VIEW inner_real AS SELECT * FROM (SELECT k, f, f_1 FROM src);',
    'CREATE MATERIALIZED VIEW alias_suffix AS SELECT * FROM (SELECT k, f, f AS f_2 FROM src);',
    'CREATE MATERIALIZED VIEW renamed AS SELECT k, `Last Update` AS last_update, s.f AS sf,',
    "  named_struct('g', s.g, 'inner', n.`in ner`.`x=y`) AS s2 FROM src;",
    // A view is not written: its names are checked where a table writes them.
    'CREATE TEMPORARY VIEW spaced AS SELECT k, `Last Update`, f AS g, f AS G FROM src;',
    'CREATE MATERIALIZED VIEW from_spaced AS SELECT k, `Last Update` AS lu FROM spaced;',
    "CREATE STREAMING TABLE rescued AS SELECT k, _rescued_data FROM STREAM(read_files('data', format => 'json',",
    "  schemaHints => 'k INT'));",
  ]);
  const v = await validatePipeline(dir, { session });
  assert.deepEqual(brief(v.errors), []);
  const run = await runPipeline(dir, { session });
  assert.equal(run.kind, 'ran');
  if (run.kind !== 'ran') return;
  assert.equal(run.result.state, 'COMPLETED', JSON.stringify(run.result.flows.map((f) => f.error?.message)));
  assert.deepEqual(deltaColumnNames(dir, 'real_suffix'), ['f', 'f_1', 'k']);
  assert.deepEqual(deltaColumnNames(dir, 'inner_real'), ['k', 'f', 'f_1']);
  assert.deepEqual(deltaColumnNames(dir, 'alias_suffix'), ['k', 'f', 'f_2']);
  assert.deepEqual(deltaColumnNames(dir, 'renamed'), ['k', 'last_update', 'sf', 's2']);
  assert.deepEqual(deltaColumnNames(dir, 'rescued'), ['k', '_rescued_data']);
  assert.deepEqual(deltaColumnNames(dir, 'from_spaced'), ['k', 'lu']);
});
