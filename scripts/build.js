#!/usr/bin/env node
// Bundles the CLI (src/cli/main.ts and everything it imports) into dist/sluice.mjs with esbuild,
// so `sluice` starts in a fraction of the time the TypeScript sources take through tsx.
// Runs on `npm install` (prepare) and before `npm test`.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
// Chunk names carry content hashes: start clean so old chunks do not pile up.
rmSync(`${root}dist`, { recursive: true, force: true });
await build({
  entryPoints: [`${root}src/cli/main.ts`],
  outdir: `${root}dist`,
  entryNames: 'sluice',
  outExtension: { '.js': '.mjs' },
  // Each command is its own chunk, loaded on use with the npm packages it needs.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Pure-JS dependencies are bundled (one file loads far faster than a package's hundred
  // modules); native code, the TypeScript loaders and rarely used packages stay external.
  external: ['@duckdb/node-bindings', 'esbuild', 'tsx', 'nodemailer'],
  // Bundled CommonJS code requires the external packages: give every chunk a real `require`.
  banner: {
    js: "import { createRequire as __sluiceCreateRequire } from 'node:module'; const require = __sluiceCreateRequire(import.meta.url);",
  },
  sourcemap: 'linked',
  logLevel: 'warning',
});
