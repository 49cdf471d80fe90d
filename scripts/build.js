#!/usr/bin/env node
// Bundles the CLI (src/cli/main.ts and everything it imports) into dist/sluice.cjs with esbuild,
// so `sluice` starts in a fraction of the time the TypeScript sources take through tsx; then
// runs the bundled example once so bin/sluice.js can save V8's compiled code for the bundle
// (dist/sluice-<node version>-<arch>.cache), which later starts skip compiling.
// Also bundles the dashboard's front end into dist/ui/.
// Runs on `npm install` (prepare) and before `npm test`.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { hashSourceTree } from './source-tree-hash.mjs';

const root = new URL('..', import.meta.url).pathname;
rmSync(`${root}dist`, { recursive: true, force: true });

const nodeBundle = {
  bundle: true,
  platform: 'node',
  // One CommonJS file: V8 can cache the compiled code of a classic script, not of ES modules
  // (Node 20). Commands still load lazily: esbuild runs a module's top level on first import.
  format: 'cjs',
  target: 'node20',
  // Pure-JS dependencies are bundled (one file loads far faster than a package's hundred
  // modules); native code, the TypeScript loaders and rarely used packages stay external.
  external: ['@duckdb/node-bindings', 'esbuild', 'tsx', 'nodemailer'],
  plugins: [
    {
      name: 'duckdb-binding',
      setup(b) {
        b.onResolve({ filter: /^@duckdb\/node-bindings$/ }, (args) =>
          args.importer.endsWith('duckdb-binding.cjs')
            ? { path: args.path, external: true }
            : { path: join(root, 'scripts', 'duckdb-binding.cjs') },
        );
      },
    },
  ],
  // The bundles identify the sources they were built from (compiled queries cached on disk are
  // reused only by the same code): a bundle and its sources give the same code identity.
  define: {
    'import.meta.url': '__sluiceModuleUrl',
    __SLUICE_SOURCES_HASH__: JSON.stringify(hashSourceTree(join(root, 'src'))),
  },
  banner: { js: "const __sluiceModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  sourcemap: 'linked',
  logLevel: 'warning',
};
await build({ ...nodeBundle, entryPoints: [`${root}src/cli/main.ts`], outfile: `${root}dist/sluice.cjs` });
// The dashboard validates pipelines on a worker thread (src/server/validate-graph.ts): its entry,
// bundled the same way beside the CLI.
await build({
  ...nodeBundle,
  entryPoints: [`${root}src/server/graph-worker.ts`],
  outfile: `${root}dist/ui-graph-worker.cjs`,
});

// The dashboard's front end (`sluice ui`): dist/ui/app.js and app.css, offline (no CDN), with
// the options src/server/assets.ts uses when it rebuilds them in memory from newer sources.
await build({
  entryPoints: { app: `${root}src/server/web/main.tsx` },
  outdir: `${root}dist/ui`,
  bundle: true,
  format: 'esm',
  target: 'es2020',
  minify: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
});

// Prime the code cache with what a run uses (best effort: a failure only costs start-up time).
const work = mkdtempSync(join(tmpdir(), 'sluice-build-'));
try {
  cpSync(join(root, 'examples', 'events'), work, {
    recursive: true,
    filter: (src) => !src.includes(`${join('events', '.sluice')}`),
  });
  const r = spawnSync(process.execPath, [join(root, 'bin', 'sluice.js'), 'run', work, '--format', 'json'], {
    encoding: 'utf8',
    env: { ...process.env, SLUICE_FROM_SOURCE: '0' },
  });
  if (r.status !== 0)
    console.warn(`build: priming the code cache failed (exit ${r.status}): ${r.stderr.slice(-500)}`);
  // The dashboard's validation worker saves its own cache once it validated a pipeline.
  await primeWorkerCache(work);
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** Runs `sluice ui` on `dir` until the validation worker wrote its code cache (at most 20 s). */
async function primeWorkerCache(dir) {
  const cache = join(root, 'dist', `ui-graph-worker-${process.version}-${process.arch}.cache`);
  const child = spawn(process.execPath, [join(root, 'bin', 'sluice.js'), 'ui', dir, '--port', '0'], {
    stdio: 'ignore',
    env: { ...process.env, SLUICE_FROM_SOURCE: '0' },
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  for (let i = 0; i < 200 && !existsSync(cache) && child.exitCode === null; i++)
    await new Promise((resolve) => setTimeout(resolve, 100));
  if (!existsSync(cache)) console.warn("build: priming the dashboard worker's code cache failed");
  child.kill('SIGTERM');
  await exited;
}
