import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '../../src/errors/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const self = fileURLToPath(import.meta.url);

/** Every .ts file under `dir` except `skip`, as [repo-relative path, text]. */
function sources(dir: string, skip: string): [string, string][] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(root, dir, f))
    .filter((f) => f !== skip)
    .map((f) => [relative(root, f), readFileSync(f, 'utf8')]);
}

/** The contents of every code-like string literal ('X', "X" or `X`) in the files. */
function literals(files: [string, string][]): Set<string> {
  const out = new Set<string>();
  for (const [, text] of files) for (const m of text.matchAll(/(['"`])([A-Z][A-Z0-9_.]*)\1/g)) out.add(m[2]!);
  return out;
}

const src = sources('src', join(root, 'src/errors/codes.ts'));
const codes = Object.keys(ERROR_CODES) as (keyof typeof ERROR_CODES)[];

test('every error code is raised in src/ or asserted in test/', () => {
  const raised = literals(src);
  const asserted = literals(sources('test', self));
  const unused = codes.filter((c) => !raised.has(c) && !asserted.has(c));
  assert.deepEqual(
    unused.map((c) => `${c}: ${ERROR_CODES[c].summary}`),
    [],
    `${unused.length} error code(s) in src/errors/codes.ts are neither raised in src/ nor asserted in test/; ` +
      'raise it where it applies, assert it in a test, or delete it from codes.ts',
  );
});

test('every code passed to new SluiceError(…) in src/ is in ERROR_CODES', () => {
  const unknown: string[] = [];
  let sites = 0;
  for (const [file, text] of src) {
    for (const m of text.matchAll(/new SluiceError\(\s*(['"`])([^'"`]*)\1/g)) {
      sites++;
      const line = text.slice(0, m.index).split('\n').length;
      if (!Object.hasOwn(ERROR_CODES, m[2]!)) unknown.push(`${file}:${line} ${m[2]}`);
    }
  }
  assert.ok(sites > 0, 'found no new SluiceError(…) call in src/: has the class been renamed?');
  assert.deepEqual(unknown, [], 'these codes are not keys of ERROR_CODES (src/errors/codes.ts)');
});
