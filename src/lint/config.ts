import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type YAMLMap } from 'yaml';
import { SluiceError, type SourceLocation } from '../errors/index.ts';
import { SPEC_FILE_NAMES } from '../spec/index.ts';
import { findRule, type LintRule, SEVERITY_SETTINGS, type SeveritySetting } from './rules.ts';

/**
 * Lint configuration: a severity per rule, from the nearest `.sluicelint.yml` above a file and,
 * for a sluice pipeline, its spec's `lint:` key (which wins):
 *
 *   rules:
 *     ST-02: warning      # off | note | warning | error
 *     SDP-CDF: off
 *
 * `validate` reads the same configuration for rule ST-02 (see validation.ts).
 */

/** File names of a lint configuration file. */
export const LINT_CONFIG_FILE_NAMES = ['.sluicelint.yml', '.sluicelint.yaml'] as const;

/** Severity settings by rule id; rules not named keep their default. */
export interface LintConfig {
  readonly rules: Readonly<Record<string, SeveritySetting>>;
  /** Files the settings came from, lowest precedence first. */
  readonly sources: readonly string[];
}

export const DEFAULT_LINT_CONFIG: LintConfig = Object.freeze({ rules: Object.freeze({}), sources: [] });

/** The severity `rule` has under `config`. */
export function severityOf(config: LintConfig, rule: LintRule): SeveritySetting {
  return config.rules[rule.id] ?? rule.defaultSeverity;
}

function invalid(message: string, location: SourceLocation, params: Record<string, unknown>): SluiceError {
  return new SluiceError('LINT_CONFIG_INVALID', message, { params, location });
}

/**
 * Reads `rules:` from a parsed mapping (a .sluicelint.yml document, or a spec's `lint:` value).
 * @throws SluiceError LINT_CONFIG_INVALID naming the file:line of an unknown field or rule, or a
 *   severity that is not off/note/warning/error.
 */
function readRules(
  map: YAMLMap | undefined,
  file: string,
  lines: LineCounter,
  path: string,
): Record<string, SeveritySetting> {
  const out: Record<string, SeveritySetting> = {};
  const where = (offset: number | undefined): SourceLocation => {
    const p = lines.linePos(offset ?? 0);
    return { file, line: p.line, column: p.col };
  };
  if (!map) return out;
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const keyAt = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
    if (key !== 'rules')
      throw invalid(
        `unknown field '${path}${key}' in the lint configuration (expected 'rules')`,
        where(keyAt),
        {
          field: `${path}${key}`,
        },
      );
    if (pair.value === null || pair.value === undefined) continue;
    if (!isMap(pair.value))
      throw invalid(`'${path}rules' must map rule ids to severities`, where(keyAt), {
        field: `${path}rules`,
      });
    for (const entry of pair.value.items) {
      const id = isScalar(entry.key) ? String(entry.key.value) : '';
      const at = where(isScalar(entry.key) ? entry.key.range?.[0] : undefined);
      const rule = findRule(id);
      if (!rule)
        throw invalid(`'${path}rules' names unknown rule '${id}' (see docs/rules/)`, at, { rule: id });
      const value = isScalar(entry.value) ? entry.value.value : undefined;
      if (typeof value !== 'string' || !(SEVERITY_SETTINGS as readonly string[]).includes(value))
        throw invalid(
          `rule ${rule.id}: severity must be one of ${SEVERITY_SETTINGS.join(', ')}, not ${JSON.stringify(value ?? null)}`,
          at,
          { rule: rule.id, value: value ?? null },
        );
      out[rule.id] = value as SeveritySetting;
    }
  }
  return out;
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

async function parseYaml(path: string, base: string) {
  const text = await readFile(path, 'utf8');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const file = relative(base, path).split('\\').join('/') || basename(path);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const p = lines.linePos(e.pos[0]);
    throw invalid(
      `${file} is not valid YAML: ${e.message.split('\n')[0]}`,
      { file, line: p.line, column: p.col },
      {},
    );
  }
  return { doc, lines, file };
}

/**
 * The configurations of one lint run, cached by folder. Owned by the run (or a validate call);
 * nothing outlives it.
 */
export class LintConfigs {
  readonly #base: string;
  readonly #folders = new Map<string, Promise<LintConfig>>();

  /** `base`: the folder file names in errors are relative to. */
  constructor(base: string) {
    this.#base = base;
  }

  /** The nearest `.sluicelint.yml` at or above `dir` (defaults when there is none). */
  forFolder(dir: string): Promise<LintConfig> {
    let p = this.#folders.get(dir);
    if (!p) {
      p = this.#load(dir);
      this.#folders.set(dir, p);
    }
    return p;
  }

  /**
   * The configuration of a pipeline: its folder's, overlaid with the spec's `lint:` key when the
   * spec is a sluice spec (a bundle keeps its settings in `.sluicelint.yml`: Databricks would
   * not accept the key).
   */
  async forSpec(specFile: string): Promise<LintConfig> {
    const folder = await this.forFolder(dirname(specFile));
    if (!(SPEC_FILE_NAMES as readonly string[]).includes(basename(specFile))) return folder;
    const { doc, lines, file } = await parseYaml(specFile, this.#base);
    const lint = isMap(doc.contents) ? doc.contents.get('lint', true) : undefined;
    if (lint === undefined || lint === null) return folder;
    if (!isMap(lint))
      throw invalid(`'lint' must be a mapping with 'rules'`, { file, line: 1 }, { field: 'lint' });
    const rules = readRules(lint, file, lines, 'lint.');
    return Object.freeze({ rules: { ...folder.rules, ...rules }, sources: [...folder.sources, specFile] });
  }

  async #load(dir: string): Promise<LintConfig> {
    for (const name of LINT_CONFIG_FILE_NAMES) {
      const path = join(dir, name);
      if (!(await isFile(path))) continue;
      const { doc, lines, file } = await parseYaml(path, this.#base);
      if (doc.contents !== null && !isMap(doc.contents))
        throw invalid(`${file} must be a mapping with 'rules'`, { file, line: 1 }, {});
      const rules = readRules(doc.contents ?? undefined, file, lines, '');
      return Object.freeze({ rules: Object.freeze(rules), sources: [path] });
    }
    const parent = dirname(dir);
    return parent === dir ? DEFAULT_LINT_CONFIG : this.forFolder(parent);
  }
}
