import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { putAllAtomic, TEMP_PREFIX } from '../../src/util/durable-file.ts';
import { tmpDir } from '../helpers/tmp.ts';

test('putAllAtomic writes every file with its content, replacing what was there, and leaves no temp file', async () => {
  const dir = tmpDir('put-all');
  writeFileSync(join(dir, 'b.json'), 'old');
  await putAllAtomic(['a', 'b', 'c'].map((n) => ({ path: join(dir, `${n}.json`), data: `${n}\n` })));
  assert.deepEqual(readdirSync(dir).sort(), ['a.json', 'b.json', 'c.json']);
  for (const n of ['a', 'b', 'c']) assert.equal(readFileSync(join(dir, `${n}.json`), 'utf8'), `${n}\n`);
});

test('putAllAtomic creates the missing directory, and refuses files in several directories before writing any', async () => {
  const dir = tmpDir('put-all');
  await putAllAtomic([{ path: join(dir, 'new', 'x.json'), data: 'x' }]);
  assert.equal(readFileSync(join(dir, 'new', 'x.json'), 'utf8'), 'x');
  mkdirSync(join(dir, 'other'));
  await assert.rejects(
    putAllAtomic([
      { path: join(dir, 'new', 'y.json'), data: 'y' },
      { path: join(dir, 'other', 'z.json'), data: 'z' },
    ]),
    /not all in/,
  );
  assert.deepEqual(readdirSync(join(dir, 'new')), ['x.json']);
  assert.deepEqual(readdirSync(join(dir, 'other')), []);
});

test('putAllAtomic that cannot rename a file leaves the files before it in place and no temp file', async () => {
  const dir = tmpDir('put-all');
  // A directory where the second file goes: its rename fails (EISDIR), the first one is done.
  mkdirSync(join(dir, 'b.json', 'inside'), { recursive: true });
  await assert.rejects(putAllAtomic(['a', 'b', 'c'].map((n) => ({ path: join(dir, `${n}.json`), data: n }))));
  assert.deepEqual(
    readdirSync(dir)
      .filter((n) => !n.startsWith(TEMP_PREFIX) || assert.fail(`temp file ${n} left`))
      .sort(),
    ['a.json', 'b.json'],
  );
  assert.equal(readFileSync(join(dir, 'a.json'), 'utf8'), 'a');
});
