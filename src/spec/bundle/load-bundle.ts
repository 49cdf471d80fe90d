import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { SluiceError, type SourceLocation } from '../../errors/index.ts';
import { interpolate } from './interpolate.ts';
import { mergeOverride } from './merge.ts';
import { readYamlFile, type YamlFile } from './yaml-file.ts';

/** File names recognised as a Databricks Asset Bundle's root file. */
export const BUNDLE_FILE_NAMES = ['databricks.yml', 'databricks.yaml'] as const;

/** How to read a bundle: which target, and variable values from the command line. */
export interface BundleOptions {
  /** `--target/-t`; default: the target marked `default: true` (or the only one). */
  readonly target?: string;
  /** `--var name=value` values; they win over BUNDLE_VAR_<name> and target values. */
  readonly vars?: Readonly<Record<string, string>>;
  /** Environment for BUNDLE_VAR_<name> (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A resource (pipeline or job) after target overrides and references, with the file that defined it. */
export interface BundleResource {
  readonly key: string;
  readonly value: Record<string, unknown>;
  readonly file: YamlFile;
}

/**
 * A bundle as the Databricks CLI would deploy it to one target: its files merged (`include:`),
 * the target's overrides applied, `${…}` references resolved. Invariant: every resource value is
 * a mapping; `unresolved` lists references sluice cannot know locally (kept as text).
 */
export interface LoadedBundle {
  readonly root: string;
  readonly file: YamlFile;
  readonly name: string;
  readonly target: string;
  readonly mode?: string;
  readonly pipelines: readonly BundleResource[];
  readonly jobs: readonly BundleResource[];
  readonly unresolved: readonly string[];
}

const SKIP_DIRS = new Set(['node_modules', '.git', '.databricks', '.sluice']);

async function listFiles(dir: string, root: string, out: string[]): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) await listFiles(join(dir, e.name), root, out);
    } else if (e.isFile()) out.push(relative(root, join(dir, e.name)).split(sep).join('/'));
  }
}

