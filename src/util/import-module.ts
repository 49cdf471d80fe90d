/**
 * The key under which the CLI's launcher (bin/sluice.js) leaves its own `import()` on globalThis.
 * The CLI bundle runs as a classic script compiled from V8's code cache, and there Node 20 drops
 * the callback that `import()` needs ("A dynamic import callback was not specified").
 */
export const IMPORT_MODULE_KEY = Symbol.for('sluice.importModule');

/**
 * `import(specifier)` for an absolute URL or a bare package name; works in the CLI bundle too.
 */
export function importModule<T = unknown>(specifier: string): Promise<T> {
  const launcher = (globalThis as { [IMPORT_MODULE_KEY]?: (s: string) => Promise<unknown> })[
    IMPORT_MODULE_KEY
  ];
  return (launcher ? launcher(specifier) : import(specifier)) as Promise<T>;
}
