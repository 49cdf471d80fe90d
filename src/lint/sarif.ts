import { pathToFileURL } from 'node:url';
import { formatError } from '../errors/index.ts';
import type { LintResult } from './findings.ts';
import { LINT_RULES } from './rules.ts';

/**
 * The report as SARIF 2.1.0 (OASIS), the format GitHub code scanning uploads: one run whose
 * driver lists every rule (id, name, descriptions, help, default level), one result per finding
 * with its file relative to `%SRCROOT%` (the lint's base folder) and its 1-based line and
 * column (UTF-16 code units), and what could not be linted as tool execution notifications.
 * Only properties the SARIF schema defines are written (its objects allow no others).
 */
export function lintToSarif(r: LintResult, toolVersion: string): Record<string, unknown> {
  const index = new Map(LINT_RULES.map((rule, i) => [rule.id, i]));
  const base = pathToFileURL(r.base).href.replace(/\/?$/, '/');
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'sluice-lint',
            version: toolVersion,
            semanticVersion: toolVersion,
            rules: LINT_RULES.map((rule) => ({
              id: rule.id,
              name: rule.name,
              shortDescription: { text: rule.title },
              fullDescription: { text: rule.summary },
              help: { text: `Fix: ${rule.fix}. See docs/rules/${rule.id}.md.` },
              defaultConfiguration: { level: rule.defaultSeverity },
              properties: { tags: ['lakeflow', rule.id.startsWith('ST-') ? 'golden-rule' : 'checklist'] },
            })),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: base } },
        columnKind: 'utf16CodeUnits',
        invocations: [
          {
            executionSuccessful: r.problems.length === 0,
            toolExecutionNotifications: r.problems.map((p) => ({
              level: 'error',
              message: { text: formatError(p) },
            })),
          },
        ],
        results: r.findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: index.get(f.rule)!,
          level: f.severity,
          message: { text: `${f.message}. Fix: ${f.fix}` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: encodeURI(f.file), uriBaseId: '%SRCROOT%' },
                region: { startLine: f.line, startColumn: f.column },
              },
            },
          ],
          ...(f.dataset !== undefined ? { properties: { dataset: f.dataset } } : {}),
        })),
      },
    ],
  };
}
