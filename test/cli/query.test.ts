import assert from 'node:assert/strict';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { FIXTURES, tmpDir } from '../helpers/tmp.ts';

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
