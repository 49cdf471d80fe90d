import { SluiceError, toSluiceError } from '../errors/index.ts';
import type { Dataset, PipelineDefinitions } from '../model/index.ts';
import { type LoadSpecOptions, loadSpec, type PipelineSpec } from '../spec/index.ts';
import type { SqlCompiler } from '../sql/index.ts';
import type { Database } from '../util/index.ts';
import { type CheckContext, ERROR_CHECKS, isView, WARNING_CHECKS } from './checks.ts';
import { buildExecutionPlan } from './execution-plan.ts';
import { bindExternalTables } from './external-tables.ts';
import { loadPipelineDefinitions } from './load.ts';
import { findCycles, topologicalOrder } from './plan.ts';
import {
  baseName,
  buildIndex,
  type DatasetNames,
  type GraphIndex,
  resolveFlow,
  unresolved,
} from './resolve.ts';
import type { FailedFlow, GraphEdge, PipelineGraph, ResolvedFlow } from './types.ts';

/**
 * The outcome of validation. `errors` are root causes only. A dataset that cannot run because
 * something it reads failed is not a second root cause: it gets one UPSTREAM_FAILED note in
 * `downstream` naming the failed inputs. `warnings` (e.g. MISSING_EXPECTATIONS, rule ST-02)
 * never make a pipeline invalid. Invariant: `valid === (errors.length === 0)`.
 *
 * `runnable`: valid, or every error is a refusal of something sluice does not support inside one
 * dataset's query ({@link DATASET_LOCAL_CODES}): the update then runs without those datasets and
 * what reads them (`graph.failed`), and reports them as failed. Invariant: `graph.execution` is
 * present exactly when `runnable`.
 */
export interface GraphValidation {
  readonly graph: PipelineGraph;
  readonly errors: readonly SluiceError[];
  readonly downstream: readonly SluiceError[];
  readonly warnings: readonly SluiceError[];
  readonly valid: boolean;
  readonly runnable: boolean;
}

/**
 * Codes that refuse one dataset's query for a construct sluice does not support (a function or
 * syntax it cannot translate exactly, a user-defined or AI function, a file format it does not
 * read, state across micro-batches):
 * the pipeline is sound and the rest of it can run. A user's mistake (an undefined name, a cycle,
 * a wrong flow type) is never dataset-local: it stops the whole update, as on Databricks.
 */
export const DATASET_LOCAL_CODES: ReadonlySet<string> = new Set([
  'UNSUPPORTED_SPARK_FUNCTION',
  'UNSUPPORTED_SQL_SYNTAX',
  'UNSUPPORTED_REGEX',
  'UNSUPPORTED_CAST',
  'UNSUPPORTED_FILE_FORMAT',
  'UNSUPPORTED_XML',
  'STREAMING_QUERY_NOT_SUPPORTED',
]);

function onlyDatasetLocal(errors: readonly SluiceError[]): boolean {
  return errors.every((e) => e.dataset !== undefined && DATASET_LOCAL_CODES.has(e.code));
}

export interface ValidationResult extends Omit<GraphValidation, 'graph'> {
  /** Undefined only when the spec itself could not be loaded (then `errors` says why). */
  readonly spec?: PipelineSpec;
  readonly graph?: PipelineGraph;
  /** Configuration after SQL `SET`s. */
  readonly configuration?: Readonly<Record<string, string>>;
  /** Library files loaded, relative to the spec folder. */
  readonly files: readonly string[];
}

/**
 * A memoized predicate: whether reading the view `name` yields a stream (some flow into it reads
 * a stream or a streaming view). A view on a cycle counts as batch here — the cycle is reported
 * on its own.
 */
function streamingViewPredicate(index: GraphIndex): (name: string) => boolean {
  const viewStreaming = new Map<string, boolean>();
  const visiting = new Set<string>();
  const isStreamingView = (name: string): boolean => {
    const known = viewStreaming.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) return false;
    visiting.add(name);
    let streaming = false;
    for (const f of index.flowsByTarget.get(name) ?? []) {
      for (const i of f.query.inputs) {
        if (i.streaming) streaming = true;
        else if (i.kind === 'dataset') {
          const d = index.names.resolve(i.name, f.target);
          if (d && isView(d) && isStreamingView(d.name)) streaming = true;
        }
      }
    }
    visiting.delete(name);
    viewStreaming.set(name, streaming);
    return streaming;
  };
  return isStreamingView;
}

/** Each (unique) flow's resolution against the datasets, by flow name. */
function resolveFlows(index: GraphIndex): Map<string, ResolvedFlow | FailedFlow> {
  const isStreamingView = streamingViewPredicate(index);
  const resolutions = new Map<string, ResolvedFlow | FailedFlow>();
  for (const f of index.flows)
    resolutions.set(f.name, resolveFlow(unresolved(f), index.names, isStreamingView));
  return resolutions;
}

/**
 * Dependencies between datasets: target → datasets its resolved flows read, and one edge per
 * flow input (resolved flows into defined datasets only).
 */
