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
  assert.match(denied.stderr, /^FILE_ACCESS_DENIED: '.*secret\.csv' is outside the folders .*--allow-files/m);
  assert.equal(denied.stdout, '');

  const allowed = await runCli(['query', '--allow-files', '--format', 'json', sql], { cwd: dir });
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.deepEqual(JSON.parse(allowed.stdout), [{ n: 1 }]);
});
