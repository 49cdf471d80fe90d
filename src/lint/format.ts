import { formatError, type SluiceError } from '../errors/index.ts';
import { countBySeverity, type LintFinding, type LintResult } from './findings.ts';
import { findRule, LINT_RULES } from './rules.ts';

/** A rule with this many findings or more is one summary line in text output (unless verbose). */
export const REPEAT_THRESHOLD = 3;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One finding: `file:line:col RULE severity message`, then its fix. */
export function findingLine(f: LintFinding): string {
  return `${f.file}:${f.line}:${f.column} ${f.rule} ${f.severity} ${f.message}\n    fix: ${f.fix}`;
}

/**
 * The human report: every finding (a rule with {@link REPEAT_THRESHOLD} or more becomes one line
 * `ST-02 ×12 streaming tables without expectations` unless `verbose`), what could not be read,
 * and a closing count.
 */
export function formatLintText(r: LintResult, options: { readonly verbose?: boolean } = {}): string {
  const lines: string[] = [];
  const byRule = new Map<string, LintFinding[]>();
  for (const f of r.findings) byRule.set(f.rule, [...(byRule.get(f.rule) ?? []), f]);
  const summarized = new Set(
    [...byRule].filter(([, list]) => !options.verbose && list.length >= REPEAT_THRESHOLD).map(([id]) => id),
  );
  for (const f of r.findings) if (!summarized.has(f.rule)) lines.push(findingLine(f));
  for (const rule of LINT_RULES) {
    if (!summarized.has(rule.id)) continue;
    const list = byRule.get(rule.id)!;
    const severities = [...new Set(list.map((f) => f.severity))].join('/');
    const files = new Set(list.map((f) => f.file)).size;
    lines.push(
      `${rule.id} ×${list.length} ${rule.repeated} (${severities}, in ${plural(files, 'file')}; --verbose lists them)\n    fix: ${rule.fix}`,
    );
  }
  if (r.problems.length > 0) {
    lines.push('', `Could not lint (${r.problems.length}):`);
    for (const p of r.problems) lines.push(`  ${formatError(p)}`);
  }
  const c = countBySeverity(r.findings);
  const suppressed = r.suppressed > 0 ? `, ${r.suppressed} suppressed` : '';
  const counts = `${plural(c.error, 'error')}, ${plural(c.warning, 'warning')}, ${plural(c.note, 'note')}${suppressed} in ${plural(r.files.length, 'file')}`;
  if (lines.length > 0) lines.push('');
  lines.push(c.error > 0 || r.problems.length > 0 ? `✗ ${counts}` : `✓ ${counts}`);
  return `${lines.join('\n')}\n`;
}

/** The `--format json` document: stable field names; problems are SluiceError.toJSON(). */
export function lintToJson(r: LintResult): Record<string, unknown> {
  return {
    base: r.base,
    files: r.files,
    counts: { ...countBySeverity(r.findings), suppressed: r.suppressed, problems: r.problems.length },
    findings: r.findings,
    problems: r.problems.map((p) => p.toJSON()),
  };
}

/**
 * Warnings as `validate` prints them: repeated MISSING_EXPECTATIONS (rule ST-02) become one line
 * `ST-02 ×12 streaming tables without expectations` unless `verbose`; every other warning as
 * `format` renders it.
 */
export function summarizeWarnings(
  warnings: readonly SluiceError[],
  format: (e: SluiceError) => string,
  options: { readonly verbose?: boolean } = {},
): string[] {
  const missing = warnings.filter((w) => w.code === 'MISSING_EXPECTATIONS');
  if (options.verbose || missing.length < REPEAT_THRESHOLD) return warnings.map(format);
  const rule = findRule('ST-02')!;
  const names = missing.map((w) => w.dataset ?? '?');
  const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? ', …' : '');
  return [
    ...warnings.filter((w) => w.code !== 'MISSING_EXPECTATIONS').map(format),
    `ST-02 ×${missing.length} ${rule.repeated} (${shown}; --verbose lists them)`,
  ];
}
