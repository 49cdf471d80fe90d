import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { type SluiceError, toSluiceError } from '../errors/index.ts';
import { listLibraryFiles, loadPipelineDefinitions, sqlNotebookAsScript } from '../graph/index.ts';
import { PythonParser } from '../python/index.ts';
import {
  type BundleOptions,
  type BundleResource,
  bundlePipelineSpec,
  type LoadedBundle,
  loadBundle,
  loadSpec,
  type PipelineSpec,
  readYamlFile,
  type YamlFile,
} from '../spec/index.ts';
import { readSqlDeclarations, type SqlCompiler } from '../sql/index.ts';
import { commentsOf, pythonComments, type SourceComment } from './comments.ts';
import { LintConfigs, severityOf } from './config.ts';
import {
  type CodeUnit,
  type DatasetFact,
  datasetFindings,
  factsFromModel,
  factsFromPython,
  factsFromSql,
  hasExpectations,
  isStreamingUnit,
  type ReadFact,
} from './dataset-rules.ts';
import { discoverTargets } from './discover.ts';
import type { LintFinding, LintResult, RawFinding } from './findings.ts';
import { lintPython, type PythonFacts } from './python-rules.ts';
import {
  fragmentFindings,
  jobFindings,
  type Locate,
  pipelineResourceFindings,
  specFindings,
  taskCodePath,
} from './resource-rules.ts';
import { findRule } from './rules.ts';
import { isSuppressed, parseSuppressions } from './suppressions.ts';

/** How to lint: the working directory, a bundle's target and variables, the SQL front end. */
export interface LintOptions extends BundleOptions {
  /** Paths resolve against it and findings are shown relative to it (default: the process's). */
  readonly cwd?: string;
  /** The session's SQL front end (SQL files are read with it). */
  readonly sql: SqlCompiler;
}

interface PythonAnalysis {
  readonly comments: readonly SourceComment[];
  readonly facts: PythonFacts;
}

/**
 * One lint run: what it read, found and could not read. Owns its Python parser (opened on the
 * first Python file, closed by `close`) and its caches; nothing outlives it.
 */
class LintRun {
  readonly raw: RawFinding[] = [];
  readonly problems: SluiceError[] = [];
  /** Every file read (absolute). */
  readonly linted = new Set<string>();
  /** Files a pipeline or bundle read: not linted again as loose files. */
  readonly claimed = new Set<string>();
  /** Library file → the sluice spec whose `lint:` settings apply to it. */
  readonly specOf = new Map<string, string>();
  readonly #texts = new Map<string, Promise<string>>();
  readonly #python = new Map<string, Promise<PythonAnalysis>>();
  #parser: Promise<PythonParser> | undefined;

  constructor(readonly options: LintOptions & { readonly cwd: string }) {}

  /**
   * A file's text, read once. Read synchronously: linted files are small, and a thousand reads
   * through the thread pool cost more in scheduling than in reading.
   */
  text(file: string): Promise<string> {
    let t = this.#texts.get(file);
    if (!t) {
      this.linted.add(file);
      try {
        t = Promise.resolve(readFileSync(file, 'utf8'));
      } catch (e) {
        t = Promise.reject(e);
      }
      this.#texts.set(file, t);
    }
    return t;
  }

  /** Parses and lints a Python file once; its own findings are recorded on first analysis. */
  python(file: string): Promise<PythonAnalysis> {
    let p = this.#python.get(file);
    if (!p) {
      p = (async () => {
        this.#parser ??= PythonParser.open();
        const parser = await this.#parser;
        const module = parser.parse(await this.text(file));
        const { findings, facts } = lintPython(module, file);
        this.raw.push(...findings);
        return { comments: pythonComments(module), facts };
      })();
      this.#python.set(file, p);
    }
    return p;
  }

