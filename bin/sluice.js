#!/usr/bin/env node
// Starts the CLI from the bundle in dist/ (built by `npm install`), or from the TypeScript
// sources through tsx when the bundle is missing, older than the sources, or SLUICE_FROM_SOURCE=1.
// The bundle is compiled with V8's code cache when there is one for this Node.js (see
// scripts/build.js); a missing or rejected cache is written again once the command ends.
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';

// SIGINT / SIGTERM are handled for the whole life of the process, start-up and teardown included:
// the first asks the command to stop (an update finishes its running batches and ends CANCELED;
// other commands finish), a second one exits at once.
const stop = new AbortController();
let stopRequests = 0;
const onStopSignal = () => {
  stopRequests++;
  if (stopRequests > 1) process.exit(130);
  stop.abort();
};
process.on('SIGINT', onStopSignal);
process.on('SIGTERM', onStopSignal);

const root = new URL('..', import.meta.url).pathname;
const bundle = join(root, 'dist', 'sluice.cjs');

// Run at every start over every source file: string paths (path.join normalizes each one, as much
// time as the stat itself), no Math.max call per file.
function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    const t = e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

/** Evaluates the CommonJS bundle with the code cache; returns its exports and a cache saver. */
function loadBundle() {
  const require = createRequire(bundle);
  const dynamicImport = vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
  if (!dynamicImport) return { exports: require(bundle), save: () => {} };
  const cacheFile = join(root, 'dist', `sluice-${process.version}-${process.arch}.cache`);
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(readFileSync(bundle, 'utf8')), {
    filename: bundle,
    cachedData,
    importModuleDynamically: dynamicImport,
  });
  // import() inside a script compiled from the cache has no callback in Node 20: lend ours
  // (see src/util/import-module.ts).
  globalThis[Symbol.for('sluice.importModule')] = (specifier) => import(specifier);
  const module = { exports: {} };
  script.runInThisContext()(module.exports, require, module, bundle, dirname(bundle));
  const save = () => {
    if (cachedData && !script.cachedDataRejected) return;
    try {
      const tmp = `${cacheFile}.${process.pid}`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile);
    } catch {
      // a read-only install: start without the cache
    }
  };
  return { exports: module.exports, save };
}

const useBundle =
  process.env.SLUICE_FROM_SOURCE !== '1' &&
  existsSync(bundle) &&
  statSync(bundle).mtimeMs >= newestSource(join(root, 'src'));

if (useBundle) {
  if (process.argv[2] === 'ui') prestartGraphWorker();
  const { exports, save } = loadBundle();
  process.exitCode = await exports.main(process.argv.slice(2), { signal: stop.signal });
  save();
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2), { signal: stop.signal });
}
// Exit now, with the signal handlers still installed: left to drain by itself, Node closes them
// before its teardown (DuckDB's destructors), and a signal then would end the process by force.
// Writes to a pipe are asynchronous on POSIX: first let what is still queued reach the reader
// (or the reader go away).
await Promise.all([process.stdout, process.stderr].map(flushed));
process.exit();

/**
 * `sluice ui` validates the pipeline on a worker thread (src/server/validate-graph.ts). Started
 * here, the worker loads its code on the second core while this thread loads the CLI's, then
 * waits for its request; unreferenced until then, so it never keeps the process alive.
 */
function prestartGraphWorker() {
  const loader = join(root, 'bin', 'graph-worker-loader.cjs');
  if (!existsSync(join(root, 'dist', 'ui-graph-worker.cjs'))) return;
  const slot = Symbol.for('sluice.graphWorker');
  try {
    const worker = new Worker(loader, { workerData: { created: Date.now() }, stdout: false, stderr: false });
    worker.unref();
    const forget = () => {
      if (globalThis[slot] === worker) globalThis[slot] = undefined;
    };
    worker.on('error', forget);
    worker.on('exit', forget);
    globalThis[slot] = worker;
  } catch {
    // validation then starts its own worker, or runs on this thread
  }
}

/** Resolves when `stream` has nothing queued, or can take nothing more (closed, broken pipe). */
function flushed(stream) {
  if (!stream.writableLength || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('drain', resolve);
    stream.once('error', resolve);
    stream.once('close', resolve);
  });
}
