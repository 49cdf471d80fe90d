import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { ndjson, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

test('a damaged event-log commit is repaired by the next run, said on stderr and in the log, and queries work again', async () => {
  const dir = tmpDir('evlog-damage');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: damaged\n',
    'transformations/p.sql':
      "CREATE OR REFRESH STREAMING TABLE t AS SELECT * FROM STREAM read_files('data', format => 'json');",
    'data/1.json': ndjson([{ id: 1 }]),
  });
  assert.equal((await runCli(['run', dir])).code, 0);
  assert.equal((await runCli(['run', dir])).code, 0);
  const log = join(dir, '.sluice', 'system', 'event_log', '_delta_log');
  const commits = readdirSync(log)
    .filter((f) => /^\d{20}\.json$/.test(f))
    .sort();
  const last = join(log, commits.at(-1)!);
  // Damage the newest commit: its last lines torn off mid-JSON.
  const text = readFileSync(last, 'utf8');
  writeFileSync(last, text.slice(0, Math.floor(text.length * 0.6)));
  const broken = await runCli(['query', '--pipeline', dir, 'SELECT count(*) FROM event_log']);
  assert.equal(broken.code, 1);
  assert.match(broken.stderr, /^DELTA_CORRUPT_LOG: /m);

  writeFiles(dir, { 'data/2.json': ndjson([{ id: 2 }]) });
  const r = await runCli(['run', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /^warning EVENT_LOG_REPAIRED: the event log had unreadable commits and they were replaced: commit \d+ \(kept as \d{20}\.json\.damaged-\d+/m,
  );
  assert.ok(
    readdirSync(log).some((f) => f.includes('.damaged-')),
    'the damaged file is kept',
  );

  const q = await runCli([
    'query',
    '--pipeline',
    dir,
    '--format',
    'json',
    'SELECT count(*) AS n FROM system.lakeflow.pipeline_events',
  ]);
  assert.equal(q.code, 0, q.stderr);
  assert.ok(JSON.parse(q.stdout)[0].n >= 2, 'earlier updates are still in the log');
  const warned = await runCli([
    'query',
    '--pipeline',
    dir,
    '--format',
    'json',
    "SELECT count(*) AS n FROM event_log WHERE level = 'WARN' AND message LIKE '%unreadable commits%'",
  ]);
  assert.deepEqual(JSON.parse(warned.stdout), [{ n: 1 }]);
  assert.equal((await runCli(['events', '--pipeline', dir])).code, 0);
});
