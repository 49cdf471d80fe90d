import { createRequire } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { compileFunction } from 'node:vm';
import type { SourceLocation } from '../errors/index.ts';
import { SourceMap } from '../util/index.ts';
import type { FrameMapper } from './registry.ts';

/**
 * A pipeline file bundled for in-process evaluation: its code (CommonJS, with its relative
 * imports inlined and `sluice` plus npm packages left as `require` calls) and the source map
 * back to the files it came from.
 */
export interface TsBundle {
  readonly file: string;
  readonly code: string;
  readonly map: SourceMap;
}

type EsbuildModule = typeof import('esbuild');

const OPTIONS: import('esbuild').BuildOptions & { write: false } = {
  bundle: true,
  write: false,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  external: ['sluice'],
  sourcemap: 'external',
  logLevel: 'silent',
};

/**
 * How one pipeline file loads: as a bundle; through the module loader (it needs real ES module
 * semantics: top-level await, `import.meta`); or not at all (it does not compile: `error` is
 * esbuild's first message, `location` absolute with a 1-based column).
 */
export type TsBuild =
  | { readonly kind: 'bundle'; readonly bundle: TsBundle }
  | { readonly kind: 'module' }
  | { readonly kind: 'error'; readonly message: string; readonly location?: SourceLocation };

type Message = import('esbuild').Message;

/**
 * Bundles pipeline files (all under `root`) with esbuild, one result per file in order. One build
 * serves all files; if it reports anything, each file builds alone so only the files concerned
 * leave the fast path. A file that fails as CommonJS builds once more as an ES module to tell
 * files needing module semantics (they build) from files with errors (they do not).
 */
export async function bundleTsFiles(files: readonly string[], root: string): Promise<TsBuild[]> {
  if (files.length === 0) return [];
  // CommonJS: `require` skips the export scan an ESM import runs over it.
  const { build } = createRequire(import.meta.url)('esbuild') as EsbuildModule;
  const outdir = resolve(root);
  const collect = (outputs: readonly { path: string; text: string }[], file: string): TsBuild => {
    const out = resolve(outdir, relative(outdir, file)).replace(/\.[cm]?tsx?$/, '');
    const code = outputs.find((o) => o.path === `${out}.js`)?.text;
    const map = outputs.find((o) => o.path === `${out}.js.map`)?.text;
    if (code === undefined || map === undefined) return { kind: 'module' };
    return { kind: 'bundle', bundle: { file, code, map: new SourceMap(map) } };
  };
  type Outcome =
    | { readonly outputs: readonly { path: string; text: string }[] }
    | { readonly warned: true }
    | { readonly errors: readonly Message[] };
  const once = async (entries: readonly string[], format: 'cjs' | 'esm' = 'cjs'): Promise<Outcome> => {
    try {
      const r = await build({
        ...OPTIONS,
        format,
        entryPoints: [...entries],
        outdir,
        outbase: outdir,
        absWorkingDir: outdir,
      });
      return r.warnings.length > 0 ? { warned: true } : { outputs: r.outputFiles ?? [] };
    } catch (e) {
      return { errors: ((e as { errors?: Message[] }).errors ?? []) as readonly Message[] };
    }
  };
  const all = await once(files);
  if ('outputs' in all) return files.map((f) => collect(all.outputs, f));
  return Promise.all(
    files.map(async (f): Promise<TsBuild> => {
      const alone = await once([f]);
      if ('outputs' in alone) return collect(alone.outputs, f);
      const asModule = await once([f], 'esm');
      if (!('errors' in asModule)) return { kind: 'module' };
      const first = asModule.errors[0];
      if (!first) return { kind: 'module' };
      const at = first.location;
      return {
        kind: 'error',
        message: first.text,
        ...(at ? { location: { file: resolve(outdir, at.file), line: at.line, column: at.column + 1 } } : {}),
      };
    }),
  );
}

/** Maps positions in a bundle's code to the original files (absolute paths). */
export function bundleFrameMapper(bundle: TsBundle): FrameMapper {
  const dir = dirname(bundle.file);
  return (loc: SourceLocation): SourceLocation => {
    const pos = bundle.map.originalPosition(loc.line, loc.column ?? 1);
    return pos ? { file: resolve(dir, pos.source), line: pos.line, column: pos.column } : loc;
  };
}

/**
 * Runs a bundle as a CommonJS module named after its file (stack frames carry that name).
 * `require('sluice')` returns `sluice`; other specifiers resolve from the file's folder.
 * Synchronous: nothing else runs while a bundle evaluates.
 */
export function evaluateBundle(bundle: TsBundle, sluice: object): void {
  const fn = compileFunction(bundle.code, ['exports', 'require', 'module', '__filename', '__dirname'], {
    filename: bundle.file,
  });
  const requireFrom = createRequire(bundle.file);
  const req = Object.assign((id: string): unknown => (id === 'sluice' ? sluice : requireFrom(id)), {
    resolve: requireFrom.resolve,
    cache: requireFrom.cache,
  });
  const module = { exports: {} };
  fn.call(module.exports, module.exports, req, module, bundle.file, dirname(bundle.file));
}
