'use strict';
// The dashboard's validation worker (see src/server/validate-graph.ts): loads the worker's bundle
// dist/ui-graph-worker.cjs compiled with V8's code cache beside it (as bin/sluice.js loads the
// CLI), and once the bundle says it is done (`exports.done`) writes the cache when there was none
// or V8 rejected it (best effort: a read-only install starts without).
// bin/sluice.js starts one as the process starts when the command is `sluice ui`, so the worker
// loads its code while the CLI loads its own; it then waits for its request (see graph-worker.ts).
const { readFileSync, writeFileSync, renameSync } = require('node:fs');
const { dirname, join } = require('node:path');
const Module = require('node:module');
const vm = require('node:vm');
const { threadId } = require('node:worker_threads');

const file = join(__dirname, '..', 'dist', 'ui-graph-worker.cjs');
const cacheFile = join(__dirname, '..', 'dist', `ui-graph-worker-${process.version}-${process.arch}.cache`);
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
const dynamicImport = vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), {
  filename: file,
  cachedData,
  ...(dynamicImport ? { importModuleDynamically: dynamicImport } : {}),
});
// import() inside a script compiled from the cache has no callback in Node 20 (see bin/sluice.js).
globalThis[Symbol.for('sluice.importModule')] = (specifier) => import(specifier);
const module_ = { exports: {} };
script.runInThisContext()(module_.exports, Module.createRequire(file), module_, file, dirname(file));
module_.exports.done.then(() => {
  if (cachedData && !script.cachedDataRejected) return;
  try {
    const tmp = `${cacheFile}.${process.pid}.${threadId}`;
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, cacheFile);
  } catch {
    // a read-only install: start without the cache
  }
});
