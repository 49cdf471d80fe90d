import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError, toSluiceError } from '../errors/index.ts';
import type { BoundQuery, ExecutionPlan, FlowPlan } from '../graph/index.ts';
import type { Dataset, Expectation } from '../model/index.ts';
import { connect, type DuckDBConnection } from '../util/duckdb.ts';
import { isTransient, type UpdateContext } from './context.ts';
import { RESET_APP_ID } from './flow-checkpoint.ts';
import { acquirePipelineLock } from './lock.ts';
import { runMaterializedViewFlow } from './mv-flow.ts';
import type { ResolvedPipeline } from './pipeline.ts';
import { tablePath } from './plan.ts';
import { runScheduled } from './scheduler.ts';
import * as store from './store.ts';
import { addOutcome, runStreamingFlow, zeroOutcome } from './streaming-flow.ts';
import { type BatchOutcome, quarantineTablePath } from './table-writer.ts';
import type {
  EngineEvent,
  EngineListener,
  FlowResult,
  FlowState,
  RefreshSelection,
  UpdateResult,
  UpdateState,
} from './types.ts';

export interface RunUpdateOptions {
  /** Datasets to refresh incrementally; the rest are EXCLUDED. */
  readonly refresh?: readonly string[];
  /** Datasets to reset and recompute. */
  readonly fullRefresh?: readonly string[];
  readonly fullRefreshAll?: boolean;
  /** Keep polling sources until `signal` aborts. */
  readonly continuous?: boolean;
  /** Pause between rounds in continuous mode (default: configuration `pipelines.trigger.interval` or 5 s). */
  readonly triggerIntervalMs?: number;
  readonly signal?: AbortSignal;
  readonly listeners?: readonly EngineListener[];
  /** Flows run at once (default 2). */
  readonly concurrency?: number;
  readonly cause?: string;
}

/**
 * Checks refresh options before anything runs.
 * @throws SluiceError CONFLICTING_PIPELINE_REFRESH_OPTIONS
 */
export function refreshSelection(o: RunUpdateOptions): RefreshSelection {
  const refresh = o.refresh?.length ? o.refresh : undefined;
  const full = o.fullRefresh?.length ? o.fullRefresh : undefined;
  if (o.fullRefreshAll && (refresh || full)) {
    throw new SluiceError(
      'CONFLICTING_PIPELINE_REFRESH_OPTIONS',
      '--full-refresh-all cannot be combined with --refresh or --full-refresh',
    );
  }
  const both = refresh?.filter((d) => full?.includes(d)) ?? [];
  if (both.length > 0) {
    throw new SluiceError(
      'CONFLICTING_PIPELINE_REFRESH_OPTIONS',
      `dataset${both.length > 1 ? 's' : ''} ${both.join(', ')} cannot be in both --refresh and --full-refresh`,
      { params: { datasets: both } },
    );
  }
  if (o.fullRefreshAll) return { fullRefresh: '*' };
  return { ...(refresh ? { refresh } : {}), ...(full ? { fullRefresh: full } : {}) };
}

/**
 * Runs one update of a validated pipeline: takes the pipeline lock, sets up tables (full
 * refresh resets), runs every selected flow in dependency order, and returns per-flow results.
 * Never leaves the lock held. A failed flow fails the update (state FAILED) but unrelated flows
 * still complete; errors that stop the whole update are in `result.error`.
 */
