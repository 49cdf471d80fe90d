import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { version as duckdbVersion } from '@duckdb/node-api';
import { packageRoot } from './package-root.ts';

/** Defined by scripts/build.js in the bundles: {@link sourcesHash} of the sources they were built from. */
declare const __SLUICE_SOURCES_HASH__: string | undefined;

/**
 * A hash of every file under `dir` (paths relative to it, sorted, and contents). scripts/build.js
 * computes the same over `src/` when it bundles, so a bundle and the sources it was built from
 * agree.
 */
export function hashSourceTree(dir: string): string {
  const files: string[] = [];
  const walk = (rel: string): void => {
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

/** The hash of sluice's sources: the one built into the bundle, else computed from `src/`. */
export function sourcesHash(): string {
  if (typeof __SLUICE_SOURCES_HASH__ === 'string') return __SLUICE_SOURCES_HASH__;
  return hashSourceTree(join(packageRoot(), 'src'));
}

/**
 * What identifies the code running: sluice's version, DuckDB's and the sources' hash. Anything
 * derived by this code (a compiled query kept on disk) is only reused under the same identity.
 */
export function codeIdentity(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return `sluice ${pkg.version}; duckdb ${duckdbVersion()}; sources ${sourcesHash()}`;
}
