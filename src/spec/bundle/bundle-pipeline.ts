import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { SluiceError, type SourceLocation } from '../../errors/index.ts';
import { NOTIFICATION_ALERTS, type NotificationAlert } from '../schema.ts';
import type { BundleResource, LoadedBundle } from './load-bundle.ts';

/** A library of a pipeline: files matched by a glob, or one file; paths relative to the pipeline root. */
export type BundleLibrary =
  | { readonly glob: { readonly include: string } }
  | { readonly file: { readonly path: string } };

/** Pipeline fields that matter only on Databricks: shown by validate, checked by lint, no effect locally. */
export const DATABRICKS_ONLY_FIELDS = [
  'serverless',
  'photon',
  'channel',
  'edition',
  'clusters',
  'development',
  'root_path',
  'budget_policy_id',
  'permissions',
  'environment',
  'event_log',
  'trigger',
  'filters',
  'deployment',
  'run_as',
  'allow_duplicate_names',
  'dry_run',
  'ingestion_definition',
  'gateway_definition',
  'restart_window',
  'usage_policy_id',
  'storage',
  'id',
] as const;

/** Fields sluice maps to its own spec. */
const MAPPED_FIELDS = new Set([
  'name',
  'catalog',
  'schema',
  'target',
  'configuration',
  'libraries',
  'continuous',
  'notifications',
  'tags',
]);

/** The pipeline of a bundle as sluice's spec fields, before the spec is frozen. */
export interface BundlePipelineFields {
  readonly key: string;
  readonly name: string;
  readonly catalog?: string;
  readonly schema?: string;
  readonly configuration: Record<string, string>;
  readonly libraries: BundleLibrary[];
  readonly continuous: boolean;
  readonly notifications: { alerts: NotificationAlert[]; emailRecipients: string[]; webhookUrls: string[] }[];
  readonly tags: Record<string, string>;
  /** Databricks-only fields as written (after references). */
  readonly databricks: Record<string, unknown>;
  readonly warnings: SluiceError[];
}

/**
 * The pipeline `key` of a loaded bundle (or its only pipeline).
 * @throws SluiceError BUNDLE_PIPELINE_NOT_FOUND when the bundle has none, `key` names none, or
 *   several exist and no key is given (the message lists them).
 */
export function choosePipeline(bundle: LoadedBundle, key: string | undefined): BundleResource {
  const keys = bundle.pipelines.map((p) => p.key);
  if (key !== undefined) {
    const p = bundle.pipelines.find((x) => x.key === key);
    if (p) return p;
  } else if (bundle.pipelines.length === 1) return bundle.pipelines[0]!;
  const why =
    keys.length === 0
      ? `bundle '${bundle.name}' defines no pipeline (resources.pipelines) for target '${bundle.target}'`
      : key !== undefined
        ? `bundle '${bundle.name}' has no pipeline '${key}' (pipelines: ${keys.join(', ')})`
        : `bundle '${bundle.name}' defines ${keys.length} pipelines; choose one with --pipeline <key> (${keys.join(', ')})`;
  throw new SluiceError('BUNDLE_PIPELINE_NOT_FOUND', why, {
    params: { pipelines: keys, ...(key !== undefined ? { key } : {}) },
    location: bundle.file.locate(['resources', 'pipelines']),
  });
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [k, x] of Object.entries(v)) {
    const s = str(x);
    if (s !== undefined) out[k] = s;
  }
  return out;
}

/** Turns a path written in `file` (relative to it) into one relative to the bundle root, or throws. */
function fromFile(
  bundle: LoadedBundle,
  r: BundleResource,
  written: string,
  location: SourceLocation,
): string {
  const abs = isAbsolute(written) ? written : resolve(dirname(r.file.path), written);
  const rel = relative(bundle.root, abs);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel))
    throw new SluiceError(
      'BUNDLE_INVALID',
      `library path '${written}' leaves the bundle folder; sluice reads a pipeline's code from inside its bundle`,
      { params: { path: written }, location },
    );
  return rel.split(sep).join('/');
}

/** A notebook path may omit its extension, as in a Databricks workspace. */
function notebookFile(root: string, path: string): string | undefined {
  if (existsSync(join(root, path)) && /\.(sql|py|ts)$/.test(path)) return path;
  for (const ext of ['.sql', '.py', '.ts'])
    if (existsSync(join(root, `${path}${ext}`))) return `${path}${ext}`;
  return undefined;
}