export async function runUpdate(
  pipeline: ResolvedPipeline,
  options: RunUpdateOptions = {},
): Promise<UpdateResult> {
  const selection = refreshSelection(options);
  const updateId = randomUUID();
  const startedAt = new Date().toISOString();
  const listeners = options.listeners ?? [];
  const emit = async (event: EngineEvent) => {
    for (const l of listeners) {
      try {
        await l(event);
      } catch {
        // a listener's failure never fails the update
      }
    }
  };
  const lock = await acquirePipelineLock(pipeline.storage, updateId);
  store.resetSnapshotCache();
  let state: UpdateState = 'CREATED';
  const results = new Map<string, FlowResult>();
  let fatal: SluiceError | undefined;
  try {
    await emit({
      kind: 'update_created',
      updateId,
      cause: options.cause ?? 'USER_ACTION',
      refresh: selection,
      ...(lock.recoveredFrom
        ? {
            previousAbnormal: {
              updateId: lock.recoveredFrom.updateId,
              startedAt: lock.recoveredFrom.startedAt,
            },
          }
        : {}),
    });
    const setState = async (s: UpdateState, error?: SluiceError) => {
      state = s;
      await emit({ kind: 'update_state', updateId, state: s, ...(error ? { error } : {}) });
    };
    await setState('CREATED');
    await setState('INITIALIZING');
    const plan = pipeline.plan;
    const selected = selectedDatasets(plan, selection);
    const ctx: UpdateContext = {
      plan,
      storage: pipeline.storage,
      root: pipeline.root,
      pipeline: pipeline.name,
      updateId,
      configuration: pipeline.configuration,
      ...(options.signal ? { signal: options.signal } : {}),
      emit,
    };
    await setState('SETTING_UP_TABLES');
    const forced = await resetTables(pipeline.storage, plan, selection, selected);
    await setState('RUNNING');
    const interval =
      options.triggerIntervalMs ??
      parseInterval(pipeline.configuration['pipelines.trigger.interval']) ??
      5000;
    for (let round = 0; ; round++) {
      await runRound(ctx, plan, selected, forced, results, options.concurrency ?? 2, round > 0);
      if (!options.continuous || options.signal?.aborted) break;
      if ([...results.values()].some((r) => r.state === 'FAILED')) break;
      await sleep(interval, undefined, { signal: options.signal }).catch(() => {});
      if (options.signal?.aborted) break;
    }
    if (options.signal?.aborted) await setState('STOPPING');
    const failed = [...results.values()].some((r) => r.state === 'FAILED');
    // A stop request (SIGINT/SIGTERM) ends the update CANCELED once the running batches finished.
    await setState(failed ? 'FAILED' : options.signal?.aborted ? 'CANCELED' : 'COMPLETED');
  } catch (e) {
    fatal = toSluiceError(e);
    state = 'FAILED';
    await emit({ kind: 'update_state', updateId, state: 'FAILED', error: fatal });
  } finally {
    await store.settleCheckpoints();
    await lock.release();
  }
  return {
    updateId,
    pipeline: pipeline.name,
    state,
    startedAt,
    endedAt: new Date().toISOString(),
    flows: [...results.values()],
    ...(fatal ? { error: fatal } : {}),
  };
}

function parseInterval(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|seconds?|m|minutes?)?\s*$/i.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  return unit.startsWith('ms') || unit.startsWith('milli') ? n : unit.startsWith('m') ? n * 60_000 : n * 1000;
}

/** Names of the stored datasets this update touches. */
function selectedDatasets(plan: ExecutionPlan, selection: RefreshSelection): Set<string> {
  const all = new Set(plan.flows.map((f) => f.target.name));
  const named = [
    ...(selection.refresh ?? []),
    ...(Array.isArray(selection.fullRefresh) ? selection.fullRefresh : []),
  ];
  for (const n of named) {
    if (!plan.datasets.has(n)) {
      throw new SluiceError(
        'DATASET_NOT_DEFINED',
        `dataset '${n}' named in a refresh option is not defined`,
        {
          dataset: n,
        },
      );
    }
  }
  if (named.length === 0) return all;
  return new Set(named.filter((n) => all.has(n)));
}

/**
 * Full refresh: truncates each selected table in one commit that also bumps its reset
 * generation (see flow-checkpoint.ts), so its flows start over. Returns the datasets to recompute.
 * @throws SluiceError TABLE_NOT_RESETTABLE for a table named explicitly that forbids resets.
 */
async function resetTables(
  storage: string,
  plan: ExecutionPlan,
  selection: RefreshSelection,
  selected: ReadonlySet<string>,
): Promise<Set<string>> {
  const targets =
    selection.fullRefresh === '*'
      ? [...selected]
      : (selection.fullRefresh ?? []).filter((n) => selected.has(n));
  const datasets = targets.map((n) => plan.datasets.get(n)!);
  const protectedOnes = datasets.filter(
    (d) => d.properties['pipelines.reset.allowed']?.toLowerCase() === 'false',
  );
  if (selection.fullRefresh !== '*' && protectedOnes.length > 0) {
    throw new SluiceError(
      'TABLE_NOT_RESETTABLE',
      `cannot fully refresh ${protectedOnes.map((d) => `'${d.name}'`).join(', ')}: table property pipelines.reset.allowed = false`,
      { dataset: protectedOnes[0]!.name, params: { datasets: protectedOnes.map((d) => d.name) } },
    );
  }
  const forced = new Set<string>();
  for (const d of datasets) {
    if (protectedOnes.includes(d)) continue;
    forced.add(d.name);
    const path = tablePath(storage, d);
    await truncate(path, true);
    await truncate(quarantineTablePath(path, d), false);
  }
  return forced;
}

