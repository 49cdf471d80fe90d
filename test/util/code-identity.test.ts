import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { hashSourceTree } from '../../src/util/code-identity.ts';
import { ROOT, tmpDir } from '../helpers/tmp.ts';

// scripts/build.js bakes its own copy of the hash into the bundles: a bundle and the sources it
// was built from must give the same code identity, or the compile cache they share never hits.
test('the sources hash the build bakes into the bundles is the one sluice computes from its sources', async () => {
  const { hashSourceTree: buildHash } = (await import(join(ROOT, 'scripts', 'source-tree-hash.mjs'))) as {
    hashSourceTree: (dir: string) => string;
  };
  const dir = tmpDir('source-hash');
  mkdirSync(join(dir, 'a', 'b'), { recursive: true });
  writeFileSync(join(dir, 'z.ts'), 'export const z = 1;\n');
  writeFileSync(join(dir, 'a', 'b', 'c.ts'), 'export const c = 2;\n');
  const before = hashSourceTree(dir);
  assert.equal(buildHash(dir), before);
  assert.equal(buildHash(join(ROOT, 'src')), hashSourceTree(join(ROOT, 'src')));
  // Any change of a file's content or name changes it.
  writeFileSync(join(dir, 'z.ts'), 'export const z = 3;\n');
  assert.notEqual(hashSourceTree(dir), before);
});
