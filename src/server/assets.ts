/**
 * The front end's files: `dist/ui/app.js` and `app.css`, built with the package by
 * `scripts/build.js` (esbuild; no CDN, everything offline). Running from the sources, a bundle
 * older than `src/server/web/` is rebuilt in memory with the same options, so the page always
 * matches the code.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot, SluiceError } from '../index.ts';

/** The built files the server hands out, by URL path. */
export interface UiAssets {
  readonly files: ReadonlyMap<string, { readonly body: Buffer; readonly type: string }>;
  /** How they were obtained, for the start-up line. */
  readonly origin: 'dist' | 'built';
}

const TYPES: Readonly<Record<string, string>> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

async function newest(dir: string): Promise<number> {
  let m = 0;
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    m = Math.max(m, e.isDirectory() ? await newest(p) : (await stat(p)).mtimeMs);
  }
  return m;
}

/** Loads the built front end, rebuilding it in memory when the sources are newer. */
export async function loadUiAssets(): Promise<UiAssets> {
  const root = packageRoot();
  const dist = join(root, 'dist', 'ui');
  const sources = join(root, 'src', 'server', 'web');
  const built = await stat(join(dist, 'app.js')).then(
    (s) => s.mtimeMs,
    () => -1,
  );
  if (built >= 0 && built >= (await newest(sources))) {
    const files = new Map<string, { body: Buffer; type: string }>();
    for (const [name, type] of Object.entries(TYPES))
      files.set(name, { body: await readFile(join(dist, name)), type });
    return { files, origin: 'dist' };
  }
  return { files: await buildInMemory(sources), origin: 'built' };
}

/** The esbuild options of the front end; `scripts/build.js` uses the same ones. */
export function uiBuildOptions(sources: string) {
  return {
    entryPoints: { app: join(sources, 'main.tsx') },
    bundle: true,
    format: 'esm' as const,
    target: 'es2020',
    minify: true,
    jsx: 'automatic' as const,
    jsxImportSource: 'preact',
    legalComments: 'none' as const,
    logLevel: 'silent' as const,
  };
}

async function buildInMemory(sources: string): Promise<Map<string, { body: Buffer; type: string }>> {
  const esbuild = await import('esbuild');
  let result: Awaited<ReturnType<typeof esbuild.build>>;
  try {
    result = await esbuild.build({ ...uiBuildOptions(sources), outdir: '/ui', write: false });
  } catch (e) {
    throw new SluiceError('INTERNAL', `the dashboard's front end does not build: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const f of result.outputFiles ?? []) {
    const name = f.path.slice(f.path.lastIndexOf('/') + 1);
    const type = TYPES[name];
    if (type) files.set(name, { body: Buffer.from(f.contents), type });
  }
  return files;
}
