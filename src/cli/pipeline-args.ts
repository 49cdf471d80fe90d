import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BundleSelection } from '../index.ts';
import { SluiceError } from '../index.ts';

/** Options every command that reads a pipeline takes (bundles: target, variables, pipeline key). */
export const PIPELINE_OPTIONS = {
  pipeline: { type: 'string', short: 'p' },
  target: { type: 'string', short: 't' },
  var: { type: 'string', multiple: true },
} as const;

export const PIPELINE_USAGE = [
  '  -p, --pipeline P    the pipeline folder or spec file; in a Databricks bundle, a pipeline key',
  '  -t, --target T      the bundle target (default: the one marked default: true)',
  '      --var name=val  a bundle variable (repeatable; wins over BUNDLE_VAR_name)',
];

/**
 * The pipeline a command reads: `--pipeline` names a folder or spec file when one exists there,
 * else a bundle's pipeline key (in the folder given as `positional`, or found from `cwd`).
 */
export function pipelineSelection(
  values: { readonly pipeline?: string; readonly target?: string; readonly var?: readonly string[] },
  positional: string | undefined,
  cwd: string,
): { readonly dir: string | undefined; readonly bundle: BundleSelection } {
  const vars: Record<string, string> = {};
  for (const v of values.var ?? []) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new SluiceError('USAGE', `--var expects name=value, got '${v}'`);
    vars[v.slice(0, eq)] = v.slice(eq + 1);
  }
  const isPath =
    values.pipeline !== undefined && positional === undefined && existsSync(resolve(cwd, values.pipeline));
  const bundle: BundleSelection = {
    ...(values.target !== undefined ? { target: values.target } : {}),
    ...(Object.keys(vars).length > 0 ? { vars } : {}),
    ...(values.pipeline !== undefined && !isPath ? { pipeline: values.pipeline } : {}),
  };
  return { dir: isPath ? values.pipeline : positional, bundle };
}
