import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { compileRegistrations, importTsPipelineFiles } from '../api/index.ts';
import { SluiceError, toSluiceError } from '../errors/index.ts';
import type { Dataset, Flow, PipelineDefinitions } from '../model/index.ts';
import { findPythonDefinitions, PythonParser } from '../python/index.ts';
import type { PipelineSpec } from '../spec/index.ts';
import { ANSI_KEY, type SqlCompiler } from '../sql/index.ts';
import { compileCacheEnabled, readCompileCache, writeCompileCache } from './compile-cache-file.ts';
import { fileFormatDetector } from './file-formats.ts';
import { sqlNotebookAsScript } from './notebooks.ts';

export interface LoadedPipeline {
  readonly definitions: PipelineDefinitions;
  /** Spec configuration extended by every SQL `SET`, in file order. */
  readonly configuration: Readonly<Record<string, string>>;
  /** Library files read, relative to the spec folder, in load order. */
  readonly files: readonly string[];
  readonly errors: readonly SluiceError[];
}

const SKIP_DIRS = new Set(['node_modules', '.git']);

async function walk(dir: string, root: string, skip: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    const abs = join(dir, e.name);
    if (e.isDirectory()) {
      if (SKIP_DIRS.has(e.name) || e.name.startsWith('.') || abs === skip) continue;
      await walk(abs, root, skip, out);
    } else if (e.isFile()) {
      out.push(relative(root, abs).split(sep).join('/'));
    }
  }
}

/** Whether a file is pipeline code: SQL, TypeScript, or Python (refused when loaded). */
function isLibraryFile(f: string): boolean {
  return f.endsWith('.sql') || f.endsWith('.py') || (f.endsWith('.ts') && !f.endsWith('.d.ts'));
}

/**
 * The library files of a pipeline: every `.sql`/`.ts`/`.py` file under the spec folder matched
 * by a libraries glob, and every library file named on its own, sorted by path (so load order,
 * and with it definition order, is deterministic). The storage folder, dot-folders and
 * node_modules are never searched.
 */
export async function listLibraryFiles(spec: PipelineSpec): Promise<string[]> {
  const all: string[] = [];
  await walk(spec.root, spec.root, resolve(spec.storage), all);
  const matchers = spec.libraries.flatMap((l) =>
    'glob' in l ? [picomatch(l.glob.include, { dot: false })] : [],
  );
  const named = spec.libraries.flatMap((l) => ('file' in l ? [l.file.path] : []));
  const files = new Set([...all.filter((f) => isLibraryFile(f) && matchers.some((m) => m(f))), ...named]);
  return [...files].sort();
}

type FileResult = {
  readonly datasets: readonly Dataset[];
  readonly flows: readonly Flow[];
  readonly settings: PipelineDefinitions['settings'];
  readonly errors: readonly SluiceError[];
};

function located(e: unknown, file: string): SluiceError {
  const err = toSluiceError(e);
  if (err.location) return err;
  return new SluiceError(err.code, err.message, {
    params: err.params,
    location: { file, line: 1 },
    cause: e,
    domain: err.domain,
  });
}

const PYTHON_REFUSAL =
  'sluice runs SQL and TypeScript libraries (its TypeScript API mirrors the Python one) — port the file, or leave it out of the libraries';

const KIND_WORDS: Record<string, string> = {
  streaming_table: 'streaming table',
  materialized_view: 'materialized view',
  temporary_view: 'view',
};

/**
 * The refusal of a Python library file: one PYTHON_LIBRARY_NOT_SUPPORTED per dataset it defines
 * (read with tree-sitter's Python grammar, never run), at the dataset's own line, so readers of
 * those datasets are reported as downstream of them rather than reading undefined names; one for
 * the file when it defines none that can be read.
 */
async function pythonRefused(
  file: string,
  abs: string,
  parser: () => Promise<PythonParser>,
): Promise<SluiceError[]> {
  const whole = () =>
    new SluiceError('PYTHON_LIBRARY_NOT_SUPPORTED', `${file} is Python pipeline code; ${PYTHON_REFUSAL}`, {
      params: { file },
      location: { file, line: 1 },
    });
  let datasets: ReturnType<typeof findPythonDefinitions>['datasets'];
  try {
    datasets = findPythonDefinitions((await parser()).parse(await readFile(abs, 'utf8'))).datasets;
  } catch {
    return [whole()];
  }
  if (datasets.length === 0) return [whole()];
  return datasets.map(
    (d) =>
      new SluiceError(
        'PYTHON_LIBRARY_NOT_SUPPORTED',
        `${KIND_WORDS[d.kind] ?? 'dataset'} '${d.name}' is defined in Python (${file}); ${PYTHON_REFUSAL}`,
        {
          dataset: d.name,
          params: { file, kind: d.kind },
          location: { file, line: d.position.line, column: d.position.column },
        },
      ),
  );
}