  async close(): Promise<void> {
    if (this.#parser) (await this.#parser).close();
  }
}

function locator(file: YamlFile, prefix: readonly (string | number)[]): Locate {
  return (path) => {
    const at = file.locate([...prefix, ...path]);
    return { file: file.path, line: at.line, column: at.column ?? 1 };
  };
}

function valueAt(value: unknown, path: readonly (string | number)[]): unknown {
  let v = value;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

/**
 * Positions in a bundle resource: where the chosen target overrides the value (in the file
 * defining that target), else where the resource defines it.
 */
function resourceLocator(
  bundle: LoadedBundle,
  files: readonly YamlFile[],
  r: BundleResource,
  kind: 'pipelines' | 'jobs',
): Locate {
  const own = locator(r.file, ['resources', kind, r.key]);
  const override = ['targets', bundle.target, 'resources', kind, r.key];
  return (path) => {
    const full = [...override, ...path];
    const file = path.length > 0 ? files.find((f) => valueAt(f.value, full) !== undefined) : undefined;
    return file ? locator(file, full)([]) : own(path);
  };
}

/**
 * The datasets of a pipeline. SQL files are read without compiling their queries (in library
 * order, so a `SET` reaches the files after it); a pipeline with TypeScript files goes through
 * the pipeline loader, which imports them. Python files are parsed with tree-sitter.
 */
async function pipelineUnit(run: LintRun, spec: PipelineSpec, specFile?: string): Promise<CodeUnit> {
  const files = await listLibraryFiles(spec);
  const datasets: DatasetFact[] = [];
  const reads: ReadFact[] = [];
  const absolute = (f: string) => join(spec.root, f);
  if (files.some((f) => f.endsWith('.ts'))) {
    const loaded = await loadPipelineDefinitions(spec, run.options.sql);
    const facts = factsFromModel(
      loaded.definitions.datasets,
      loaded.definitions.flows,
      absolute,
      spec.specFile,
    );
    datasets.push(...facts.datasets);
    reads.push(...facts.reads);
  }
  let configuration: Readonly<Record<string, string>> = spec.configuration;
  for (const f of files) {
    const abs = absolute(f);
    run.claimed.add(abs);
    if (specFile !== undefined) run.specOf.set(abs, specFile);
    if (f.endsWith('.py')) {
      const py = factsFromPython((await run.python(abs)).facts.definitions, abs);
      datasets.push(...py.datasets);
      reads.push(...py.reads);
      continue;
    }
    const text = await run.text(abs);
    if (!f.endsWith('.sql') || files.some((x) => x.endsWith('.ts'))) continue;
    const decl = readSqlDeclarations(sqlNotebookAsScript(text), {
      file: f,
      configuration,
      ...(spec.schema !== undefined ? { schema: spec.schema } : {}),
    });
    configuration = decl.configuration;
    const facts = factsFromSql(decl, absolute, abs);
    datasets.push(...facts.datasets);
    reads.push(...facts.reads);
  }
  return { kind: 'pipeline', label: spec.name, datasets, reads };
}

async function lintSpec(run: LintRun, specFile: string): Promise<void> {
  run.claimed.add(specFile);
  await run.text(specFile);
  let spec: PipelineSpec;
  try {
    spec = await loadSpec(specFile, { cwd: run.options.cwd });
  } catch (e) {
    run.problems.push(toSluiceError(e));
    return;
  }
  const yaml = await readYamlFile(specFile, spec.root);
  run.raw.push(...specFindings(yaml.value, locator(yaml, [])));
  run.specOf.set(specFile, specFile);
  run.raw.push(...datasetFindings(await pipelineUnit(run, spec, specFile)));
}

/** The file a job task runs, resolved from the YAML that names it (a notebook may omit `.py`). */
function taskFile(r: BundleResource, written: string): string | undefined {
  if (isAbsolute(written) || written.includes('${')) return undefined;
  const abs = resolve(dirname(r.file.path), written);
  for (const candidate of [abs, `${abs}.py`])
    if (existsSync(candidate) && extname(candidate) === '.py') return candidate;
  return undefined;
}

async function lintJobs(
  run: LintRun,
  jobs: readonly BundleResource[],
  taskFiles: Set<string>,
  locate: (r: BundleResource) => Locate = (r) => locator(r.file, ['resources', 'jobs', r.key]),
): Promise<void> {
  for (const r of jobs) {
    const streams = new Map<unknown, boolean | undefined>();
    for (const t of Array.isArray(r.value.tasks) ? r.value.tasks : []) {
      const written = t && typeof t === 'object' ? taskCodePath(t as Record<string, unknown>) : undefined;
      const file = written !== undefined ? taskFile(r, written) : undefined;
      if (file === undefined) continue;
      taskFiles.add(file);
      streams.set(t, (await run.python(file)).facts.rawStream);
    }
    run.raw.push(...jobFindings(r.key, r.value, locate(r), (t) => streams.get(t)));
  }
}

async function lintBundle(run: LintRun, rootFile: string, taskFiles: Set<string>): Promise<void> {
  run.claimed.add(rootFile);
  await run.text(rootFile);
  const { target, vars, env } = run.options;
  const bundleOptions = {
    ...(target !== undefined ? { target } : {}),
    ...(vars ? { vars } : {}),
    ...(env ? { env } : {}),
  };
  let bundle: Awaited<ReturnType<typeof loadBundle>>;
  try {
    bundle = await loadBundle(rootFile, dirname(rootFile), bundleOptions);
  } catch (e) {
    run.problems.push(toSluiceError(e));
    return;
  }
  const files = [bundle.file];
  for (const r of [...bundle.pipelines, ...bundle.jobs]) {
    run.claimed.add(r.file.path);
    await run.text(r.file.path);
    if (!files.includes(r.file)) files.push(r.file);
  }
  const pipelines = bundle.pipelines.map(async (r) => {
    let code: { streaming: boolean | undefined; hasExpectations: boolean } = {
      streaming: undefined,
      hasExpectations: false,
    };
    try {
      const unit = await pipelineUnit(run, bundlePipelineSpec(bundle, r.key));
      run.raw.push(...datasetFindings(unit));
      code = { streaming: isStreamingUnit(unit), hasExpectations: hasExpectations(unit) };
    } catch (e) {
      run.problems.push(toSluiceError(e));
    }
    const at = resourceLocator(bundle, files, r, 'pipelines');
    run.raw.push(...pipelineResourceFindings(r.key, r.value, at, code));
  });
  await Promise.all([
    ...pipelines,
    lintJobs(run, bundle.jobs, taskFiles, (r) => resourceLocator(bundle, files, r, 'jobs')),
  ]);
}

/** A loose SQL file's datasets (a `${key}` it cannot know stands for a placeholder). */
async function sqlUnit(run: LintRun, file: string): Promise<CodeUnit> {
  const text = sqlNotebookAsScript(await run.text(file));
  const name = relative(run.options.cwd, file).split(sep).join('/');
  const decl = readSqlDeclarations(text, { file: name, configuration: {} });
  return { kind: 'file', label: name, ...factsFromSql(decl, () => file, file) };
}

async function lintLooseFile(
  run: LintRun,
  file: string,
  explicit: boolean,
  taskFiles: Set<string>,
): Promise<void> {
  const ext = extname(file).toLowerCase();
  if (ext === '.py') {
    const py = await run.python(file);
    run.raw.push(
      ...datasetFindings({ kind: 'file', label: file, ...factsFromPython(py.facts.definitions, file) }),
    );
  } else if (ext === '.sql') {
    run.raw.push(...datasetFindings(await sqlUnit(run, file)));
  } else {
    await run.text(file);
    let yaml: YamlFile;
    try {
      yaml = await readYamlFile(file, dirname(file));
    } catch (e) {
      if (explicit) run.problems.push(toSluiceError(e));
      return;
    }
    const resources = yaml.value.resources;
    const kinds = resources && typeof resources === 'object' ? (resources as Record<string, unknown>) : {};
    if (kinds.pipelines === undefined && kinds.jobs === undefined) {
      run.raw.push(...fragmentFindings(yaml.value, locator(yaml, [])));
      return;
    }
    // A bundle's include file on its own: its resources as written (references unresolved).
    const of = (kind: string): BundleResource[] =>
      Object.entries((kinds[kind] as Record<string, unknown>) ?? {}).flatMap(([key, value]) =>
        value && typeof value === 'object'
          ? [{ key, value: value as Record<string, unknown>, file: yaml }]
          : [],
      );
    for (const r of of('pipelines'))
      run.raw.push(
        ...pipelineResourceFindings(r.key, r.value, locator(yaml, ['resources', 'pipelines', r.key]), {
          streaming: undefined,
          hasExpectations: false,
        }),
      );
    await lintJobs(run, of('jobs'), taskFiles);
  }
}

/**
 * Lints `paths` (files or folders; none: the working directory): sluice pipelines, bundles
 * (pipelines and jobs, for one target), SQL and Python files and notebooks, YAML fragments.
 * Inline suppressions and the configured severities are applied; findings come sorted.
 * @throws SluiceError LINT_PATH_NOT_FOUND, LINT_CONFIG_INVALID, USAGE.
 */
export async function lintPaths(paths: readonly string[], options: LintOptions): Promise<LintResult> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const targets = await discoverTargets(paths, cwd);
  const run = new LintRun({ ...options, cwd });
  try {
    const taskFiles = new Set<string>();
    await Promise.all([
      ...targets.specs.map((spec) => lintSpec(run, spec)),
      ...targets.bundles.map((bundle) => lintBundle(run, bundle, taskFiles)),
    ]);
    const loose = [...targets.files, ...[...taskFiles].map((path) => ({ path, explicit: false }))].filter(
      (f, i, all) => !run.claimed.has(f.path) && all.findIndex((g) => g.path === f.path) === i,
    );
    await Promise.all(loose.map((f) => lintLooseFile(run, f.path, f.explicit, taskFiles)));
    return await finish(run, cwd);
  } finally {
    await run.close();
  }
}

async function finish(run: LintRun, cwd: string): Promise<LintResult> {
  const configs = new LintConfigs(cwd);
  const byFile = new Map<string, RawFinding[]>();
  const seen = new Set<string>();
  for (const f of run.raw) {
    const id = `${f.rule}\0${f.file}\0${f.line}\0${f.column}\0${f.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const list = byFile.get(f.file) ?? [];
    list.push(f);
    byFile.set(f.file, list);
  }
  const findings: LintFinding[] = [];
  let suppressed = 0;
  for (const file of [...new Set([...run.linted, ...byFile.keys()])].sort()) {
    const text = await run.text(file);
    // Most files hold no directive: their comments are not even looked for.
    const comments = !text.includes('sluice-lint:')
      ? []
      : extname(file).toLowerCase() === '.py'
        ? (await run.python(file)).comments
        : commentsOf(file, text);
    const parsed = parseSuppressions(file, text, comments);
    const spec = run.specOf.get(file);
    const config = await (spec !== undefined ? configs.forSpec(spec) : configs.forFolder(dirname(file)));
    for (const f of [...(byFile.get(file) ?? []), ...parsed.findings]) {
      if (isSuppressed(f, parsed.suppressions)) {
        suppressed++;
        continue;
      }
      const rule = findRule(f.rule)!;
      const severity = severityOf(config, rule);
      if (severity === 'off') continue;
      findings.push({
        rule: rule.id,
        name: rule.name,
        severity,
        message: f.message,
        fix: f.fix ?? rule.fix,
        file: relative(cwd, file).split(sep).join('/'),
        line: f.line,
        column: f.column,
        ...(f.dataset !== undefined ? { dataset: f.dataset } : {}),
      });
    }
  }
  findings.sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      a.column - b.column ||
      (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0),
  );
  return {
    base: cwd,
    files: [...run.linted].map((f) => relative(cwd, f).split(sep).join('/')).sort(),
    findings,
    problems: run.problems,
    suppressed,
  };
}