function libraries(
  bundle: LoadedBundle,
  r: BundleResource,
  at: (p: (string | number)[]) => SourceLocation,
): BundleLibrary[] {
  const raw = r.value.libraries;
  if (raw === undefined) return [{ glob: { include: 'transformations/**' } }];
  if (!Array.isArray(raw))
    throw new SluiceError('BUNDLE_INVALID', `'libraries' must be a list`, { location: at(['libraries']) });
  const out: BundleLibrary[] = [];
  raw.forEach((lib, i) => {
    const entry = lib !== null && typeof lib === 'object' ? (lib as Record<string, unknown>) : {};
    const glob = (entry.glob as Record<string, unknown> | undefined)?.include;
    const file = (entry.file as Record<string, unknown> | undefined)?.path;
    const notebook = (entry.notebook as Record<string, unknown> | undefined)?.path;
    if (typeof glob === 'string') {
      out.push({ glob: { include: fromFile(bundle, r, glob, at(['libraries', i, 'glob', 'include'])) } });
    } else if (typeof file === 'string' || typeof notebook === 'string') {
      const kind = typeof file === 'string' ? 'file' : 'notebook';
      const where = at(['libraries', i, kind, 'path']);
      const path = fromFile(bundle, r, (file ?? notebook) as string, where);
      const found =
        kind === 'notebook'
          ? notebookFile(bundle.root, path)
          : existsSync(join(bundle.root, path))
            ? path
            : undefined;
      if (found === undefined)
        throw new SluiceError('BUNDLE_INVALID', `library ${kind} '${path}' does not exist`, {
          params: { path },
          location: where,
        });
      out.push({ file: { path: found } });
    } else {
      throw new SluiceError(
        'BUNDLE_INVALID',
        `library ${i + 1} of pipeline '${r.key}' is not a glob, file or notebook (jar, maven and whl libraries do not apply to a pipeline's source)`,
        { params: { library: Object.keys(entry) }, location: at(['libraries', i]) },
      );
    }
  });
  return out;
}

function notifications(r: BundleResource, at: (p: (string | number)[]) => SourceLocation) {
  const raw = r.value.notifications;
  if (raw === undefined) return [];
  if (!Array.isArray(raw))
    throw new SluiceError('BUNDLE_INVALID', `'notifications' must be a list`, {
      location: at(['notifications']),
    });
  return raw.map((n, i) => {
    const entry = (n ?? {}) as Record<string, unknown>;
    const alerts = Array.isArray(entry.alerts) ? entry.alerts.map(String) : [];
    for (const [j, a] of alerts.entries())
      if (!(NOTIFICATION_ALERTS as readonly string[]).includes(a))
        throw new SluiceError(
          'BUNDLE_INVALID',
          `notification alert '${a}' is not one of ${NOTIFICATION_ALERTS.join(', ')}`,
          { location: at(['notifications', i, 'alerts', j]) },
        );
    return {
      alerts: alerts as NotificationAlert[],
      emailRecipients: Array.isArray(entry.email_recipients) ? entry.email_recipients.map(String) : [],
      webhookUrls: [],
    };
  });
}

/**
 * Maps one pipeline resource to sluice's spec fields. Paths in `libraries` are relative to the
 * YAML file that wrote them (as the Databricks CLI reads them) and become relative to the bundle
 * root; `schema` falls back to the legacy `target` field. Unknown fields are warnings
 * (BUNDLE_UNKNOWN_FIELD, naming the field and its file:line); Databricks-only fields are kept in
 * `databricks` and change nothing locally.
 */
export function bundlePipelineFields(bundle: LoadedBundle, r: BundleResource): BundlePipelineFields {
  const at = (p: (string | number)[]) => r.file.locate(['resources', 'pipelines', r.key, ...p]);
  const v = r.value;
  const warnings: SluiceError[] = [];
  const databricks: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (MAPPED_FIELDS.has(k)) continue;
    if ((DATABRICKS_ONLY_FIELDS as readonly string[]).includes(k)) databricks[k] = x;
    else
      warnings.push(
        new SluiceError(
          'BUNDLE_UNKNOWN_FIELD',
          `pipeline '${r.key}' has a field '${k}' sluice does not know; it is ignored`,
          {
            params: { field: k, pipeline: r.key },
            location: at([k]),
          },
        ),
      );
  }
  const schema = str(v.schema) ?? str(v.target);
  const catalog = str(v.catalog);
  return {
    key: r.key,
    name: str(v.name) ?? r.key,
    ...(catalog !== undefined ? { catalog } : {}),
    ...(schema !== undefined ? { schema } : {}),
    configuration: stringMap(v.configuration),
    libraries: libraries(bundle, r, at),
    continuous: v.continuous === true,
    notifications: notifications(r, at),
    tags: stringMap(v.tags),
    databricks,
    warnings,
  };
}
