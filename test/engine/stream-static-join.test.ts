import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { ndjson, readTable, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

// A streaming view joining a stream with a table read as a batch: each micro-batch joins its new
// stream rows with the table as it is then (Spark's stream–static join). The table side is never
// read incrementally — an update whose stream rows match old table rows still finds them.
const PIPELINE = {
  'spark-pipeline.yml': 'name: viewjoin\n',
  'transformations/p.sql': `
CREATE OR REFRESH STREAMING TABLE src AS SELECT * FROM STREAM read_files('data/in', format => 'json');
CREATE OR REFRESH MATERIALIZED VIEW ref AS SELECT * FROM read_files('data/ref', format => 'json');
CREATE TEMPORARY VIEW v AS SELECT s.id, s.k, r.name FROM STREAM(src) s JOIN ref r ON s.k = r.k;
CREATE OR REFRESH STREAMING TABLE out AS SELECT * FROM STREAM(v);
`,
};

test('a stream joined with a table inside a view: every update joins its new rows with the whole table', async () => {
  const dir = tmpDir('viewjoin');
  writeFiles(dir, {
    ...PIPELINE,
    'data/ref/ref.json': ndjson([
      { k: 1, name: 'one' },
      { k: 2, name: 'two' },
    ]),
    'data/in/1.json': ndjson([{ id: 1, k: 1 }]),
  });
  assert.equal((await runCli(['run', dir])).code, 0);

  // New stream rows matching table rows that did not change, and a new table row.
  writeFiles(dir, {
    'data/in/2.json': ndjson([
      { id: 2, k: 1 },
      { id: 3, k: 2 },
      { id: 4, k: 3 },
    ]),
    'data/ref/ref2.json': ndjson([{ k: 3, name: 'three' }]),
  });
  const second = await runCli(['run', dir]);
  assert.equal(second.code, 0, second.stderr);

  const out = await readTable(tableDir(dir, 'out'), 'id');
  assert.deepEqual(
    out.map((r) => [Number(r.id), Number(r.k), r.name]),
    [
      [1, 1, 'one'],
      [2, 1, 'one'],
      [3, 2, 'two'],
      [4, 3, 'three'],
    ],
  );
});