function asMap(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function invalid(
  message: string,
  location: SourceLocation | undefined,
  params: Record<string, unknown> = {},
) {
  return new SluiceError('BUNDLE_INVALID', message, { params, ...(location ? { location } : {}) });
}

/** The root file and every file its `include:` globs match (sorted, each once). */
async function bundleFiles(root: string, rootFile: YamlFile): Promise<YamlFile[]> {
  const include = rootFile.value.include;
  if (include === undefined) return [rootFile];
  if (!Array.isArray(include) || include.some((g) => typeof g !== 'string'))
    throw invalid(`'include' must be a list of file globs`, rootFile.locate(['include']));
  const all: string[] = [];
  await listFiles(root, root, all);
  const matchers = (include as string[]).map((g) => picomatch(g.replace(/^\.\//, '')));
  const names = all
    .filter((f) => f !== rootFile.name && /\.ya?ml$/.test(f) && matchers.some((m) => m(f)))
    .sort();
  return [rootFile, ...(await Promise.all(names.map((n) => readYamlFile(join(root, n), root))))];
}

/** Resources of one kind from every file, each key defined once. */
function collectResources(files: readonly YamlFile[], kind: string): Map<string, BundleResource> {
  const out = new Map<string, BundleResource>();
  for (const file of files) {
    for (const [key, value] of Object.entries(asMap(asMap(file.value.resources)[kind]))) {
      const first = out.get(key);
      if (first)
        throw invalid(
          `resource '${kind}.${key}' is defined twice (also in ${first.file.name})`,
          file.locate(['resources', kind, key]),
          { resource: `${kind}.${key}` },
        );
      out.set(key, { key, value: asMap(value), file });
    }
  }
  return out;
}

function chooseTarget(
  targets: Record<string, unknown>,
  requested: string | undefined,
  rootFile: YamlFile,
): string {
  const names = Object.keys(targets);
  if (requested !== undefined) {
    if (names.length === 0 && requested === 'default') return requested;
    if (!Object.hasOwn(targets, requested))
      throw invalid(
        `target '${requested}' is not defined in the bundle${names.length > 0 ? ` (targets: ${names.join(', ')})` : ''}`,
        rootFile.locate(['targets']),
        { target: requested, targets: names },
      );
    return requested;
  }
  if (names.length === 0) return 'default';
  const defaults = names.filter((n) => asMap(targets[n]).default === true);
  if (defaults.length === 1) return defaults[0]!;
  if (names.length === 1) return names[0]!;
  throw invalid(
    `the bundle has several targets and ${defaults.length === 0 ? 'none is marked default: true' : 'more than one is marked default'}; choose one with --target (${names.join(', ')})`,
    rootFile.locate(['targets']),
    { targets: names },
  );
}

/**
 * Every declared variable's value, by precedence: `--var`, BUNDLE_VAR_<name>, the target's
 * value, the declared default. Values may refer to other variables and to `${bundle.*}`.
 */
function variableValues(
  files: readonly YamlFile[],
  target: Record<string, unknown>,
  options: BundleOptions,
  name: string,
  targetName: string,
  unresolved: Set<string>,
): Record<string, unknown> {
  const declared = new Map<string, { file: YamlFile; spec: Record<string, unknown> }>();
  for (const file of files)
    for (const [k, v] of Object.entries(asMap(file.value.variables)))
      declared.set(k, { file, spec: v !== null && typeof v === 'object' ? asMap(v) : { default: v } });
  const env = options.env ?? process.env;
  const targetValues = asMap(target.variables);
  const values: Record<string, unknown> = {};
  for (const [k, { file, spec }] of declared) {
    const fromTarget = targetValues[k];
    const targetValue =
      fromTarget !== null && typeof fromTarget === 'object' && !Array.isArray(fromTarget)
        ? asMap(fromTarget).default
        : fromTarget;
    const v = options.vars?.[k] ?? env[`BUNDLE_VAR_${k}`] ?? targetValue ?? spec.default;
    if (v === undefined) {
      if (spec.lookup !== undefined) {
        unresolved.add(`var.${k}`);
        values[k] = `\${var.${k}}`;
        continue;
      }
      throw invalid(
        `variable '${k}' has no value: give it a default, a value in target '${targetName}', --var ${k}=… or BUNDLE_VAR_${k}`,
        file.locate(['variables', k]),
        { variable: k },
      );
    }
    values[k] = v;
  }
  for (const k of Object.keys(targetValues))
    if (!declared.has(k))
      throw invalid(
        `target '${targetName}' sets variable '${k}', which the bundle does not declare`,
        undefined,
        {
          variable: k,
        },
      );
  // Variables referring to variables: resolve until nothing changes (cycles stay as text).
  for (let pass = 0; pass < 10; pass++) {
    const next = interpolate(
      values,
      { bundleName: name, target: targetName, variables: values },
      new Set(),
      () => undefined,
    ) as Record<string, unknown>;
    if (JSON.stringify(next) === JSON.stringify(values)) break;
    Object.assign(values, next);
  }
  return values;
}

/**
 * Loads the bundle whose root file is `rootPath` for one target.
 * @throws SluiceError BUNDLE_INVALID (with file:line) for a bundle the Databricks CLI would refuse.
 */
export async function loadBundle(
  rootPath: string,
  root: string,
  options: BundleOptions = {},
): Promise<LoadedBundle> {
  const rootFile = await readYamlFile(rootPath, root);
  const name = asMap(rootFile.value.bundle).name;
  if (typeof name !== 'string' || name === '')
    throw invalid(`the bundle has no 'bundle.name'`, rootFile.locate(['bundle']));
  const files = await bundleFiles(root, rootFile);
  const targets: Record<string, unknown> = {};
  for (const file of files) Object.assign(targets, asMap(file.value.targets));
  const targetName = chooseTarget(targets, options.target, rootFile);
  const target = asMap(targets[targetName]);
  const unresolved = new Set<string>();
  const variables = variableValues(files, target, options, name, targetName, unresolved);
  const refs = { bundleName: name, target: targetName, variables };

  const resolve = (kind: string): BundleResource[] => {
    const resources = collectResources(files, kind);
    const overrides = asMap(asMap(target.resources)[kind]);
    for (const [key, over] of Object.entries(overrides)) {
      const base = resources.get(key);
      // A target may define a resource of its own.
      resources.set(key, {
        key,
        value: asMap(mergeOverride(base?.value ?? {}, over)),
        file: base?.file ?? rootFile,
      });
    }
    return [...resources.values()].map((r) => ({
      ...r,
      value: asMap(
        interpolate(r.value, refs, unresolved, (p) => r.file.locate(['resources', kind, r.key, ...p])),
      ),
    }));
  };
  const mode = target.mode;
  return {
    root,
    file: rootFile,
    name,
    target: targetName,
    ...(typeof mode === 'string' ? { mode } : {}),
    pipelines: resolve('pipelines'),
    jobs: resolve('jobs'),
    unresolved: [...unresolved].sort(),
  };
}
