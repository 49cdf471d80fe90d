import type { SourceComment } from './comments.ts';
import type { RawFinding } from './findings.ts';
import { findRule } from './rules.ts';

/**
 * Inline suppressions, written in the file's own comment syntax:
 *
 *   -- sluice-lint: disable ST-02 bronze keeps every row as received; silver checks them
 *   # sluice-lint: disable ST-01,ST-03 legacy migration approved by the Data Steward (DS-14)
 *   # sluice-lint: disable-file ST-01 Kafka→JDBC sink, approved by the Platform Architect
 *
 * `disable` at the end of a line of code applies to that line; on a line of its own, to the next
 * line that holds code. `disable-file` applies to the whole file. The reason is required: a
 * suppression without one (or naming no rule sluice knows) is itself a LINT-SUPPRESSION finding.
 * A suppressed ST-01 is how an approved exception is recorded.
 */

/** One parsed suppression. */
export interface Suppression {
  readonly rules: readonly string[];
  readonly reason: string;
  /** The line it covers; undefined for `disable-file`. */
  readonly line: number | undefined;
  readonly at: { readonly line: number; readonly column: number };
}

const DIRECTIVE = 'sluice-lint:';

/** The line a comment on its own line applies to: the next line with code on it. */
function nextCodeLine(lines: readonly string[], commentLines: ReadonlySet<number>, after: number): number {
  for (let l = after + 1; l <= lines.length; l++)
    if (!commentLines.has(l) && (lines[l - 1] ?? '').trim() !== '') return l;
  return after;
}

/**
 * Reads the suppressions of one file from its comments. Malformed ones become LINT-SUPPRESSION
 * findings; a suppression without a reason still applies (its finding says what to add).
 */
export function parseSuppressions(
  file: string,
  text: string,
  comments: readonly SourceComment[],
): { suppressions: Suppression[]; findings: RawFinding[] } {
  const suppressions: Suppression[] = [];
  const findings: RawFinding[] = [];
  const relevant = comments.filter((c) => c.text.trimStart().startsWith(DIRECTIVE));
  if (relevant.length === 0) return { suppressions, findings };
  const lines = text.split('\n');
  const commentLines = new Set(comments.filter((c) => c.ownLine).map((c) => c.line));
  for (const c of relevant) {
    const body = c.text.trimStart().slice(DIRECTIVE.length).trim().replace(/\*\/$/, '').trim();
    const [verb = '', ids = '', ...rest] = body.split(/\s+/);
    const at = { line: c.line, column: c.column };
    const problem = (message: string) =>
      findings.push({ rule: 'LINT-SUPPRESSION', message, file, line: c.line, column: c.column });
    if (verb !== 'disable' && verb !== 'disable-file') {
      problem(
        `unknown sluice-lint directive '${verb}': write 'disable <rules> <reason>' or 'disable-file <rules> <reason>'`,
      );
      continue;
    }
    const rules = ids.split(',').filter((r) => r !== '');
    if (rules.length === 0) {
      problem(`sluice-lint: ${verb} names no rule: write the rule ids, then the reason`);
      continue;
    }
    const unknown = rules.filter((r) => !findRule(r));
    if (unknown.length > 0) problem(`sluice-lint: ${verb} names unknown rule ${unknown.join(', ')}`);
    const known = rules.flatMap((r) => findRule(r)?.id ?? []);
    const reason = rest.join(' ').trim();
    if (reason === '')
      problem(
        `sluice-lint: ${verb} ${known.join(',')} gives no reason: say why the rule does not apply here`,
      );
    if (known.length === 0) continue;
    suppressions.push({
      rules: known,
      reason,
      line:
        verb === 'disable-file' ? undefined : c.ownLine ? nextCodeLine(lines, commentLines, c.line) : c.line,
      at,
    });
  }
  return { suppressions, findings };
}

/** Whether `finding` is covered by one of `suppressions` (LINT-SUPPRESSION itself never is). */
export function isSuppressed(finding: RawFinding, suppressions: readonly Suppression[]): boolean {
  if (finding.rule === 'LINT-SUPPRESSION') return false;
  return suppressions.some(
    (s) => s.rules.includes(finding.rule) && (s.line === undefined || s.line === finding.line),
  );
}
