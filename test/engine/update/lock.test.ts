import assert from 'node:assert/strict';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../helpers/cli.ts';
import { ndjson, readTable, tableDir, writeFiles } from '../../helpers/pipeline.ts';
import { tmpDir } from '../../helpers/tmp.ts';

test('an empty or unreadable lock younger than the grace period counts as held; an old one is taken over', async () => {
  const dir = tmpDir('lock-grace');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: lock\n',
    'transformations/p.sql':
      "CREATE OR REFRESH STREAMING TABLE t AS SELECT * FROM STREAM read_files('data', format => 'json');",
    'data/1.json': ndjson([{ id: 1 }, { id: 2 }]),
  });
  // What a second run saw in the torture run: a lock file created but not yet written.
  const lock = join(dir, '.sluice', 'lock.json');
  mkdirSync(join(dir, '.sluice'), { recursive: true });
  writeFileSync(lock, '');
  const refused = await runCli(['run', dir]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^PIPELINE_ALREADY_RUNNING: /m);

  // The same lock a minute later is a dead writer's: taken over, the run goes ahead.
  const old = new Date(Date.now() - 60_000);
  utimesSync(lock, old, old);
  const r = await runCli(['run', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await readTable(tableDir(dir, 't'), 'id')).length, 2);
});
