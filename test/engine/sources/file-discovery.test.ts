import assert from 'node:assert/strict';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type DiscoveredFile, discoverFiles, planFileBatch } from '../../../src/engine/sources/files.ts';
import { tmpDir } from '../../helpers/tmp.ts';

function put(root: string, rel: string, content: string, mtimeSec: number): void {
  const p = join(root, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
  utimesSync(p, mtimeSec, mtimeSec);
}

test('discovery: directories recurse, skip hidden and _-prefixed entries, order by (mtime, path)', async () => {
  const root = tmpDir('disc');
  put(root, 'data/b.json', '{}\n', 1000);
  put(root, 'data/a.json', '{}\n', 1000);
  put(root, 'data/sub/c.json', '{}\n', 900);
  put(root, 'data/.hidden.json', '{}\n', 800);
  put(root, 'data/_SUCCESS', '', 800);
  put(root, 'data/_tmp/d.json', '{}\n', 800);
  put(root, 'data/.git/e.json', '{}\n', 800);
  put(root, 'data/x.csv', 'a\n', 1100);
  const files = await discoverFiles('data', { root });
  assert.deepEqual(
    files.map((f) => f.path),
    ['data/sub/c.json', 'data/a.json', 'data/b.json', 'data/x.csv'].map((p) => join(root, p)),
  );
  assert.equal(files[0]!.size, 3);
  assert.equal(files[0]!.mtimeMs, 900_000);

  const globbed = await discoverFiles('data/*.json', { root });
  assert.deepEqual(
    globbed.map((f) => f.path),
    ['data/a.json', 'data/b.json'].map((p) => join(root, p)),
  );
  const deep = await discoverFiles(join(root, 'data/**/*.json'), { root: '/' });
  assert.deepEqual(
    deep.map((f) => f.path),
    ['data/sub/c.json', 'data/a.json', 'data/b.json'].map((p) => join(root, p)),
  );
  const single = await discoverFiles('data/x.csv', { root });
  assert.deepEqual(
    single.map((f) => f.path),
    [join(root, 'data/x.csv')],
  );
  assert.deepEqual(await discoverFiles('missing/dir', { root }), []);
  assert.deepEqual(await discoverFiles('missing/*.json', { root }), []);
});

const f = (name: string, size: number, mtimeMs: number): DiscoveredFile => ({
  path: `/d/${name}`,
  size,
  mtimeMs,
});

test('planFileBatch: deterministic, bounded by files and (soft) bytes, skips processed paths', () => {
  const discovered = [f('c', 50, 3), f('a', 10, 1), f('b', 20, 1), f('d', 500, 4), f('e', 5, 5)];
  assert.deepEqual(
    planFileBatch(discovered, new Set()).map((x) => x.path),
    ['/d/a', '/d/b', '/d/c', '/d/d', '/d/e'],
  );
  assert.deepEqual(
    planFileBatch(discovered, new Set(), { maxFilesPerTrigger: 2 }).map((x) => x.path),
    ['/d/a', '/d/b'],
  );
  // bytes: a+b = 30 ≤ 35, +c would be 80 > 35 → stop (no skipping ahead to smaller files).
  assert.deepEqual(
    planFileBatch(discovered, new Set(), { maxBytesPerTrigger: 35 }).map((x) => x.path),
    ['/d/a', '/d/b'],
  );
  // soft bound: one oversized file still makes a batch.
  const processed = new Set(['/d/a', '/d/b', '/d/c']);
  assert.deepEqual(
    planFileBatch(discovered, processed, { maxBytesPerTrigger: 100 }).map((x) => x.path),
    ['/d/d'],
  );
  assert.deepEqual(
    planFileBatch(discovered, (p) => p !== '/d/e').map((x) => x.path),
    ['/d/e'],
  );
  assert.deepEqual(planFileBatch(discovered, new Set(discovered.map((x) => x.path))), []);
  // same inputs (in any order) → same batch
  assert.deepEqual(
    planFileBatch([...discovered].reverse(), processed, { maxFilesPerTrigger: 1 }),
    planFileBatch(discovered, processed, { maxFilesPerTrigger: 1 }),
  );
});

test('incremental: files added later are picked up, processed ones never again (identity = path)', async () => {
  const root = tmpDir('inc');
  put(root, 'in/1.json', '{"a":1}\n', 100);
  const processed = new Set<string>();
  const b1 = planFileBatch(await discoverFiles('in', { root }), processed);
  assert.deepEqual(
    b1.map((x) => x.path),
    [join(root, 'in/1.json')],
  );
  for (const x of b1) processed.add(x.path);
  assert.deepEqual(planFileBatch(await discoverFiles('in', { root }), processed), []);
  put(root, 'in/2.json', '{"a":2}\n', 200);
  put(root, 'in/1.json', '{"a":1}\n{"a":11}\n', 300); // rewritten after processing: not re-read
  const b2 = planFileBatch(await discoverFiles('in', { root }), processed);
  assert.deepEqual(
    b2.map((x) => x.path),
    [join(root, 'in/2.json')],
  );
});
