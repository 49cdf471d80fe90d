import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { discoverFiles } from '../../../src/engine/sources/files.ts';
import { runCli } from '../../helpers/cli.ts';
import { ndjson, readTable, tableDir, writeFiles } from '../../helpers/pipeline.ts';
import { tmpDir } from '../../helpers/tmp.ts';

const rows = (from: number, n: number) => ndjson(Array.from({ length: n }, (_, i) => ({ id: from + i })));

/**
 * orders/ holds 500 rows in five files, plus links: back to the pipeline folder (`loop -> ..`,
 * outside the source folder), to itself (`self -> .`, `sub/up -> ..`), a second path to `sub`
 * (`alias -> sub`), to files outside (`/etc/passwd`, `../outside/secret.json`) and to a file in a
 * hidden folder inside the source folder (`visible.json -> _stash/hidden.json`).
 */
function linkedPipeline(options = ''): string {
  const dir = tmpDir('file-symlinks');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: links\n',
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE orders (CONSTRAINT ok EXPECT (id IS NOT NULL))
AS SELECT * FROM STREAM read_files('orders', format => 'json'${options});`,
    'orders/a.json': rows(0, 100),
    'orders/b.json': rows(100, 100),
    'orders/sub/c.json': rows(200, 100),
    'orders/sub/d.json': rows(300, 100),
    'orders/sub/deeper/e.json': rows(400, 100),
    'orders/_stash/hidden.json': rows(1000, 1),
    'outside/secret.json': rows(2000, 1),
  });
  symlinkSync('..', join(dir, 'orders/loop'));
  symlinkSync('.', join(dir, 'orders/self'));
  symlinkSync('..', join(dir, 'orders/sub/up'));
  symlinkSync('sub', join(dir, 'orders/alias'));
  symlinkSync('/etc/passwd', join(dir, 'orders/passwd.json'));
  symlinkSync('../outside/secret.json', join(dir, 'orders/secret.json'));
  symlinkSync('_stash/hidden.json', join(dir, 'orders/visible.json'));
  return dir;
}

test('symbolic links: loops end, one file reached by two paths is read once, links leading outside the source folder are skipped with a warning', {
  timeout: 60_000,
}, async () => {
  const dir = linkedPipeline();
  const r = await runCli(['run', dir, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const flow = JSON.parse(r.stdout).flows[0];
  assert.equal(flow.metrics.num_output_rows, 501, '500 rows once each, and the linked hidden file');
  const ids = (await readTable(tableDir(dir, 'orders'), 'id')).map((x) => Number(x.id));
  assert.equal(new Set(ids).size, ids.length, 'no row read twice');
  assert.ok(ids.includes(1000) && !ids.includes(2000));
  const warned = (flow.warnings ?? []) as { code: string; params: { link: string } }[];
  assert.deepEqual(warned.map((w) => w.code).sort(), [
    'SOURCE_SYMLINK_SKIPPED',
    'SOURCE_SYMLINK_SKIPPED',
    'SOURCE_SYMLINK_SKIPPED',
  ]);
  assert.deepEqual(warned.map((w) => w.params.link.slice(dir.length + 1)).sort(), [
    'orders/loop',
    'orders/passwd.json',
    'orders/secret.json',
  ]);
  assert.match(r.stderr + r.stdout, /orders\/passwd\.json under read_files\('orders'\) leads outside/);

  const again = await runCli(['run', dir, '--format', 'json']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).flows[0].metrics.num_output_rows, 0, 'nothing is new');
});

test("followSymlinks => 'false' ignores every symbolic link below the source path", {
  timeout: 60_000,
}, async () => {
  const dir = linkedPipeline(", followSymlinks => 'false'");
  const r = await runCli(['run', dir, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const flow = JSON.parse(r.stdout).flows[0];
  assert.equal(flow.metrics.num_output_rows, 500);
  assert.equal(flow.warnings, undefined);
});

test('discovery keys files by real path: the plain path is listed, a file reached only through a link records its real path', async () => {
  const root = tmpDir('file-symlinks-disc');
  writeFiles(root, { 'in/x/a.json': '{}\n', 'in/_h/b.json': '{}\n' });
  mkdirSync(join(root, 'in/y'));
  symlinkSync('../x', join(root, 'in/y/x-again'));
  symlinkSync('../_h/b.json', join(root, 'in/y/b.json'));
  const files = await discoverFiles('in', { root });
  assert.deepEqual(
    files.map((f) => [f.path.slice(root.length + 1), f.realPath?.slice(root.length + 1)]).sort(),
    [
      ['in/x/a.json', undefined],
      ['in/y/b.json', 'in/_h/b.json'],
    ],
  );
});