function datasetDependencies(
  index: GraphIndex,
  resolutions: ReadonlyMap<string, ResolvedFlow | FailedFlow>,
): { deps: Map<string, string[]>; edges: GraphEdge[] } {
  const deps = new Map<string, string[]>();
  const edges: GraphEdge[] = [];
  for (const r of resolutions.values()) {
    if (r.kind !== 'resolved_flow' || !index.datasets.has(r.target)) continue;
    const list = deps.get(r.target) ?? [];
    for (const i of r.inputs) {
      if (i.kind !== 'dataset') continue;
      list.push(i.dataset);
      edges.push({ flow: r.name, target: r.target, input: i.dataset, streaming: i.effectiveStreaming });
    }
    deps.set(r.target, list);
  }
  return { deps, edges };
}

/** One CIRCULAR_DEPENDENCY error per dependency cycle, and the set of datasets on any cycle. */
function cycleErrors(
  index: GraphIndex,
  names: readonly string[],
  deps: ReadonlyMap<string, readonly string[]>,
): { onCycle: Set<string>; errors: SluiceError[] } {
  const onCycle = new Set<string>();
  const errors: SluiceError[] = [];
  for (const cycle of findCycles(names, deps)) {
    for (const n of cycle) onCycle.add(n);
    const first = index.datasets.get(cycle[0]!);
    errors.push(
      new SluiceError(
        'CIRCULAR_DEPENDENCY',
        `datasets depend on each other in a cycle: ${cycle.join(' → ')}`,
        {
          dataset: cycle[0]!,
          params: { cycle },
          ...(first?.location ? { location: first.location } : {}),
        },
      ),
    );
  }
  return { onCycle, errors };
}

/**
 * The run order: datasets topologically (those on or behind a cycle left out), then their
 * resolved flows in that order; plus the resolved flows by name.
 */
function runOrder(
  index: GraphIndex,
  resolutions: ReadonlyMap<string, ResolvedFlow | FailedFlow>,
  names: readonly string[],
  deps: ReadonlyMap<string, readonly string[]>,
): { plan: PipelineGraph['plan']; flows: Map<string, ResolvedFlow> } {
  const planDatasets = topologicalOrder(names, deps);
  const planFlows: string[] = [];
  for (const d of planDatasets) {
    for (const f of index.flowsByTarget.get(d) ?? [])
      if (resolutions.get(f.name)?.kind === 'resolved_flow') planFlows.push(f.name);
  }
  const flows = new Map<string, ResolvedFlow>();
  for (const [name, r] of resolutions) if (r.kind === 'resolved_flow') flows.set(name, r);
  return { plan: { datasets: planDatasets, flows: planFlows }, flows };
}

/**
 * Resolves and validates definitions (no I/O beyond the SQL front end's expression parsing).
 * `loadErrors` are front-end errors; a dataset they name counts as failed, so readers get
 * UPSTREAM_FAILED rather than DATASET_NOT_DEFINED.
 */
export async function validateDefinitions(
  definitions: PipelineDefinitions,
  options: { readonly sql: SqlCompiler; readonly loadErrors?: readonly SluiceError[] },
): Promise<GraphValidation> {
  const loadErrors = options.loadErrors ?? [];
  const bound = bindExternalTables(definitions);
  const index = buildIndex(bound.datasets, bound.flows, loadErrors);
  const resolutions = resolveFlows(index);

  const ctx: CheckContext = {
    index,
    sql: options.sql,
    resolutions,
    allDatasets: definitions.datasets,
    allFlows: bound.flows,
  };
  const errors: SluiceError[] = [...loadErrors];
  for (const check of ERROR_CHECKS) errors.push(...(await check.run(ctx)));

  const names = [...index.datasets.keys()];
  const { deps, edges } = datasetDependencies(index, resolutions);
  const cycles = cycleErrors(index, names, deps);
  errors.push(...cycles.errors);

  const warnings: SluiceError[] = [];
  for (const check of WARNING_CHECKS) warnings.push(...(await check.run(ctx)));

  const { failed, downstream } = propagateFailures(
    index.datasets,
    index.names,
    index.flows,
    errors,
    cycles.onCycle,
    index.brokenNames,
  );

  const { plan, flows } = runOrder(index, resolutions, names, deps);
  const resolved = { datasets: index.datasets, flows, edges, plan, failed };
  const runnable = onlyDatasetLocal(errors);
  const graph: PipelineGraph = runnable ? { ...resolved, execution: buildExecutionPlan(resolved) } : resolved;
  return { graph, errors, downstream, warnings, valid: errors.length === 0, runnable };
}

/**
 * Marks every dataset named by an error (plus cycle members and broken definitions) as failed,
 * then walks readers: each reader that has no error of its own gets one UPSTREAM_FAILED note
 * listing its failed inputs.
 */
