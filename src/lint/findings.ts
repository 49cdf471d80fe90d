import type { SluiceError } from '../errors/index.ts';
import type { Severity } from './rules.ts';

/** What a rule reports, before suppressions and severities apply. `file` is absolute. */
export interface RawFinding {
  readonly rule: string;
  readonly message: string;
  /** Overrides the rule's usual fix when the finding knows better. */
  readonly fix?: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly dataset?: string;
}

/** One finding as reported. `file` is relative to the result's `base`, with `/` separators. */
export interface LintFinding {
  readonly rule: string;
  /** The rule's kebab-case name. */
  readonly name: string;
  readonly severity: Severity;
  readonly message: string;
  readonly fix: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly dataset?: string;
}

/**
 * The outcome of a lint run. `problems`: what could not be linted (a bundle pipeline whose
 * libraries cannot be found, a YAML file that does not parse) — they count as errors.
 * Invariant: `findings` are sorted by file, line, column, rule.
 */
export interface LintResult {
  /** The folder paths are relative to (the working directory). */
  readonly base: string;
  /** Files read, relative to `base`, sorted. */
  readonly files: readonly string[];
  readonly findings: readonly LintFinding[];
  readonly problems: readonly SluiceError[];
  /** Findings silenced by inline suppressions. */
  readonly suppressed: number;
}

/** Findings per severity. */
export function countBySeverity(findings: readonly LintFinding[]): Record<Severity, number> {
  const out: Record<Severity, number> = { error: 0, warning: 0, note: 0 };
  for (const f of findings) out[f.severity]++;
  return out;
}

/** Whether the run fails: an error-severity finding or a problem. */
export function lintFailed(r: LintResult): boolean {
  return r.problems.length > 0 || r.findings.some((f) => f.severity === 'error');
}
