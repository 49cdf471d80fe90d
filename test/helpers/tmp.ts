import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';

/** Repository root (tests run with it as cwd; chdb only reads paths under the cwd). */
export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

/** The shared Delta fixtures folder, or undefined when ../shared is absent. */
export const FIXTURES = join(ROOT, '..', 'shared', 'fixtures', 'delta');

/** A fresh directory under `<repo>/.tmp/`, removed when the test file finishes (unless SLUICE_KEEP_TMP). */
export function tmpDir(prefix = 'test'): string {
  const base = join(ROOT, '.tmp');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, `${prefix}-`));
  after(() => {
    if (!process.env.SLUICE_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
