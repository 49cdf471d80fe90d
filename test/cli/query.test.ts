import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { FIXTURES, ROOT, tmpDir } from '../helpers/tmp.ts';

const skip = existsSync(FIXTURES) ? false : 'needs ../shared/fixtures/delta';

test('sluice query --format json prints one JSON array of rows', { skip }, async () => {
  const dir = tmpDir('cli-query');
  cpSync(join(FIXTURES, 'dat-multi_partitioned', 'delta'), join(dir, 't'), { recursive: true });
  const r = await runCli(
    [
      'query',
      '--format',
      'json',
      'SELECT letter, date, number FROM delta.`t` VERSION AS OF 1 ORDER BY number',
    ],
    { cwd: dir },
  );
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  assert.deepEqual(JSON.parse(r.stdout), [
    { letter: 'a', date: '1970-01-01', number: 1 },
    { letter: 'b', date: '1970-01-01', number: 2 },
    { letter: 'b', date: '1970-01-02', number: 3 },
    { letter: 'a', date: null, number: 4 },
    { letter: null, date: null, number: 5 },
  ]);
  const table = await runCli(['query', 'SELECT count(*) AS n FROM delta.`t`'], { cwd: dir });
  assert.equal(table.code, 0);
  assert.match(table.stdout, /\| n +\|\n\|-+\|\n\| 2 +\|/);
});

test('sluice query errors: one coded line on stderr, exit 1, no stack trace', { skip }, async () => {
  const dir = tmpDir('cli-query-bad');
  cpSync(join(FIXTURES, 'delta-0.8.0'), join(dir, 't'), { recursive: true });
  rmSync(join(dir, 't', 'part-00000-c9b90f86-73e6-46c8-93ba-ff6bfaf892a1-c000.snappy.parquet'));
  const cases: [string, string][] = [
    ['SELECT * FROM delta.`nope`', 'DELTA_TABLE_NOT_FOUND'],
    ['SELECT * FROM delta.`t`', 'DELTA_MISSING_DATA_FILE'],
    ['SELECT * FROM delta.`t` VERSION AS OF 9', 'DELTA_VERSION_NOT_FOUND'],
    ['SELECT * FROM missing_table', 'QUERY_FAILED'],
    ['DELETE FROM x', 'QUERY_READ_ONLY'],
  ];
  for (const [sql, code] of cases) {
    const r = await runCli(['query', sql], { cwd: dir });
    assert.equal(r.code, 1, `${sql}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.ok(lines[0]?.startsWith(`${code}: `), r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
  const usage = await runCli(['query'], { cwd: dir });
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^USAGE: /);
  const badFormat = await runCli(['query', '--format', 'xml', 'SELECT 1'], { cwd: dir });
  assert.equal(badFormat.code, 2);
});

test('sluice query writes all of a large result into a pipe whose reader is slow', async () => {
  const dir = tmpDir('cli-query-pipe');
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'sluice.js'), 'query', '--format', 'csv', 'SELECT * FROM range(100000)'],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Read nothing for a while: the pipe fills and the rest waits in the process's queue.
  child.stdout.pause();
  await new Promise((r) => setTimeout(r, 1500));
  let bytes = 0;
  let last = '';
  child.stdout.on('data', (d: Buffer) => {
    bytes += d.length;
    last = (last + d.toString()).slice(-20);
  });
  child.stdout.resume();
  const code = await new Promise((r) => child.on('close', r));
  assert.equal(code, 0);
  assert.equal(last, '99996\r\n99997\r\n99998\r\n99999\r\n'.slice(-20));
  assert.equal(
    bytes,
    'range\r\n'.length + Array.from({ length: 100000 }, (_, i) => `${i}\r\n`).join('').length,
  );
});
