import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileUri } from '../../../src/engine/sources/file-metadata.ts';
import { runCli } from '../../helpers/cli.ts';
import { readTable, tableDir, writeFiles } from '../../helpers/pipeline.ts';
import { tmpDir } from '../../helpers/tmp.ts';

/**
 * The hidden `_metadata` column of file sources and `input_file_name()`, end to end: values
 * checked against the files themselves (fs.stat), `*` never includes `_metadata`.
 */

/** A TIMESTAMPTZ as DuckDB prints it (`2024-01-01 10:00:00.123+00`) in ISO form. */
const iso = (v: unknown) => new Date(String(v).replace(' ', 'T').replace(/\+00$/, 'Z')).toISOString();

test('_metadata fields and input_file_name() give each row its file; SELECT * leaves _metadata out', async () => {
  const dir = tmpDir('metadata');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: meta\n',
    'data/in/a.json': '{"id": 1}\n{"id": 2}\n',
    'data/in/sub dir/b_x.json': '{"id": 3}\n',
    'data/c/1.csv': 'id,v\n1,x\n',
    'transformations/p.sql': `
CREATE OR REFRESH STREAMING TABLE m AS
SELECT *, _metadata.file_path AS path, _metadata.file_name AS name, _metadata.file_size AS size,
  _metadata.file_modification_time AS mtime, _metadata.file_block_start AS bstart,
  _metadata.file_block_length AS blen, input_file_name() AS ifn,
  upper(_metadata.file_name) AS tag
FROM STREAM read_files('data/in', format => 'json');

CREATE OR REFRESH STREAMING TABLE whole AS SELECT f.*, f._metadata AS meta FROM STREAM read_files('data/in', format => 'json') AS f;

CREATE MATERIALIZED VIEW c AS SELECT *, _metadata.file_name AS src FROM read_files('data/c', format => 'csv');

CREATE OR REFRESH STREAMING TABLE cf AS SELECT *, _metadata.file_name AS src FROM cloud_files('data/in', 'json');
`,
  });
  const r = await runCli(['run', dir, '--format', 'json']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);

  const rows = await readTable(tableDir(dir, 'm'), 'id');
  assert.deepEqual(Object.keys(rows[0]!), [
    'id',
    '_rescued_data',
    'path',
    'name',
    'size',
    'mtime',
    'bstart',
    'blen',
    'ifn',
    'tag',
  ]);
  const a = join(dir, 'data/in/a.json');
  const b = join(dir, 'data/in/sub dir/b_x.json');
  const expected = (p: string) => {
    const st = statSync(p);
    return {
      path: fileUri(p),
      size: String(st.size),
      mtime: new Date(Math.floor(st.mtimeMs)).toISOString(),
      blen: String(st.size),
    };
  };
  for (const row of rows) {
    const p = Number(row.id) === 3 ? b : a;
    const e = expected(p);
    assert.equal(row.path, e.path);
    assert.equal(row.ifn, e.path, 'input_file_name() is _metadata.file_path');
    assert.equal(row.name, Number(row.id) === 3 ? 'b_x.json' : 'a.json');
    assert.equal(row.size, e.size);
    assert.equal(iso(row.mtime), e.mtime);
    assert.equal(row.bstart, '0');
    assert.equal(row.blen, e.blen);
    assert.equal(row.tag, Number(row.id) === 3 ? 'B_X.JSON' : 'A.JSON');
  }
  assert.match(String(rows[2]!.path), /^file:\/.*\/data\/in\/sub%20dir\/b_x\.json$/);

  // t.* leaves _metadata out; the whole struct can be selected.
  const whole = await readTable(tableDir(dir, 'whole'), 'id');
  assert.deepEqual(Object.keys(whole[0]!), ['id', '_rescued_data', 'meta']);
  assert.deepEqual(Object.keys(whole[0]!.meta as object), [
    'file_path',
    'file_name',
    'file_size',
    'file_block_start',
    'file_block_length',
    'file_modification_time',
  ]);

  const c = await readTable(tableDir(dir, 'c'), 'id');
  assert.deepEqual(
    c.map((x) => [x.id, x.src]),
    [[1, '1.csv']],
  );
  const cf = await readTable(tableDir(dir, 'cf'), 'id');
  assert.deepEqual(
    cf.map((x) => x.src),
    ['a.json', 'a.json', 'b_x.json'],
  );
});

test('input_file_name() over no file source is refused at validate (UNSUPPORTED_SPARK_FUNCTION) with its line', async () => {
  const dir = tmpDir('metadata-refused');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: meta2\n',
    'data/1.json': '{"id": 1}\n',
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE a AS SELECT * FROM STREAM read_files('data', format => 'json');
CREATE MATERIALIZED VIEW b AS
SELECT id, input_file_name() AS f FROM a;
`,
  });
  const v = await runCli(['validate', dir, '--format', 'json']);
  assert.equal(v.code, 1);
  const errors = JSON.parse(v.stdout).errors as { code: string; location?: { line: number } }[];
  const error = errors.find((e) => e.code === 'UNSUPPORTED_SPARK_FUNCTION');
  assert.ok(error, JSON.stringify(errors));
  assert.equal(error!.location?.line, 3);
});
