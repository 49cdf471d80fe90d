/**
 * `sluice lint`: the streaming standard's golden rules (ST-01…ST-06) and checkable checklist
 * items over sluice pipelines, Databricks bundles (pipelines and jobs), SQL and Python files and
 * notebooks, and YAML fragments. Stages: discover the targets → read each (SQL front end,
 * tree-sitter Python, bundle loader) → rules produce raw findings → inline suppressions and the
 * configured severities → text, JSON or SARIF.
 */
export {
  DEFAULT_LINT_CONFIG,
  LINT_CONFIG_FILE_NAMES,
  type LintConfig,
  LintConfigs,
  severityOf,
} from './config.ts';
export {
  countBySeverity,
  type LintFinding,
  type LintResult,
  lintFailed,
  type RawFinding,
} from './findings.ts';
export { findingLine, formatLintText, lintToJson, REPEAT_THRESHOLD, summarizeWarnings } from './format.ts';
export {
  findRule,
  LINT_RULES,
  type LintRule,
  SEVERITY_SETTINGS,
  type Severity,
  type SeveritySetting,
} from './rules.ts';
export { type LintOptions, lintPaths } from './run.ts';
export { lintToSarif } from './sarif.ts';
export { applyLintSettings } from './validation.ts';
