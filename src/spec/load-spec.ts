import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import picomatch from 'picomatch';
import { type Document, isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import type * as z from 'zod/mini';
import { SluiceError, type SourceLocation } from '../errors/index.ts';
import type { ExternalTable } from '../model/index.ts';
import { bundlePipelineFields, choosePipeline } from './bundle/bundle-pipeline.ts';
import {
  BUNDLE_FILE_NAMES,
  type BundleOptions,
  type LoadedBundle,
  loadBundle,
} from './bundle/load-bundle.ts';
import { type NotificationAlert, rawSpecSchema } from './schema.ts';

/** File names recognised as a pipeline spec, in order of preference. */
export const SPEC_FILE_NAMES = [
  'spark-pipeline.yml',
  'spark-pipeline.yaml',
  'sluice.yml',
  'sluice.yaml',
] as const;

/** The libraries used when the spec lists none. */
export const DEFAULT_LIBRARIES: readonly LibraryGlob[] = Object.freeze([
  Object.freeze({ glob: Object.freeze({ include: 'transformations/**' }) }),
]);

export interface LibraryGlob {
  readonly glob: { readonly include: string };
}

/** One library file (a bundle's `file:` or `notebook:` library), relative to the spec folder. */
export interface LibraryFile {
  readonly file: { readonly path: string };
}

export type LibrarySpec = LibraryGlob | LibraryFile;

/** Where a spec read from a Databricks Asset Bundle came from, and what applies only on Databricks. */
export interface BundleSource {
  readonly bundle: string;
  readonly target: string;
  /** The pipeline's key under `resources.pipelines`. */
  readonly pipeline: string;
  readonly mode?: string;
  /** Databricks-only pipeline fields (serverless, photon, edition, channel, clusters, …) as written. */
  readonly databricks: Readonly<Record<string, unknown>>;
  /** `${…}` references sluice cannot resolve locally (`workspace.*`, `resources.*`), kept as text. */
  readonly unresolved: readonly string[];
}

export interface NotificationSpec {
  readonly alerts: readonly NotificationAlert[];
  readonly emailRecipients: readonly string[];
  readonly webhookUrls: readonly string[];
}

/**
 * A validated pipeline spec. Invariants: `root` and `storage` are absolute; `specFile` is the
 * absolute path of the file read; `libraries` is never empty; map values are strings.
 */
export interface PipelineSpec {
  readonly name: string;
  /** The folder holding the spec; library globs and relative paths resolve against it. */
  readonly root: string;
  readonly specFile: string;
  readonly storage: string;
  readonly catalog?: string;
  /** `schema` or its alias `database`. */
  readonly schema?: string;
  readonly configuration: Readonly<Record<string, string>>;
  readonly libraries: readonly LibrarySpec[];
  readonly continuous: boolean;
  readonly notifications: readonly NotificationSpec[];
  readonly tags: Readonly<Record<string, string>>;
  /** Tables outside the pipeline bound to local data (`external_tables`); names have a qualifier. */
  readonly externalTables: readonly ExternalTable[];
  /** SMTP settings from the spec (environment SLUICE_SMTP_* fills what is missing; see engine/notifications-email.ts). */
  readonly smtp?: SmtpSpec;
  /** Present when the spec is a bundle's pipeline (`databricks.yml`). */
  readonly bundle?: BundleSource;
  /** What loading noticed without refusing (unknown bundle fields, references kept as text). */
  readonly warnings: readonly SluiceError[];
}

export interface SmtpSpec {
  readonly host?: string;
  readonly port?: number;
  readonly from?: string;
  readonly secure?: boolean;
  readonly user?: string;
  readonly password?: string;
}

/** Which pipeline of a bundle, for which target, with which variables (ignored for other specs). */
export interface BundleSelection {
  readonly target?: string;
  readonly vars?: Readonly<Record<string, string>>;
  /** The pipeline's key under `resources.pipelines`; needed when the bundle defines several. */
  readonly pipeline?: string;
}

export interface LoadSpecOptions extends BundleOptions {
  /** Working directory used to resolve a relative `dirOrFile` and to walk up from. */
  readonly cwd?: string;
  /** A bundle's pipeline key (`--pipeline`); needed when the bundle defines several. */
  readonly pipeline?: string;
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function specIn(dir: string, preferBundle: boolean): Promise<string | undefined> {
  const names = preferBundle
    ? [...BUNDLE_FILE_NAMES, ...SPEC_FILE_NAMES]
    : [...SPEC_FILE_NAMES, ...BUNDLE_FILE_NAMES];
  for (const name of names) {
    const p = join(dir, name);
    if (await isFile(p)) return p;
  }
  return undefined;
}

/**
 * Finds the spec file: `dirOrFile` may name the spec itself or a folder holding one; without it,
 * the working directory and its ancestors are searched (nearest wins). A folder's
 * spark-pipeline.yml wins over its databricks.yml, unless bundle options (a target, variables,
 * a pipeline key) are given. Throws PIPELINE_SPEC_NOT_FOUND.
 */
export async function findSpecFile(
  dirOrFile: string | undefined,
  options: LoadSpecOptions = {},
): Promise<string> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const preferBundle =
    options.target !== undefined ||
    options.pipeline !== undefined ||
    Object.keys(options.vars ?? {}).length > 0;
  if (dirOrFile !== undefined) {
    const target = resolve(cwd, dirOrFile);
    if (await isFile(target)) return target;
    if (await isDirectory(target)) {
      const found = await specIn(target, preferBundle);
      if (found) return found;
    }
    throw new SluiceError(
      'PIPELINE_SPEC_NOT_FOUND',
      `no pipeline spec (${[...SPEC_FILE_NAMES, ...BUNDLE_FILE_NAMES].join(', ')}) found at ${target}`,
      { params: { path: target } },
    );
  }
  for (let dir = cwd; ; dir = dirname(dir)) {
    const found = await specIn(dir, preferBundle);
    if (found) return found;
    if (dirname(dir) === dir) break;
  }
  throw new SluiceError(
    'PIPELINE_SPEC_NOT_FOUND',
    `no pipeline spec (${[...SPEC_FILE_NAMES, ...BUNDLE_FILE_NAMES].join(', ')}) found in ${cwd} or any parent folder; run 'sluice init' to create one`,
    { params: { path: cwd } },
  );
}

/** The location of the YAML node at `path` (for an unknown key: the key itself), 1-based. */
function locate(
  doc: Document,
  lines: LineCounter,
  file: string,
  path: readonly PropertyKey[],
  key?: string,
): SourceLocation {
  let offset: number | undefined;
  for (let depth = path.length; depth >= 0 && offset === undefined; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as unknown[], true);
    if (key !== undefined && depth === path.length && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
      if (pair && isScalar(pair.key) && pair.key.range) offset = pair.key.range[0];
    }
    if (
      offset === undefined &&
      node &&
      typeof node === 'object' &&
      'range' in node &&
      Array.isArray(node.range)
    ) {
      offset = node.range[0] as number;
    }
  }
  const pos = lines.linePos(offset ?? 0);
  return { file, line: pos.line, column: pos.col };
}

function fieldPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? String(p) : `.${String(p)}`;
  return s === '' ? '(root)' : s;
}

/**
 * Checks a libraries glob: it must compile (balanced brackets, braces, parentheses) and stay
 * inside the pipeline folder (relative, no `..` segment). Throws PIPELINE_SPEC_INVALID_GLOB_PATTERN.
 */
export function checkGlobPattern(pattern: string, location?: SourceLocation): void {
  const fail = (why: string) => {
    throw new SluiceError(
      'PIPELINE_SPEC_INVALID_GLOB_PATTERN',
      `libraries glob '${pattern}' is not valid: ${why}`,
      {
        params: { pattern },
        ...(location ? { location } : {}),
      },
    );
  };
  if (isAbsolute(pattern) || /^[A-Za-z]:[\\/]/.test(pattern)) fail('it must be relative to the spec folder');
  if (pattern.split(/[\\/]/).includes('..')) fail("it must not leave the spec folder ('..')");
  try {
    picomatch.makeRe(pattern, { strictBrackets: true });
  } catch (e) {
    fail((e as Error).message);
  }
}

/**
 * Loads and validates a pipeline spec. Unknown fields → PIPELINE_SPEC_UNEXPECTED_FIELD,
 * bad globs → PIPELINE_SPEC_INVALID_GLOB_PATTERN, other problems → PIPELINE_SPEC_INVALID;
 * every error carries the field path in `params.field` and the spec's file:line.
 */
