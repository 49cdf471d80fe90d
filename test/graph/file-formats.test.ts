import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileFormatDetector } from '../../src/graph/file-formats.ts';
import { runCli } from '../helpers/cli.ts';
import { ndjson, readTable, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

test('the format of read_files without format => is told from the files there', () => {
  const dir = tmpDir('formats');
  writeFiles(dir, {
    'j/a.json': '{}\n',
    'j/sub/b.json.gz': '',
    'j/_SUCCESS': '',
    'j/.hidden.csv': '',
    'c/x.csv': 'a\n',
    'mixed/a.json': '{}\n',
    'mixed/b.csv': 'a\n',
    'bare/part-0000': '{}\n',
    'logs/2024/a.log': 'x\n',
    'logs/2024/b.txt': 'x\n',
    'g/a.parquet': '',
    'g/b.csv': '',
  });
  const detect = fileFormatDetector(dir);
  assert.deepEqual(detect('j'), { format: 'json' });
  assert.deepEqual(detect(`${dir}/c/`), { format: 'csv' });
  assert.deepEqual(detect('c/x.csv'), { format: 'csv' });
  assert.deepEqual(detect('logs'), { format: 'text' });
  assert.deepEqual(detect('g/*.parquet'), { format: 'parquet' });
  assert.match((detect('mixed') as { reason: string }).reason, /several formats \(csv, json\)/);
  assert.match(
    (detect('bare') as { reason: string }).reason,
    /no extension that names a format \(e\.g\. part-0000\)/,
  );
  assert.match((detect('nowhere') as { reason: string }).reason, /nothing is at nowhere/);
});

test('read_files without a format over mixed files is READ_FILES_FORMAT_UNKNOWN at its file:line; over JSON files it runs', async () => {
  const dir = tmpDir('formats-e2e');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: formats\n',
    'data/orders/1.json': ndjson([
      { id: 1, amount: 5 },
      { id: 2, amount: 7 },
    ]),
    'data/mixed/1.json': ndjson([{ id: 1 }]),
    'data/mixed/2.csv': 'id\n2\n',
    'transformations/t.sql': `CREATE STREAMING TABLE orders AS SELECT id, amount FROM STREAM read_files('data/orders');
CREATE MATERIALIZED VIEW mixed AS
  SELECT * FROM read_files('data/mixed');
`,
  });
  const v = await runCli(['validate', dir, '--format', 'json']);
  const errors = JSON.parse(v.stdout).errors as {
    code: string;
    dataset?: string;
    location?: { line: number };
  }[];
  assert.deepEqual(
    errors.map((e) => [e.code, e.dataset, e.location?.line]),
    [['READ_FILES_FORMAT_UNKNOWN', 'mixed', 3]],
  );
  // As on Databricks, a source that cannot be read stops the update; without it, the rest runs.
  const r = await runCli(['run', dir]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr + r.stdout, /READ_FILES_FORMAT_UNKNOWN/);
  writeFiles(dir, {
    'transformations/t.sql':
      "CREATE STREAMING TABLE orders AS SELECT id, amount FROM STREAM read_files('data/orders');\n",
  });
  const ok = await runCli(['run', dir]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const rows = await readTable(tableDir(dir, 'orders'), 'id');
  assert.deepEqual(
    rows.map((x) => [Number(x.id), Number(x.amount)]),
    [
      [1, 5],
      [2, 7],
    ],
  );
});
