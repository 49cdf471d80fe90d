import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LintResult, lintPaths, lintToSarif } from '../lint/index.ts';
import type { BundleSelection } from '../spec/index.ts';
import { packageRoot } from '../util/index.ts';
import { inSession, type Session } from './session.ts';

export interface LintPipelinesOptions {
  /** Paths resolve against it and findings are shown relative to it (default: the process's cwd). */
  readonly cwd?: string;
  /** For bundles: the target (default: the bundle's default) and variables. */
  readonly bundle?: Omit<BundleSelection, 'pipeline'>;
  readonly session?: Session;
}

/**
 * Lints `paths` (files or folders; none: the working directory) against the streaming standard:
 * golden rules ST-01…ST-06 and the checklist items files can show, over sluice pipelines,
 * Databricks bundles (pipelines and jobs), SQL and Python files and notebooks and YAML
 * fragments. Findings honour inline `sluice-lint: disable` comments and the severities of
 * `.sluicelint.yml` or the spec's `lint:` key.
 * @throws SluiceError LINT_PATH_NOT_FOUND, LINT_CONFIG_INVALID, USAGE.
 */
export function lintPipelines(
  paths: readonly string[],
  options: LintPipelinesOptions = {},
): Promise<LintResult> {
  return inSession(options.session, (s) =>
    lintPaths(paths, {
      sql: s.sql,
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      ...(options.bundle?.target !== undefined ? { target: options.bundle.target } : {}),
      ...(options.bundle?.vars !== undefined ? { vars: options.bundle.vars } : {}),
    }),
  );
}

/** The result as a SARIF 2.1.0 log (GitHub code scanning), naming this sluice version. */
export function lintResultToSarif(r: LintResult): Record<string, unknown> {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return lintToSarif(r, pkg.version);
}

export {
  formatLintText,
  LINT_RULES,
  type LintFinding,
  type LintResult,
  type LintRule,
  lintFailed,
  lintToJson,
  type Severity,
  summarizeWarnings,
} from '../lint/index.ts';
