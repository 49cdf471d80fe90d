import assert from 'node:assert/strict';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { ROOT, tmpDir } from '../helpers/tmp.ts';

test('sluice --version prints the package version', async () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const r = await runCli(['--version']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), pkg.version);
});

test('sluice --help lists the commands', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  for (const c of ['init', 'validate', 'run', 'query', 'events'])
    assert.match(r.stdout, new RegExp(`\\b${c}\\b`));
});

test('an unknown command is a usage error with exit code 2', async () => {
  const r = await runCli(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^USAGE: unknown command 'frobnicate'/);
});

test('SLUICE_MEMORY_LIMIT bounds DuckDB (default 600 MB); a value that is not a size is refused with a code', async () => {
  const limit = async (env: NodeJS.ProcessEnv) => {
    const r = await runCli(['query', "SELECT current_setting('memory_limit') AS m", '--format', 'json'], {
      env,
    });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout)[0].m;
  };
  assert.equal(await limit({ SLUICE_MEMORY_LIMIT: '' }), '572.2 MiB');
  assert.equal(await limit({ SLUICE_MEMORY_LIMIT: '2GB' }), '1.8 GiB');
  const bad = await runCli(['validate', 'examples/events'], { env: { SLUICE_MEMORY_LIMIT: 'lots' } });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^INVALID_ENVIRONMENT: SLUICE_MEMORY_LIMIT="lots" is not a size/m);
});

test('a run that needs more memory than SLUICE_MEMORY_LIMIT fails with OUT_OF_MEMORY naming the dataset, its file:line and the remedy', async () => {
  const dir = join(tmpDir('oom'), 'events');
  cpSync(join(ROOT, 'examples', 'events'), dir, {
    recursive: true,
    filter: (src) => !src.includes(`${join('events', '.sluice')}`),
  });
  const r = await runCli(['run', dir], { env: { SLUICE_MEMORY_LIMIT: '4MB' } });
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /^OUT_OF_MEMORY: DuckDB ran out of memory .*raise SLUICE_MEMORY_LIMIT \(now 4MB\).*\[dataset bronze_events\] \(transformations\/01_bronze_events\.sql:\d+/m,
  );
  // So little that translating the SQL fails: still the user's code, naming a dataset.
  const tiny = await runCli(['run', dir], { env: { SLUICE_MEMORY_LIMIT: '1MB' } });
  assert.equal(tiny.code, 1);
  assert.match(tiny.stderr, /^OUT_OF_MEMORY: .*raise SLUICE_MEMORY_LIMIT \(now 1MB\).*\[dataset \w+\]/m);
});
