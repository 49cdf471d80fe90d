import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { type SluiceError, toSluiceError } from '../errors/index.ts';
import type { ValidationResult } from '../graph/index.ts';
import { commentsOf } from './comments.ts';
import { LintConfigs } from './config.ts';
import type { SeveritySetting } from './rules.ts';
import { isSuppressed, parseSuppressions } from './suppressions.ts';

/**
 * Whether an inline `sluice-lint: disable ST-02 <reason>` covers a MISSING_EXPECTATIONS warning
 * (the same comment `sluice lint` honours). Unreadable files suppress nothing.
 */
async function suppressedInSource(
  w: SluiceError,
  root: string,
  texts: Map<string, Promise<string | undefined>>,
): Promise<boolean> {
  const loc = w.location;
  if (!loc) return false;
  const file = isAbsolute(loc.file) ? loc.file : join(root, loc.file);
  let text = texts.get(file);
  if (!text) {
    text = readFile(file, 'utf8').catch(() => undefined);
    texts.set(file, text);
  }
  const t = await text;
  if (t === undefined || !t.includes('sluice-lint:')) return false;
  const { suppressions } = parseSuppressions(file, t, commentsOf(file, t));
  return isSuppressed(
    { rule: 'ST-02', message: '', file, line: loc.line, column: loc.column ?? 1 },
    suppressions,
  );
}

/**
 * `validate` and `run` report rule ST-02 as the MISSING_EXPECTATIONS warning; the lint
 * configuration of the pipeline (`.sluicelint.yml`, the spec's `lint:` key) decides what becomes
 * of it:
 * - `off`: not reported;
 * - `note` / `warning`, or not set: a warning (validate keeps its own default: whether a
 *   pipeline runs does not depend on lint's, which makes ST-02 an error);
 * - `error`: for `validate`, an error (the pipeline is reported invalid); `run` keeps it a
 *   warning — lint settings gate reviews, not local runs.
 * A warning an inline `sluice-lint: disable ST-02 <reason>` covers is not reported. An invalid
 * lint configuration is an error of `validate` and a warning of `run`.
 */
export async function applyLintSettings(
  result: ValidationResult,
  use: 'validate' | 'run',
): Promise<ValidationResult> {
  const spec = result.spec;
  if (!spec) return result;
  const texts = new Map<string, Promise<string | undefined>>();
  const flagged = await Promise.all(
    result.warnings.map(async (w) =>
      w.code === 'MISSING_EXPECTATIONS' && (await suppressedInSource(w, spec.root, texts)) ? 'drop' : w.code,
    ),
  );
  if (flagged.includes('drop'))
    result = { ...result, warnings: result.warnings.filter((_, i) => flagged[i] !== 'drop') };
  const missing = result.warnings.filter((w) => w.code === 'MISSING_EXPECTATIONS');
  let setting: SeveritySetting | undefined;
  try {
    const config = await new LintConfigs(spec.root).forSpec(spec.specFile);
    setting = config.rules['ST-02'];
  } catch (e) {
    const err = toSluiceError(e);
    if (err.domain === 'internal') throw e;
    return use === 'validate'
      ? { ...result, errors: [...result.errors, err], valid: false, runnable: false }
      : { ...result, warnings: [...result.warnings, err] };
  }
  if (missing.length === 0 || setting === undefined || setting === 'warning' || setting === 'note')
    return result;
  const others: SluiceError[] = result.warnings.filter((w) => w.code !== 'MISSING_EXPECTATIONS');
  if (setting === 'off') return { ...result, warnings: others };
  if (use === 'run') return result;
  return {
    ...result,
    warnings: others,
    errors: [...result.errors, ...missing],
    valid: false,
    runnable: false,
  };
}