// A conservative test: a false positive only costs parallelism.
const HAS_SET = /^\s*SET\s/im;

/**
 * Reads every library file into definitions. SQL files go through the SQL front end; TS files
 * are imported (registration only) and compiled. A `SET key = value` extends the configuration
 * for the rest of its file and for every file loaded after it. Results are assembled in file
 * order whatever the concurrency: SQL files parse concurrently when none has a SET, TS files are
 * imported (bundled, then evaluated one at a time) alongside, and all compilation overlaps.
 * SQL query bodies compiled by an earlier load of the pipeline (by any command) come from its
 * compile cache under the storage folder (see compile-cache-file.ts), which is written back when
 * this load compiled anything. Never throws for user errors.
 */
export async function loadPipelineDefinitions(spec: PipelineSpec, sql: SqlCompiler): Promise<LoadedPipeline> {
  const files = await listLibraryFiles(spec);
  const texts = new Map<string, string>();
  await Promise.all(
    files
      .filter((f) => f.endsWith('.sql'))
      .map(async (f) => texts.set(f, sqlNotebookAsScript(await readFile(join(spec.root, f), 'utf8')))),
  );
  const sequential = [...texts.values()].some((t) => HAS_SET.test(t));
  const compileCache =
    texts.size > 0 && compileCacheEnabled()
      ? await readCompileCache(spec.storage, sql.codeIdentity())
      : undefined;
  const configuration: Record<string, string> = { ...spec.configuration };
  const schema = spec.schema !== undefined ? { schema: spec.schema } : {};
  const parseSql = (file: string, conf: Readonly<Record<string, string>>): Promise<FileResult> =>
    sql
      .parsePipelineSql(texts.get(file)!, {
        file,
        configuration: { ...conf },
        ...schema,
        detectFormat: fileFormatDetector(spec.root),
        ...(compileCache ? { compileCache } : {}),
      })
      .then(
        (r) => ({ ...r.definitions, errors: r.errors }),
        (e: unknown) => ({ datasets: [], flows: [], settings: [], errors: [located(e, file)] }),
      );
  const tsFiles = files.filter((f) => f.endsWith('.ts'));
  const imports = importTsPipelineFiles(
    tsFiles.map((f) => join(spec.root, f)),
    { root: spec.root },
  ).then((results) => new Map(tsFiles.map((f, i) => [f, results[i]!])));
  const pending: Promise<FileResult>[] = [];
  // Opened on the first Python file, closed once every file is read.
  let python: Promise<PythonParser> | undefined;
  const parser = () => (python ??= PythonParser.open());
  for (const file of files) {
    if (file.endsWith('.py')) {
      pending.push(
        pythonRefused(file, join(spec.root, file), parser).then((errors) => ({
          datasets: [],
          flows: [],
          settings: [],
          errors,
        })),
      );
      continue;
    }
    if (file.endsWith('.sql')) {
      const job = parseSql(file, configuration);
      if (sequential) {
        const r = await job;
        // A SET of spark.sql.ansi.enabled holds for the rest of its own file only (the pipeline's
        // configuration sets it for every file): Databricks applies a SET to the datasets
        // defined after it in that source.
        for (const st of r.settings) if (st.key !== ANSI_KEY) configuration[st.key] = st.value;
      }
      pending.push(job);
      continue;
    }
    const options = { root: spec.root, configuration: Object.freeze({ ...configuration }), sql, ...schema };
    pending.push(
      imports.then(async (byFile): Promise<FileResult> => {
        const imported = byFile.get(file)!;
        if (!imported.ok) return { datasets: [], flows: [], settings: [], errors: imported.errors };
        return compileRegistrations(imported.registrations, options).then(
          (r) => ({ ...r, settings: [] }),
          (e: unknown) => ({ datasets: [], flows: [], settings: [], errors: [located(e, file)] }),
        );
      }),
    );
  }
  const datasets: Dataset[] = [];
  const flows: Flow[] = [];
  const settings: PipelineDefinitions['settings'][number][] = [];
  const errors: SluiceError[] = [];
  const results = await Promise.all(pending);
  if (python) (await python).close();
  if (compileCache) await writeCompileCache(spec.storage, compileCache);
  for (const r of results) {
    datasets.push(...r.datasets);
    flows.push(...r.flows);
    settings.push(...r.settings);
    errors.push(...r.errors);
  }
  for (const st of settings) configuration[st.key] = st.value;
  return {
    definitions: {
      datasets,
      flows,
      settings,
      ...(spec.externalTables.length > 0 ? { externalTables: spec.externalTables } : {}),
    },
    configuration: Object.freeze(configuration),
    files,
    errors,
  };
}