async function truncate(path: string, bumpGeneration: boolean): Promise<void> {
  if ((await store.tableVersion(path)) === undefined) return;
  const snap = await store.snapshot(path);
  const generation = (snap.txns.get(RESET_APP_ID) ?? 0) + 1;
  await store.commit(path, [...store.removeAll(snap)], {
    readVersion: snap.version,
    operation: 'TRUNCATE',
    operationParameters: { reason: 'full refresh' },
    isBlindAppend: false,
    ...(bumpGeneration ? { txn: { appId: RESET_APP_ID, version: generation } } : {}),
  });
}

/** Reports a flow's state change (with its result on terminal states). */
function emitFlowState(
  ctx: UpdateContext,
  pf: FlowPlan,
  state: FlowState,
  extra: { readonly result?: FlowResult; readonly error?: SluiceError } = {},
): Promise<void> {
  return ctx.emit({
    kind: 'flow_state',
    updateId: ctx.updateId,
    flow: pf.flow.name,
    dataset: pf.target.name,
    state,
    ...extra,
  });
}

async function runRound(
  ctx: UpdateContext,
  plan: ExecutionPlan,
  selected: ReadonlySet<string>,
  forced: Set<string>,
  results: Map<string, FlowResult>,
  concurrency: number,
  repeat: boolean,
): Promise<void> {
  const runnable = plan.flows.filter((f) => selected.has(f.target.name));
  for (const pf of plan.flows) {
    if (!selected.has(pf.target.name) && !repeat) {
      const r = emptyResult(pf, 'EXCLUDED', 0);
      results.set(pf.flow.name, r);
      await emitFlowState(ctx, pf, 'EXCLUDED', { result: r });
    }
  }
  for (const pf of runnable) {
    await emitFlowState(ctx, pf, 'QUEUED');
  }
  await runScheduled(
    runnable,
    concurrency,
    async (pf) => {
      const previous = results.get(pf.flow.name);
      const r = await runFlow(ctx, pf, forced.has(pf.target.name));
      forced.delete(pf.target.name);
      results.set(pf.flow.name, previous && repeat ? mergeResults(previous, r) : r);
      return r.state;
    },
    async (pf, because) => {
      const r: FlowResult = { ...emptyResult(pf, 'SKIPPED', 0), skippedBecause: because };
      results.set(pf.flow.name, r);
      await emitFlowState(ctx, pf, 'SKIPPED', { result: r });
    },
  );
}

function mergeResults(a: FlowResult, b: FlowResult): FlowResult {
  const state: FlowState = b.state === 'IDLE' && a.state === 'COMPLETED' ? 'COMPLETED' : b.state;
  return {
    ...b,
    state,
    metrics: {
      num_input_rows: a.metrics.num_input_rows + b.metrics.num_input_rows,
      num_output_rows: a.metrics.num_output_rows + b.metrics.num_output_rows,
      num_output_bytes: a.metrics.num_output_bytes + b.metrics.num_output_bytes,
      num_batches: a.metrics.num_batches + b.metrics.num_batches,
      num_files: a.metrics.num_files + b.metrics.num_files,
    },
    durationMs: a.durationMs + b.durationMs,
  };
}

function emptyResult(pf: FlowPlan, state: FlowState, durationMs: number): FlowResult {
  return {
    flow: pf.flow.name,
    dataset: pf.target.name,
    datasetKind: pf.target.kind,
    state,
    metrics: { num_input_rows: 0, num_output_rows: 0, num_output_bytes: 0, num_batches: 0, num_files: 0 },
    durationMs,
  };
}

/** Every expectation a flow evaluates: its target's and those of the views it reads. */
function expectationsInScope(
  pf: FlowPlan,
): { dataset: string; name: string; action: Expectation['action'] }[] {
  const out = pf.target.expectations.map((e) => ({
    dataset: pf.target.name,
    name: e.name,
    action: e.action,
  }));
  const walk = (b: BoundQuery) => {
    for (const c of b.children) {
      if (c.kind !== 'view') continue;
      out.push(...c.view.expectations.map((e) => ({ dataset: c.view.name, name: e.name, action: e.action })));
      walk(c.bound);
    }
  };
  walk(pf.bound);
  return out;
}

