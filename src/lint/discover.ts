import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { SluiceError } from '../errors/index.ts';
import { BUNDLE_FILE_NAMES, SPEC_FILE_NAMES } from '../spec/index.ts';
import { LINT_CONFIG_FILE_NAMES } from './config.ts';

/**
 * What `sluice lint [path…]` reads. A folder is searched (dot-folders, node_modules and
 * storage folders skipped): a `databricks.yml` makes its folder a bundle, a `spark-pipeline.yml`
 * (or `sluice.yml`) a sluice pipeline — a folder may be both — and every other `.sql`, `.py`,
 * `.yml`/`.yaml` file is a candidate loose file (files a pipeline or bundle reads are linted
 * with it instead). A file argument is read as what its name says.
 */
export interface LintTargets {
  /** Absolute paths of sluice specs. */
  readonly specs: readonly string[];
  /** Absolute paths of bundle root files. */
  readonly bundles: readonly string[];
  /** Candidate loose files; `explicit` when named on the command line (their problems are reported). */
  readonly files: readonly { readonly path: string; readonly explicit: boolean }[];
}

const SKIP_DIRS = new Set(['node_modules', '.git', '.sluice', '.databricks', 'dist', '__pycache__']);
const LOOSE_EXTENSIONS = new Set(['.sql', '.py', '.yml', '.yaml']);

function kindOf(file: string): 'spec' | 'bundle' | 'config' | 'loose' | undefined {
  const name = basename(file);
  if ((SPEC_FILE_NAMES as readonly string[]).includes(name)) return 'spec';
  if ((BUNDLE_FILE_NAMES as readonly string[]).includes(name)) return 'bundle';
  if ((LINT_CONFIG_FILE_NAMES as readonly string[]).includes(name)) return 'config';
  return LOOSE_EXTENSIONS.has(extname(name).toLowerCase()) ? 'loose' : undefined;
}

async function walk(
  dir: string,
  out: { specs: string[]; bundles: string[]; files: { path: string; explicit: boolean }[] },
): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const subdirs: string[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) subdirs.push(path);
      continue;
    }
    if (!e.isFile()) continue;
    const kind = kindOf(path);
    if (kind === 'spec') out.specs.push(path);
    else if (kind === 'bundle') out.bundles.push(path);
    else if (kind === 'loose') out.files.push({ path, explicit: false });
  }
  await Promise.all(subdirs.map((d) => walk(d, out)));
}

/**
 * The specs, bundles and loose files under `paths` (relative to `cwd`; none means `cwd`).
 * @throws SluiceError LINT_PATH_NOT_FOUND for a path that does not exist.
 */
export async function discoverTargets(paths: readonly string[], cwd: string): Promise<LintTargets> {
  const out = {
    specs: [] as string[],
    bundles: [] as string[],
    files: [] as { path: string; explicit: boolean }[],
  };
  for (const p of paths.length > 0 ? paths : ['.']) {
    const abs = resolve(cwd, p);
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(abs);
    } catch {
      throw new SluiceError('LINT_PATH_NOT_FOUND', `nothing to lint at ${p}: no such file or folder`, {
        params: { path: abs },
      });
    }
    if (info.isDirectory()) {
      await walk(abs, out);
      continue;
    }
    const kind = kindOf(abs);
    if (kind === 'spec') out.specs.push(abs);
    else if (kind === 'bundle') out.bundles.push(abs);
    else if (kind === 'loose') out.files.push({ path: abs, explicit: true });
    else if (kind === undefined)
      throw new SluiceError(
        'USAGE',
        `sluice lint reads folders, pipelines, bundles and .sql, .py, .yml files, not ${p}`,
        { params: { path: abs } },
      );
  }
  const unique = <T>(xs: T[], k: (x: T) => string) => [...new Map(xs.map((x) => [k(x), x])).values()];
  return {
    specs: unique(out.specs, (x) => x).sort(),
    bundles: unique(out.bundles, (x) => x).sort(),
    files: unique(out.files, (x) => x.path).sort((a, b) => (a.path < b.path ? -1 : 1)),
  };
}