export async function loadSpec(dirOrFile?: string, options: LoadSpecOptions = {}): Promise<PipelineSpec> {
  const specFile = await findSpecFile(dirOrFile, options);
  const root = dirname(specFile);
  if ((BUNDLE_FILE_NAMES as readonly string[]).includes(basename(specFile)))
    return loadBundleSpec(specFile, root, options);
  const text = await readFile(specFile, 'utf8');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const file = basename(specFile);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = lines.linePos(e.pos[0]);
    throw new SluiceError('PIPELINE_SPEC_INVALID', `${file} is not valid YAML: ${e.message.split('\n')[0]}`, {
      location: { file, line: pos.line, column: pos.col },
    });
  }
  const value = doc.toJS() ?? {};
  const parsed = rawSpecSchema.safeParse(value);
  if (!parsed.success) throw specError(parsed.error.issues, value, doc, lines, file);
  const raw = parsed.data;

  if (raw.schema !== undefined && raw.database !== undefined && raw.schema !== raw.database) {
    throw new SluiceError(
      'PIPELINE_SPEC_INVALID',
      `'schema' and 'database' are aliases but name different schemas ('${raw.schema}' vs '${raw.database}')`,
      { params: { field: 'schema' }, location: locate(doc, lines, file, ['schema']) },
    );
  }
  const libraries = raw.libraries ?? DEFAULT_LIBRARIES;
  for (const [i, lib] of libraries.entries()) {
    checkGlobPattern(lib.glob.include, locate(doc, lines, file, ['libraries', i, 'glob', 'include']));
  }
  const schema = raw.schema ?? raw.database;
  const externalTables = Object.entries(raw.external_tables ?? {}).map(([name, v]) =>
    externalTable(name, v, locate(doc, lines, file, ['external_tables'], name)),
  );
  return Object.freeze({
    name: raw.name,
    root,
    specFile,
    storage: resolve(root, raw.storage ?? '.sluice'),
    ...(raw.catalog !== undefined ? { catalog: raw.catalog } : {}),
    ...(schema !== undefined ? { schema } : {}),
    configuration: Object.freeze({ ...(raw.configuration ?? {}) }),
    libraries: Object.freeze(
      libraries.map((l) => Object.freeze({ glob: Object.freeze({ include: l.glob.include }) })),
    ),
    continuous: raw.continuous ?? false,
    notifications: Object.freeze(
      (raw.notifications ?? []).map((n) =>
        Object.freeze({
          alerts: Object.freeze([...n.alerts]),
          emailRecipients: Object.freeze([...(n.email_recipients ?? [])]),
          webhookUrls: Object.freeze([...(n.webhook_urls ?? [])]),
        }),
      ),
    ),
    tags: Object.freeze({ ...(raw.tags ?? {}) }),
    externalTables: Object.freeze(externalTables),
    ...(raw.smtp !== undefined ? { smtp: Object.freeze({ ...raw.smtp }) } : {}),
    warnings: Object.freeze([]),
  });
}

/**
 * A pipeline of a Databricks Asset Bundle as a spec: the bundle read for one target (see
 * `loadBundle`), its pipeline chosen by key. Storage is per target and pipeline
 * (`.sluice/<target>/<key>` next to databricks.yml), so targets never share tables.
 */
async function loadBundleSpec(
  specFile: string,
  root: string,
  options: LoadSpecOptions,
): Promise<PipelineSpec> {
  return bundlePipelineSpec(await loadBundle(specFile, root, options), options.pipeline);
}

/**
 * The spec of pipeline `key` (or the only pipeline) of a bundle already loaded, as `loadSpec`
 * gives it; lets a caller that reads every pipeline of a bundle (`sluice lint`) load the bundle
 * once. @throws SluiceError BUNDLE_PIPELINE_NOT_FOUND, BUNDLE_INVALID.
 */
