import { randomUUID } from 'node:crypto';
import { register as registerHooks } from 'node:module';
import { isAbsolute, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { asSluiceError, SluiceError, type SourceLocation } from '../errors/index.ts';
import {
  type CompiledQuery,
  type Dataset,
  type Expectation,
  type Flow,
  isStored,
  type QueryInput,
} from '../model/index.ts';
import type { SqlCompiler } from '../sql/index.ts';
import { importModule, packageRoot } from '../util/index.ts';
import { bundleFrameMapper, bundleTsFiles, evaluateBundle } from './bundle-ts.ts';
import {
  claimModuleHook,
  collectRegistrations,
  type FrameMapper,
  type PipelineContext,
  type QueryArg,
  type Registration,
  stackFrames,
} from './registry.ts';
import { type DeclaredInput, renderSql } from './sql-template.ts';

export interface TsLoadOptions {
  /** Pipeline root; locations are reported relative to it. */
  readonly root: string;
  readonly configuration: Readonly<Record<string, string>>;
  /** Default schema for datasets without a qualified name. */
  readonly schema?: string;
  /** The session's SQL front end, which compiles the queries. */
  readonly sql: SqlCompiler;
}

export interface TsLoadResult {
  readonly datasets: readonly Dataset[];
  readonly flows: readonly Flow[];
  readonly errors: readonly SluiceError[];
}

/**
 * Pipeline files `import … from 'sluice'` wherever they live (a folder made by `sluice init`
 * has no node_modules). A module resolve hook maps that specifier to this running copy, so a
 * pipeline always registers into the loader that imports it.
 */
function ensureSluiceResolvable(): void {
  if (!claimModuleHook('sluice-resolve')) return;
  const target = pathToFileURL(join(packageRoot(), 'src', 'api', 'definition-api.ts')).href;
  const hook = `export async function resolve(specifier, context, next) {
  if (specifier === 'sluice') return next(${JSON.stringify(target)}, context);
  return next(specifier, context);
}`;
  registerHooks(`data:text/javascript,${encodeURIComponent(hook)}`);
}

/**
 * Imports a module through tsx. Each import gets a fresh URL (`?sluice-load=<uuid>`) so a pipeline
 * file re-registers its datasets every time it is loaded (helper modules it imports stay cached
 * for the life of the process). tsx is registered on first need when the process has not done so.
 */
async function importTs(file: string): Promise<void> {
  ensureSluiceResolvable();
  const url = () => `${pathToFileURL(file).href}?sluice-load=${randomUUID()}`;
  try {
    await importModule(url());
  } catch (e) {
    if ((e as NodeJS.ErrnoException)?.code !== 'ERR_UNKNOWN_FILE_EXTENSION' || !claimModuleHook('tsx'))
      throw e;
    const { register } = await importModule<typeof import('tsx/esm/api')>('tsx/esm/api');
    register();
    await importModule(url());
  }
}

function relLocation(root: string, loc: SourceLocation | undefined): SourceLocation | undefined {
  if (!loc) return undefined;
  return isAbsolute(loc.file) ? { ...loc, file: relative(root, loc.file) } : loc;
}

function withLocation(
  e: SluiceError,
  dataset: string | undefined,
  location: SourceLocation | undefined,
): SluiceError {
  if ((e.location || !location) && (e.dataset || !dataset)) return e;
  return new SluiceError(e.code, e.message, {
    params: e.params,
    ...((e.dataset ?? dataset) ? { dataset: e.dataset ?? dataset } : {}),
    ...((e.location ?? location) ? { location: e.location ?? location } : {}),
    cause: e,
    domain: e.domain,
  });
}

function stripLive(name: string): string {
  return name.replace(/^live\./i, '');
}

/** The declared inputs must be exactly what the SQL front end found in the rendered text. */
function checkInputs(declared: readonly DeclaredInput[], found: readonly QueryInput[]): string | undefined {
  const key = (i: DeclaredInput | QueryInput) =>
    i.kind === 'dataset'
      ? `${i.streaming ? 'STREAM ' : ''}${stripLive(i.name).toLowerCase()}`
      : `${i.streaming ? 'STREAM ' : ''}read_files('${i.path}')`;
  const want = declared.map(key);
  const got = found.map(key);
  const extra = got.filter((k) => !want.includes(k));
  const missing = want.filter((k) => !got.includes(k));
  if (extra.length === 0 && missing.length === 0) return undefined;
  const parts: string[] = [];
  if (extra.length > 0)
    parts.push(
      `reads ${extra.join(', ')} without declaring it (use read()/stream()/readFiles() in the template)`,
    );
  if (missing.length > 0) parts.push(`declares ${missing.join(', ')} but the SQL does not read it`);
  return parts.join('; ');
}

async function compileTsQuery(
  sql: SqlCompiler,
  query: QueryArg,
  ctx: PipelineContext,
  location: SourceLocation | undefined,
  output: 'dataset' | 'view',
): Promise<CompiledQuery> {
  const template = typeof query === 'function' ? query(ctx) : query;
  if (typeof template !== 'object' || template === null || template.kind !== 'sql') {
    throw new SluiceError('TS_INVALID_DEFINITION', 'a query function must return sql`…`');
  }
  const rendered = renderSql(template, ctx.conf);
  const compiled = await sql.compileQuery(rendered.text, {
    ...(location ? { location } : {}),
    configuration: ctx.conf,
    output,
  });
  const mismatch = checkInputs(rendered.inputs, compiled.inputs);
  if (mismatch)
    throw new SluiceError('TS_QUERY_INPUT_MISMATCH', `the query ${mismatch}`, {
      params: { sql: rendered.text },
    });
  return compiled;
}

function splitName(name: string, defaultSchema: string | undefined): { name: string; schema?: string } {
  const parts = name.split('.');
  if (parts.length === 2) return { schema: parts[0]!, name: parts[1]! };
  return { name, ...(defaultSchema !== undefined ? { schema: defaultSchema } : {}) };
}

/**
 * Imports one TypeScript pipeline file and turns its registrations into model datasets and
 * flows. Never throws for user errors: a failed import is one TS_PIPELINE_LOAD_FAILED error;
 * a query that fails to compile keeps its dataset (so readers see it as failed, not missing).
 */
export async function loadTsPipelineFile(file: string, options: TsLoadOptions): Promise<TsLoadResult> {
  const [imported] = await importTsPipelineFiles([file], options);
  if (!imported!.ok) return { datasets: [], flows: [], errors: imported.errors };
  return compileRegistrations(imported!.registrations, options);
}

type ImportResult = { ok: true; registrations: Registration[] } | { ok: false; errors: SluiceError[] };

/**
 * Stage 1 of loading: imports the file and returns its registrations. Imports must run one at a
 * time (the registry collects one file at a time); the compile stage may overlap freely.
 */
async function importTsPipelineFile(
  file: string,
  options: Pick<TsLoadOptions, 'root'>,
): Promise<ImportResult> {
  try {
    return { ok: true, registrations: await collectRegistrations(file, () => importTs(file)) };
  } catch (e) {
    return { ok: false, errors: [loadError(e, file, options.root)] };
  }
}

const NEEDS_MODULE_LOADER = new Set(['ERR_REQUIRE_ESM', 'ERR_REQUIRE_ASYNC_MODULE']);

/**
 * Stage 1 for many files, results in file order. Files are bundled concurrently with esbuild and
 * evaluated in-process one after another (no module loader round trips, no TypeScript loader);
 * a file that needs real ES module semantics (top-level await, `import.meta`, an ES-only
 * package) or does not build is imported through tsx instead, which reports its errors.
 * Each call evaluates every file afresh, so a file registers its datasets on every load.
 */
export async function importTsPipelineFiles(
  files: readonly string[],
  options: Pick<TsLoadOptions, 'root'>,
): Promise<ImportResult[]> {
  const builds = await bundleTsFiles(files, options.root);
  // What `import … from 'sluice'` means in a pipeline file: the pipeline-definition API (the
  // module path's resolve hook maps to the same file).
  const sluice = builds.some((b) => b.kind === 'bundle') ? await import('./definition-api.ts') : undefined;
  const results: ImportResult[] = [];
  for (const [i, file] of files.entries()) {
    const built = builds[i]!;
    switch (built.kind) {
      case 'module':
        results.push(await importTsPipelineFile(file, options));
        break;
      case 'error': {
        const rel = relative(options.root, file);
        results.push({
          ok: false,
          errors: [
            new SluiceError('TS_PIPELINE_LOAD_FAILED', `cannot load ${rel}: ${built.message}`, {
              location: relLocation(options.root, built.location) ?? { file: rel, line: 1 },
            }),
          ],
        });
        break;
      }
      case 'bundle': {
        const { bundle } = built;
        const mapFrame = bundleFrameMapper(bundle);
        try {
          const registrations = await collectRegistrations(
            file,
            () => evaluateBundle(bundle, sluice!),
            mapFrame,
          );
          results.push({ ok: true, registrations });
        } catch (e) {
          const code = (e as NodeJS.ErrnoException)?.code;
          results.push(
            typeof code === 'string' && NEEDS_MODULE_LOADER.has(code)
              ? await importTsPipelineFile(file, options)
              : { ok: false, errors: [loadError(e, file, options.root, mapFrame)] },
          );
        }
        break;
      }
      default: {
        const never: never = built;
        return never;
      }
    }
  }
  return results;
}

/** A failed import as one coded error pointing at the failing line of the pipeline file. */
function loadError(e: unknown, file: string, root: string, mapFrame?: FrameMapper): SluiceError {
  const err = asSluiceError(e, 'TS_PIPELINE_LOAD_FAILED');
  const rel = relative(root, file);
  let at: SourceLocation | undefined;
  for (const frame of stackFrames((e as Error)?.stack ?? '')) {
    if (frame.file !== file) continue;
    const loc = mapFrame ? mapFrame(frame) : frame;
    if (loc.file === file) {
      at = loc;
      break;
    }
    at ??= loc;
  }
  const location = relLocation(root, err.location) ?? relLocation(root, at) ?? { file: rel, line: 1 };
  const code = err.code === 'INTERNAL' ? 'TS_PIPELINE_LOAD_FAILED' : err.code;
  const message = code === 'TS_PIPELINE_LOAD_FAILED' ? `cannot load ${rel}: ${err.message}` : err.message;
  return new SluiceError(code, message, {
    params: err.params,
    ...(err.dataset ? { dataset: err.dataset } : {}),
    location,
    cause: e,
  });
}

type Compiled = { readonly query: CompiledQuery } | { readonly error: unknown } | undefined;

/**
 * Compiles every registration's query concurrently; per registration, in order: the compiled
 * query, the error its compile threw, or undefined when it has no query.
 */
function compileQueries(registrations: readonly Registration[], options: TsLoadOptions): Promise<Compiled[]> {
  const ctx: PipelineContext = Object.freeze({ conf: options.configuration });
  return Promise.all(
    registrations.map((r) =>
      r.query === undefined
        ? undefined
        : compileTsQuery(
            options.sql,
            r.query,
            ctx,
            relLocation(options.root, r.location),
            r.kind === 'dataset' && !isStored({ kind: r.datasetKind }) ? 'view' : 'dataset',
          ).then(
            (query) => ({ query }),
            (error: unknown) => ({ error }),
          ),
    ),
  );
}

/** What stage 2 assembles, in registration order; `appendCount` numbers unnamed append flows per target. */
interface Assembly {
  readonly datasets: Dataset[];
  readonly flows: Flow[];
  readonly errors: SluiceError[];
  readonly appendCount: Map<string, number>;
}

/** The model dataset a dataset registration declares (locations made relative to the root). */
function registeredDataset(
  r: Extract<Registration, { kind: 'dataset' }>,
  options: TsLoadOptions,
  location: SourceLocation | undefined,
): Dataset {
  const { name, schema } = splitName(r.name, options.schema);
  const expectations: Expectation[] = r.expectations.map((x) =>
    Object.freeze({
      ...x,
      ...(x.location ? { location: relLocation(options.root, x.location)! } : {}),
    }),
  );
  return Object.freeze({
    kind: r.datasetKind,
    name,
    ...(schema !== undefined ? { schema } : {}),
    ...(r.comment !== undefined ? { comment: r.comment } : {}),
    properties: Object.freeze(r.properties),
    partitionBy: Object.freeze(r.partitionBy),
    clusterBy: Object.freeze(r.clusterBy),
    ...(r.columns ? { columns: Object.freeze(r.columns) } : {}),
    expectations: Object.freeze(expectations),
    private: r.private,
    language: 'ts' as const,
    ...(location ? { location } : {}),
  });
}

/**
 * Adds a dataset registration's dataset, and its defining flow when it has a query: the flow if
 * the query compiled, else an error (the dataset is kept, so readers see it as failed).
 */
function assembleDataset(
  out: Assembly,
  r: Extract<Registration, { kind: 'dataset' }>,
  result: Compiled,
  options: TsLoadOptions,
): void {
  const location = relLocation(options.root, r.location);
  const dataset = registeredDataset(r, options, location);
  const { name } = dataset;
  out.datasets.push(dataset);
  if (result === undefined) return;
  if ('error' in result) {
    out.errors.push(withLocation(asSluiceError(result.error, 'TS_INVALID_DEFINITION'), name, location));
    return;
  }
  out.flows.push(
    Object.freeze({
      kind: 'flow',
      name,
      target: name,
      role: 'defining',
      query: result.query,
      options: {},
      language: 'ts',
      ...(location ? { location } : {}),
    }),
  );
}

/** Adds an append-flow registration's flow (unnamed: `<target>_flow_<n>`), or its compile error. */
function assembleAppendFlow(
  out: Assembly,
  r: Extract<Registration, { kind: 'append_flow' }>,
  result: Compiled,
  options: TsLoadOptions,
): void {
  const location = relLocation(options.root, r.location);
  const n = (out.appendCount.get(r.target) ?? 0) + 1;
  out.appendCount.set(r.target, n);
  const target = splitName(r.target, undefined).name;
  const name = r.name ?? `${target}_flow_${n}`;
  if (result === undefined || 'error' in result) {
    out.errors.push(withLocation(asSluiceError(result?.error, 'TS_INVALID_DEFINITION'), target, location));
    return;
  }
  out.flows.push(
    Object.freeze({
      kind: 'flow',
      name,
      target,
      role: 'append',
      query: result.query,
      options: Object.freeze<Record<string, string>>(r.once ? { once: 'true' } : {}),
      language: 'ts',
      ...(location ? { location } : {}),
    }),
  );
}

/** Adds an AUTO CDC registration's flow (named after its target unless named), or its compile error. */
function assembleAutoCdcFlow(
  out: Assembly,
  r: Extract<Registration, { kind: 'auto_cdc_flow' | 'auto_cdc_snapshot_flow' }>,
  result: Compiled,
  options: TsLoadOptions,
): void {
  const location = relLocation(options.root, r.location);
  const target = splitName(r.target, undefined).name;
  if (result === undefined || 'error' in result) {
    out.errors.push(withLocation(asSluiceError(result?.error, 'TS_INVALID_DEFINITION'), target, location));
    return;
  }
  out.flows.push(
    Object.freeze({
      kind: 'flow',
      name: r.name ?? target,
      target,
      role: r.name === undefined || r.name === target ? 'defining' : 'append',
      query: result.query,
      options: Object.freeze({}),
      ...(r.kind === 'auto_cdc_flow'
        ? { cdc: Object.freeze({ ...r.cdc, ...(location ? { location } : {}) }) }
        : { snapshotCdc: Object.freeze({ ...r.snapshotCdc, ...(location ? { location } : {}) }) }),
      language: 'ts',
      ...(location ? { location } : {}),
    }),
  );
}

/**
 * Stage 2: turns registrations into model datasets and flows. All queries compile concurrently
 * (the SQL front end batches DuckDB round trips); results are assembled in registration order.
 */
export async function compileRegistrations(
  registrations: readonly Registration[],
  options: TsLoadOptions,
): Promise<TsLoadResult> {
  const compiled = await compileQueries(registrations, options);
  const out: Assembly = { datasets: [], flows: [], errors: [], appendCount: new Map() };
  for (const [i, r] of registrations.entries()) {
    switch (r.kind) {
      case 'dataset':
        assembleDataset(out, r, compiled[i], options);
        break;
      case 'append_flow':
        assembleAppendFlow(out, r, compiled[i], options);
        break;
      case 'auto_cdc_flow':
      case 'auto_cdc_snapshot_flow':
        assembleAutoCdcFlow(out, r, compiled[i], options);
        break;
      default: {
        const never: never = r;
        return never;
      }
    }
  }
  return { datasets: out.datasets, flows: out.flows, errors: out.errors };
}
