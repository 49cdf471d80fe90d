// The hash scripts/build.js bakes into the bundles (__SLUICE_SOURCES_HASH__): every file under a
// folder, paths relative to it, sorted, with their contents. src/util/code-identity.ts computes the
// same when sluice runs from its sources; test/util/code-identity.test.ts checks the two agree.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The hash of every file under `dir` (as src/util/code-identity.ts's hashSourceTree). */
export function hashSourceTree(dir) {
  const files = [];
  const walk = (rel) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path);
      else if (e.isFile()) files.push(path);
    }
  };
  walk('');
  files.sort();
  const hash = createHash('sha256');
  for (const f of files)
    hash
      .update(`${f}\0`)
      .update(readFileSync(join(dir, f)))
      .update('\0');
  return hash.digest('hex');
}
