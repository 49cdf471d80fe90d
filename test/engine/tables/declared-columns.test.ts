import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPipeline, type SluiceError, validatePipeline } from '../../../src/index.ts';
import { ndjson, readTable, tableDir, writeFiles } from '../../helpers/pipeline.ts';
import { session } from '../../helpers/session.ts';
import { tmpDir } from '../../helpers/tmp.ts';

const READ = "read_files('data', format => 'json')";

test("a materialized view's declared columns must be its query's, by name and in order: other names, fewer, or another order are DECLARED_COLUMNS_MISMATCH at validate and at run, another type USER_SPECIFIED_AND_INFERRED_SCHEMA_NOT_COMPATIBLE, nothing written", async () => {
  const dir = tmpDir('declared-columns');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: declared\n',
    'transformations/m.sql': `CREATE MATERIALIZED VIEW renamed (a STRING, n BIGINT) AS SELECT p, count(*) AS c FROM ${READ} GROUP BY p;
CREATE MATERIALIZED VIEW fewer (p STRING) AS SELECT p, count(*) AS n FROM ${READ} GROUP BY p;
CREATE MATERIALIZED VIEW reordered (n BIGINT, p STRING) AS SELECT p, count(*) AS n FROM ${READ} GROUP BY p;
CREATE MATERIALIZED VIEW same (P STRING NOT NULL, n BIGINT COMMENT 'rows') AS SELECT p, count(*) AS n FROM ${READ} GROUP BY p;
CREATE MATERIALIZED VIEW constraints_only (CONSTRAINT has_p EXPECT (p IS NOT NULL)) AS SELECT p FROM ${READ};
CREATE MATERIALIZED VIEW narrowed (p STRING, n INT) AS SELECT p, count(*) AS n FROM ${READ} GROUP BY p;
`,
    'data/a.json': ndjson([{ p: 'a' }, { p: 'a' }, { p: 'b' }]),
  });
  const brief = (l: readonly SluiceError[]) =>
    l.map((e) => [e.code, e.dataset, e.location?.line] as const).sort((x, y) => Number(x[2]) - Number(y[2]));
  const expected = [
    ['DECLARED_COLUMNS_MISMATCH', 'renamed', 1],
    ['DECLARED_COLUMNS_MISMATCH', 'fewer', 2],
    ['DECLARED_COLUMNS_MISMATCH', 'reordered', 3],
    // Declared types are held to Spark's rule (declared-schema.ts): BIGINT is not cast to INT.
    ['USER_SPECIFIED_AND_INFERRED_SCHEMA_NOT_COMPATIBLE', 'narrowed', 6],
  ];
  const v = await validatePipeline(dir, { session });
  assert.deepEqual(brief(v.errors), expected);
  assert.match(
    v.errors.find((e) => e.dataset === 'renamed')!.message,
    /declares the columns \(a, n\) but its query returns \(p, c\)/,
  );
  const run = await runPipeline(dir, { session });
  assert.equal(run.kind, 'ran');
  if (run.kind !== 'ran') return;
  const failed = run.result.flows.filter((f) => f.state === 'FAILED');
  assert.deepEqual(brief(failed.map((f) => f.error!)), expected);
  for (const name of ['renamed', 'fewer', 'reordered', 'narrowed']) {
    await assert.rejects(readTable(tableDir(dir, name), 'p'), Error, `${name} has no table`);
  }
  // Names match without regard to case; the declared type and nullability apply.
  assert.deepEqual(
    (await readTable(tableDir(dir, 'same'), 'P')).map((r) => [r.P ?? r.p, Number(r.n)]),
    [
      ['a', 2],
      ['b', 1],
    ],
  );
  assert.deepEqual(
    (await readTable(tableDir(dir, 'constraints_only'), 'p')).map((r) => r.p),
    ['a', 'a', 'b'],
  );
});