export function bundlePipelineSpec(bundle: LoadedBundle, key: string | undefined): PipelineSpec {
  const specFile = bundle.file.path;
  const root = bundle.root;
  const resource = choosePipeline(bundle, key);
  const p = bundlePipelineFields(bundle, resource);
  for (const lib of p.libraries)
    if ('glob' in lib)
      checkGlobPattern(lib.glob.include, resource.file.locate(['resources', 'pipelines', p.key]));
  const warnings = [...p.warnings];
  if (bundle.unresolved.length > 0)
    warnings.push(
      new SluiceError(
        'BUNDLE_REFERENCE_UNRESOLVED',
        `references sluice cannot resolve locally are kept as text: ${bundle.unresolved.map((r) => `\${${r}}`).join(', ')}`,
        { params: { references: bundle.unresolved }, location: bundle.file.locate([]) },
      ),
    );
  return Object.freeze({
    name: p.name,
    root,
    specFile,
    storage: join(root, '.sluice', bundle.target, p.key),
    ...(p.catalog !== undefined ? { catalog: p.catalog } : {}),
    ...(p.schema !== undefined ? { schema: p.schema } : {}),
    configuration: Object.freeze(p.configuration),
    libraries: Object.freeze(p.libraries.map((l) => Object.freeze(l))),
    continuous: p.continuous,
    notifications: Object.freeze(p.notifications.map((n) => Object.freeze({ ...n }))),
    tags: Object.freeze(p.tags),
    externalTables: Object.freeze([]),
    bundle: Object.freeze({
      bundle: bundle.name,
      target: bundle.target,
      pipeline: p.key,
      ...(bundle.mode !== undefined ? { mode: bundle.mode } : {}),
      databricks: Object.freeze(p.databricks),
      unresolved: Object.freeze([...bundle.unresolved]),
    }),
    warnings: Object.freeze(warnings),
  });
}

/** The value at `path` inside `value`, or undefined where the path does not exist. */
function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function specError(
  issues: readonly z.core.$ZodIssue[],
  value: unknown,
  doc: Document,
  lines: LineCounter,
  file: string,
): SluiceError {
  // Unknown fields first: they are the most common typo and the most precise message.
  const unknown = issues.find((i) => i.code === 'unrecognized_keys');
  if (unknown && unknown.code === 'unrecognized_keys') {
    const key = unknown.keys[0]!;
    const field = fieldPath([...unknown.path, key]);
    return new SluiceError(
      'PIPELINE_SPEC_UNEXPECTED_FIELD',
      `unexpected field '${field}' in the pipeline spec`,
      {
        params: { field, fields: unknown.keys.map((k) => fieldPath([...unknown.path, k])) },
        location: locate(doc, lines, file, unknown.path, key),
      },
    );
  }
  const issue = issues[0]!;
  const field = fieldPath(issue.path);
  const missing = issue.code === 'invalid_type' && valueAt(value, issue.path) === undefined;
  const message = missing ? `required field '${field}' is missing` : `field '${field}': ${issue.message}`;
  return new SluiceError('PIPELINE_SPEC_INVALID', message, {
    params: { field, issues: issues.map((i) => ({ field: fieldPath(i.path), message: i.message })) },
    location: locate(doc, lines, file, issue.path),
  });
}

/**
 * One `external_tables` entry: `name: path` (a Delta table) or `name: {path, format, options}`.
 * Throws PIPELINE_SPEC_INVALID for an unqualified name (it would hide a pipeline dataset).
 */
function externalTable(
  name: string,
  value: string | { path: string; format?: ExternalTable['format']; options?: Record<string, string> },
  location: SourceLocation,
): ExternalTable {
  const parts = name.split('.');
  if (parts.length < 2 || parts.some((p) => p.trim() === '')) {
    throw new SluiceError(
      'PIPELINE_SPEC_INVALID',
      `external table '${name}' must be qualified (schema.table or catalog.schema.table): an unqualified name would hide the pipeline's own datasets`,
      { params: { field: 'external_tables', name }, location },
    );
  }
  const v = typeof value === 'string' ? { path: value } : value;
  return Object.freeze({
    name,
    path: v.path,
    format: v.format ?? 'delta',
    options: Object.freeze({ ...(v.options ?? {}) }),
    location,
  });
}
