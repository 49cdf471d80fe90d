#!/usr/bin/env node
// Starts the CLI from the bundle in dist/ (built by `npm install`), or from the TypeScript
// sources through tsx when the bundle is missing, older than the sources, or SLUICE_FROM_SOURCE=1.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bundle = join(root, 'dist', 'sluice.mjs');

function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

const useBundle =
  process.env.SLUICE_FROM_SOURCE !== '1' &&
  existsSync(bundle) &&
  statSync(bundle).mtimeMs >= newestSource(join(root, 'src'));

let main;
if (useBundle) {
  ({ main } = await import(bundle));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
