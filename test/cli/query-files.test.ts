import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

test('sluice query reads only the pipeline and the Delta tables it names, unless --allow-files', async () => {
  const dir = tmpDir('query-files');
  writeFiles(dir, { 'secret.csv': 'a,b\n1,2\n' });
  const sql = `SELECT count(*) AS n FROM read_csv('${join(dir, 'secret.csv')}')`;
  const denied = await runCli(['query', sql], { cwd: dir });
  assert.equal(denied.code, 1);
  assert.equal(denied.stderr.split(':')[0], 'FILE_ACCESS_DENIED');
  assert.match(denied.stderr, /'.*secret\.csv' is outside the folders .*--allow-files/);
  assert.equal(denied.stdout, '');

  const allowed = await runCli(['query', '--allow-files', '--format', 'json', sql], { cwd: dir });
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.deepEqual(JSON.parse(allowed.stdout), [{ n: 1 }]);
});

test('a pipeline table queried before any update wrote it is named as such, with a did-you-mean', async () => {
  const dir = tmpDir('query-missing');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: early\n',
    'transformations/p.sql':
      "CREATE OR REFRESH STREAMING TABLE events AS SELECT * FROM STREAM read_files('data', format => 'json');",
    'data/1.json': '{"id": 1}\n',
  });
  const early = await runCli(['query', '--pipeline', dir, 'SELECT count(*) FROM events']);
  assert.equal(early.code, 1);
  assert.match(
    early.stderr,
    /^QUERY_FAILED: pipeline 'early' has no table 'events' \(a table exists once an update has written it; none has yet\)/m,
  );
  assert.doesNotMatch(early.stderr, /sqlite_master|Catalog Error/);
  assert.equal((await runCli(['run', dir])).code, 0);
  const typo = await runCli(['query', '--pipeline', dir, 'SELECT count(*) FROM event']);
  assert.match(typo.stderr, /has no table 'event'; did you mean 'events'\?/);
});