function propagateFailures(
  datasets: ReadonlyMap<string, Dataset>,
  names: DatasetNames,
  flows: CheckContext['index']['flows'],
  errors: readonly SluiceError[],
  onCycle: ReadonlySet<string>,
  broken: ReadonlySet<string>,
): { failed: Set<string>; downstream: SluiceError[] } {
  const failed = new Set<string>([...onCycle, ...broken]);
  for (const e of errors) if (e.dataset !== undefined) failed.add(names.canonical(e.dataset));
  const roots = new Set(failed);
  const readers = new Map<string, Set<string>>();
  const inputsOf = new Map<string, Set<string>>();
  for (const f of flows) {
    for (const i of f.query.inputs) {
      if (i.kind !== 'dataset') continue;
      const name = names.resolve(i.name, f.target)?.name ?? baseName(i.name);
      if (!readers.has(name)) readers.set(name, new Set());
      readers.get(name)!.add(f.target);
      if (!inputsOf.has(f.target)) inputsOf.set(f.target, new Set());
      inputsOf.get(f.target)!.add(name);
    }
  }
  const queue = [...failed];
  for (let i = 0; i < queue.length; i++) {
    for (const r of readers.get(queue[i]!) ?? []) {
      if (failed.has(r)) continue;
      failed.add(r);
      queue.push(r);
    }
  }
  const downstream: SluiceError[] = [];
  for (const [name, d] of datasets) {
    if (!failed.has(name) || roots.has(name)) continue;
    const upstream = [...(inputsOf.get(name) ?? [])].filter((n) => failed.has(n)).sort();
    downstream.push(
      new SluiceError(
        'UPSTREAM_FAILED',
        `'${name}' cannot run because ${upstream.map((u) => `'${u}'`).join(', ')} failed validation`,
        {
          dataset: name,
          params: { upstream },
          ...(d.location ? { location: d.location } : {}),
        },
      ),
    );
  }
  return { failed, downstream };
}

/** What loading and validating a pipeline folder uses: the session's SQL front end and database. */
export interface ValidatePipelineOptions extends LoadSpecOptions {
  readonly sql: SqlCompiler;
  /** Opened early (on DuckDB's thread) while the spec and files load, when given. */
  readonly db?: Database;
}

/**
 * Loads a pipeline folder (spec + libraries) and validates it. Never throws for user errors:
 * a missing or invalid spec is returned as the single error.
 */
export async function validatePipelineFolder(
  dir: string | undefined,
  options: ValidatePipelineOptions,
): Promise<ValidationResult> {
  // SQL is parsed by DuckDB: open it while the spec and files load.
  options.db?.warmUp();
  let spec: PipelineSpec;
  try {
    spec = await loadSpec(dir, options);
  } catch (e) {
    const err = toSluiceError(e);
    if (err.domain === 'internal') throw e;
    return { errors: [err], downstream: [], warnings: [], valid: false, runnable: false, files: [] };
  }
  const loaded = await loadPipelineDefinitions(spec, options.sql);
  const result = await validateDefinitions(loaded.definitions, {
    sql: options.sql,
    loadErrors: loaded.errors,
  });
  return {
    spec,
    configuration: loaded.configuration,
    files: loaded.files,
    ...result,
    warnings: [...spec.warnings, ...result.warnings],
  };
}

/**
 * `result` with root errors found after the graph's own checks (validate's query binding: errors
 * the run gives the same flows when they run): each names its dataset, which is marked failed,
 * and every dataset reading a failed one gets an UPSTREAM_FAILED note. `runnable` and the
 * execution plan stay as they were — a run binds those queries itself and fails those flows
 * (and skips their readers) while the rest of the pipeline runs.
 */
export function withRootErrors(result: ValidationResult, extra: readonly SluiceError[]): ValidationResult {
  const g = result.graph;
  if (!g || extra.length === 0) return result;
  const failed = new Set(g.failed);
  const roots = new Set<string>();
  for (const e of extra) if (e.dataset !== undefined && !failed.has(e.dataset)) roots.add(e.dataset);
  for (const r of roots) failed.add(r);
  const readers = new Map<string, Set<string>>();
  for (const e of g.edges) {
    if (!readers.has(e.input)) readers.set(e.input, new Set());
    readers.get(e.input)!.add(e.target);
  }
  const queue = [...roots];
  const reached: string[] = [];
  for (let i = 0; i < queue.length; i++) {
    for (const r of readers.get(queue[i]!) ?? []) {
      if (failed.has(r)) continue;
      failed.add(r);
      reached.push(r);
      queue.push(r);
    }
  }
  const downstream = reached.map((name) => {
    const upstream = [
      ...new Set(g.edges.filter((e) => e.target === name && failed.has(e.input)).map((e) => e.input)),
    ].sort();
    const d = g.datasets.get(name);
    return new SluiceError(
      'UPSTREAM_FAILED',
      `'${name}' cannot run because ${upstream.map((u) => `'${u}'`).join(', ')} failed validation`,
      { dataset: name, params: { upstream }, ...(d?.location ? { location: d.location } : {}) },
    );
  });
  return {
    ...result,
    graph: { ...g, failed },
    errors: [...result.errors, ...extra],
    downstream: [...result.downstream, ...downstream],
    valid: false,
  };
}