function resultFrom(
  pf: FlowPlan,
  state: FlowState,
  o: BatchOutcome,
  batches: number,
  durationMs: number,
): FlowResult {
  const scope = expectationsInScope(pf);
  return {
    ...emptyResult(pf, state, durationMs),
    metrics: {
      num_input_rows: o.inputRows,
      num_output_rows: o.outputRows,
      num_output_bytes: o.outputBytes,
      num_batches: batches,
      num_files: o.files,
    },
    ...(scope.length > 0
      ? {
          dataQuality: {
            dropped_records: o.droppedRows,
            quarantined_records: o.quarantinedRows,
            expectations: scope.map(
              (e) =>
                o.expectations.find((m) => m.name === e.name && m.dataset === e.dataset) ?? {
                  ...e,
                  passed_records: 0,
                  failed_records: 0,
                },
            ),
          },
        }
      : {}),
  };
}

const MAX_ATTEMPTS = 3;

async function runFlow(ctx: UpdateContext, pf: FlowPlan, forceRecompute: boolean): Promise<FlowResult> {
  const started = Date.now();
  const emitState = (state: FlowState, extra: { result?: FlowResult; error?: SluiceError } = {}) =>
    emitFlowState(ctx, pf, state, extra);
  await emitState('PLANNING');
  let conn: DuckDBConnection | undefined;
  let totals = zeroOutcome();
  let batches = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      conn = await connect();
      await emitState('STARTING');
      await emitState('RUNNING');
      let state: FlowState;
      if (pf.target.kind === 'materialized_view') {
        const r = await runMaterializedViewFlow(ctx, pf, conn, forceRecompute);
        await ctx.emit({
          kind: 'planning',
          updateId: ctx.updateId,
          flow: pf.flow.name,
          dataset: pf.target.name,
          planning: r.planning,
        });
        if (r.outcome) {
          totals = r.outcome;
          batches = 1;
        }
        state = r.outcome ? 'COMPLETED' : 'IDLE';
        const result = {
          ...resultFrom(pf, state, totals, batches, Date.now() - started),
          planning: r.planning,
        };
        await emitState(state, { result });
        return result;
      }
      const r = await runStreamingFlow(ctx, pf, conn, async (batchId, outcome) => {
        totals = addOutcome(totals, outcome);
        batches++;
        if (outcome.tableVersion !== undefined) {
          await ctx.emit({
            kind: 'batch_committed',
            updateId: ctx.updateId,
            flow: pf.flow.name,
            dataset: pf.target.name,
            batchId,
            rows: outcome.outputRows,
            tableVersion: outcome.tableVersion,
          });
        }
      });
      state = r.stopped ? 'STOPPED' : batches > 0 ? 'COMPLETED' : 'IDLE';
      const result = resultFrom(pf, state, totals, batches, Date.now() - started);
      await emitState(state, { result });
      return result;
    } catch (e) {
      const err = toSluiceError(e, 'FLOW_EXECUTION_FAILED');
      // A failure raised below the flow (a query, DuckDB running out of memory) names the flow's
      // dataset and, when it has none of its own, the flow's definition.
      const withDataset =
        err.dataset === undefined && (err.code === 'FLOW_EXECUTION_FAILED' || err.code === 'OUT_OF_MEMORY')
          ? new SluiceError(err.code, err.message, {
              dataset: pf.target.name,
              params: err.params,
              cause: err.cause,
              domain: err.domain,
              ...((err.location ?? pf.flow.location) ? { location: err.location ?? pf.flow.location } : {}),
            })
          : err;
      if (isTransient(withDataset) && attempt < MAX_ATTEMPTS && !ctx.signal?.aborted) {
        await sleep(100 * 2 ** attempt);
        continue;
      }
      const result: FlowResult = {
        ...resultFrom(pf, 'FAILED', totals, batches, Date.now() - started),
        error: withDataset,
      };
      await emitState('FAILED', { result, error: withDataset });
      return result;
    } finally {
      conn?.closeSync();
      conn = undefined;
    }
  }
}

export type { Dataset };
