import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type SluiceError, toSluiceError } from '../../errors/index.ts';
import type { SqlCompiler } from '../../sql/index.ts';
import type { Database } from '../../util/index.ts';
import type { EngineEvent, EngineListener, FlowResult, UpdateResult, UpdateState } from '../engine-events.ts';
import { AutoMaintenance } from '../maintenance/auto.ts';
import type { ResolvedPipeline } from '../resolved-pipeline.ts';
import { XmlCheckedFiles } from '../sources/file-xml.ts';
import { ParquetSchemas } from '../sources/parquet-schemas.ts';
import { TableCache } from '../tables/table-cache.ts';
import { ExpectationCache } from '../writing/expectations.ts';
import { emptyResult, mergeResults } from './flow-results.ts';
import { acquirePipelineLock } from './lock.ts';
import { type RefreshOptions, refreshSelection, resetTables, selectedDatasets } from './refresh.ts';
import { reportRefused } from './refused.ts';
import { emitFlowState, runFlow } from './run-flow.ts';
import { runScheduled } from './scheduler.ts';
import type { UpdateContext } from './update-context.ts';

export interface RunUpdateOptions extends RefreshOptions {
  /** The session's database and SQL front end the update runs on. */
  readonly db: Database;
  readonly sql: SqlCompiler;
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
 * Runs one update of a validated pipeline: takes the pipeline lock, sets up tables (full
 * refresh resets), runs every selected flow in dependency order, and returns per-flow results.
 * Never leaves the lock held. A failed flow fails the update (state FAILED) but unrelated flows
 * still complete; errors that stop the whole update are in `result.error`.
 *
 * The update owns its caches (the table cache, compiled expectations): made here, dropped when
 * it returns.
 */
export async function runUpdate(
  pipeline: ResolvedPipeline,
  options: RunUpdateOptions,
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
  const tables = new TableCache(options.db);
  let state: UpdateState = 'CREATED';
  const results = new Map<string, FlowResult>();
  /** Datasets refused at validate and their readers: reported, never run (see `reportRefused`). */
  const refused = new Map<string, FlowResult>();
  const warnings = new Map<string, SluiceError[]>();
  let fatal: SluiceError | undefined;
  const setState = async (s: UpdateState, error?: SluiceError) => {
    state = s;
    await emit({ kind: 'update_state', updateId, state: s, ...(error ? { error } : {}) });
  };
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
      db: options.db,
      sql: options.sql,
      tables,
      expectations: new ExpectationCache(options.sql),
      parquetSchemas: new ParquetSchemas(),
      xmlChecked: new XmlCheckedFiles(),
      emit,
      warn: async (f, warning) => {
        const given = warnings.get(f.flow.name) ?? [];
        // Once per update: a continuous update's rounds see the same changed file or link again.
        if (given.some((w) => w.code === warning.code && w.message === warning.message)) return;
        warnings.set(f.flow.name, [...given, warning]);
        await emit({ kind: 'flow_warning', updateId, flow: f.flow.name, dataset: f.target.name, warning });
      },
    };
    await setState('SETTING_UP_TABLES');
    const forced = await resetTables(tables, pipeline.storage, plan, selection, selected);
    await setState('RUNNING');
    for (const r of await reportRefused(ctx, pipeline.refused ?? [], flowsOf(pipeline)))
      refused.set(r.flow, r);
    const maintenance = new AutoMaintenance(ctx);
    await runRounds(ctx, selected, forced, results, options, maintenance);
    // Table maintenance (compaction, log clean-up, vacuum): failures are warnings, never fatal.
    await maintenance.afterUpdate();
    if (options.signal?.aborted) await setState('STOPPING');
    const failed = [...results.values(), ...refused.values()].some((r) => r.state === 'FAILED');
    // A stop request (SIGINT/SIGTERM) ends the update CANCELED once the running batches finished.
    await setState(failed ? 'FAILED' : options.signal?.aborted ? 'CANCELED' : 'COMPLETED');
  } catch (e) {
    fatal = toSluiceError(e);
    await setState('FAILED', fatal);
  } finally {
    await tables.settleCheckpoints();
    await lock.release();
  }
  return {
    updateId,
    pipeline: pipeline.name,
    state,
    startedAt,
    endedAt: new Date().toISOString(),
    flows: [...refused.values(), ...results.values()].map((r) =>
      warnings.has(r.flow) ? { ...r, warnings: warnings.get(r.flow)! } : r,
    ),
    ...(fatal ? { error: fatal } : {}),
  };
}

/** One round, or — continuous — rounds until stopped or a flow fails, a trigger interval apart. */
async function runRounds(
  ctx: UpdateContext,
  selected: ReadonlySet<string>,
  forced: Set<string>,
  results: Map<string, FlowResult>,
  options: RunUpdateOptions,
  maintenance: AutoMaintenance,
): Promise<void> {
  const interval =
    options.triggerIntervalMs ?? parseInterval(ctx.configuration['pipelines.trigger.interval']) ?? 5000;
  for (let round = 0; ; round++) {
    await runRound(ctx, selected, forced, results, options.concurrency ?? 2, round > 0);
    if (!options.continuous || options.signal?.aborted) return;
    if ([...results.values()].some((r) => r.state === 'FAILED')) return;
    await maintenance.betweenRounds();
    await sleep(interval, undefined, { signal: options.signal }).catch(() => {});
    if (options.signal?.aborted) return;
  }
}

function parseInterval(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|seconds?|m|minutes?)?\s*$/i.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  return unit.startsWith('ms') || unit.startsWith('milli') ? n : unit.startsWith('m') ? n * 60_000 : n * 1000;
}

async function runRound(
  ctx: UpdateContext,
  selected: ReadonlySet<string>,
  forced: Set<string>,
  results: Map<string, FlowResult>,
  concurrency: number,
  repeat: boolean,
): Promise<void> {
  const runnable = ctx.plan.flows.filter((f) => selected.has(f.target.name));
  for (const f of ctx.plan.flows) {
    if (!selected.has(f.target.name) && !repeat) {
      const r = emptyResult(f, 'EXCLUDED', 0);
      results.set(f.flow.name, r);
      await emitFlowState(ctx, f, 'EXCLUDED', { result: r });
    }
  }
  for (const f of runnable) await emitFlowState(ctx, f, 'QUEUED');
  await runScheduled(
    runnable,
    concurrency,
    async (f) => {
      const previous = results.get(f.flow.name);
      const r = await runFlow(ctx, f, forced.has(f.target.name));
      forced.delete(f.target.name);
      results.set(f.flow.name, previous && repeat ? mergeResults(previous, r) : r);
      return r.state;
    },
    async (f, because) => {
      const r: FlowResult = { ...emptyResult(f, 'SKIPPED', 0), skippedBecause: because };
      results.set(f.flow.name, r);
      await emitFlowState(ctx, f, 'SKIPPED', { result: r });
    },
  );
}

/** The names of the flows into each dataset, as defined. */
function flowsOf(pipeline: ResolvedPipeline): (dataset: string) => readonly string[] {
  return (dataset) => pipeline.flows.filter((f) => f.target === dataset).map((f) => f.name);
}
