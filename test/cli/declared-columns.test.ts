import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { loadSnapshot } from '../../src/storage/delta/snapshot.ts';
import { runCli } from '../helpers/cli.ts';
import { chdbRows } from '../helpers/delta-compare.ts';
import { ndjson, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

const STREAM = "STREAM read_files('data', format => 'json')";

test('sluice validate and sluice run refuse a flow writing a column its streaming table does not declare (code, dataset, file:line; nothing written) and write the declared columns of the table whose flow fits', async () => {
  const dir = tmpDir('cli-declared');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: cli_declared\n',
    'transformations/st.sql': `CREATE STREAMING TABLE good (id BIGINT, note STRING, name STRING)
AS SELECT name, id FROM ${STREAM};
CREATE STREAMING TABLE bad (id BIGINT, name STRING);
CREATE FLOW bad_feed AS INSERT INTO bad BY NAME
SELECT id, name, p FROM ${STREAM};
`,
    'data/a.json': ndjson([
      { id: 1, name: 'a', p: 'x' },
      { id: 2, name: 'b', p: 'y' },
    ]),
  });
  const v = await runCli(['validate', '--format', 'json', dir]);
  assert.equal(v.code, 1, v.stdout + v.stderr);
  const doc = JSON.parse(v.stdout);
  assert.deepEqual(
    doc.errors.map((e: { code: string; dataset: string; location: { file: string; line: number } }) => [
      e.code,
      e.dataset,
      e.location.file,
      e.location.line,
    ]),
    [['USER_SPECIFIED_AND_INFERRED_SCHEMA_NOT_COMPATIBLE', 'bad', 'transformations/st.sql', 5]],
  );

  const r = await runCli(['run', dir]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const out = r.stdout + r.stderr;
  assert.match(out, /^bad +bad_feed +FAILED +0 +0 .*USER_SPECIFIED_AND_INFERRED_SCHEMA_NOT_COMPATIBLE$/m);
  assert.match(
    out,
    /USER_SPECIFIED_AND_INFERRED_SCHEMA_NOT_COMPATIBLE: flow 'bad_feed' writes column 'p', which 'bad' does not declare.*\(transformations\/st\.sql:5:\d+\)/,
  );
  assert.equal(existsSync(tableDir(dir, 'bad')), false, 'nothing written for bad');

  const good = tableDir(dir, 'good');
  const snap = await loadSnapshot(good);
  assert.deepEqual(
    snap.schema.fields.map((f) => [f.name, f.type]),
    [
      ['id', 'long'],
      ['note', 'string'],
      ['name', 'string'],
    ],
  );
  assert.deepEqual(chdbRows(good, snap.version, snap.schema), ['["1",null,"a"]', '["2",null,"b"]']);
});
