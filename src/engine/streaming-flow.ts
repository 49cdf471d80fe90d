import { SluiceError } from '../errors/index.ts';
import type { BoundQuery, FlowPlan } from '../graph/index.ts';
import type { DuckDBConnection } from '../util/duckdb.ts';
import { bindQuery } from './bind.ts';
import type { UpdateContext } from './context.ts';
import { type FlowCheckpoint, openFlowCheckpoint } from './flow-checkpoint.ts';
import { leafSql } from './leaf-sql.ts';
import type { BatchOffset, PersistedColumns, SourceOffset } from './offsets.ts';
import { tablePath } from './plan.ts';
import type { DiscoveredFile } from './sources/file-discovery.ts';
import {
  discoverFiles,
  evolveFileSchema,
  inferFileSchema,
  planFileBatch,
  toFileSourceError,
} from './sources/files.ts';
import * as store from './store.ts';
import {
  type BatchOutcome,
  type ColumnsCache,
  type ViewQuality,
  viewExpectationBinder,
  writeBatch,
} from './table-writer.ts';

export interface StreamingFlowOutcome {
  readonly batches: number;
  readonly totals: BatchOutcome;
  readonly stopped: boolean;
}

/**
 * Runs a streaming flow as micro-batches until its sources have nothing new.
 * Per batch: plan the source range → write it to the offset log → bind → transform → check
 * expectations → write Parquet → one Delta commit with the files and `txn {appId, batchId}`.
 * A batch planned but not committed (crash, FAIL UPDATE) is replayed first, as recorded.
 */
export async function runStreamingFlow(
  ctx: UpdateContext,
  pf: FlowPlan,
  conn: DuckDBConnection,
  onBatch: (batchId: number, outcome: BatchOutcome) => Promise<void>,
): Promise<StreamingFlowOutcome> {
  const cp = await openFlowCheckpoint(ctx.storage, pf);
  let committed = cp.committed;
  const history = await cp.log.readAll(committed);
  const processed = new Map<string, Set<string>>();
  const lastByKey = new Map<string, SourceOffset>();
  const remember = (o: BatchOffset) => {
    for (const [key, s] of Object.entries(o.sources)) {
      if (s.kind === 'files') {
        let set = processed.get(key);
        if (!set) {
          set = new Set();
          processed.set(key, set);
        }
        for (const f of s.files) set.add(f.path);
      }
      lastByKey.set(key, s);
    }
  };
  history.forEach(remember);

  let pending = await cp.log.latest();
  if (pending && pending.batchId <= committed) pending = undefined;
  if (pending && pending.batchId !== committed + 1) {
    throw new SluiceError(
      'FLOW_EXECUTION_FAILED',
      `flow '${pf.flow.name}' checkpoint is ahead of its table (batch ${pending.batchId} planned, ${committed} committed); run with --full-refresh ${pf.target.name}`,
      { dataset: pf.target.name, params: { planned: pending.batchId, committed } },
    );
  }

  let batches = 0;
  let totals = zeroOutcome();
  const run: FlowRunState = {
    listings: new Map(),
    columns: new Map(),
    cacheColumns: !queryTexts(pf.bound).some((q) => DATA_DEPENDENT_COLUMNS.test(q)),
  };
  for (;;) {
    if (ctx.signal?.aborted) return { batches, totals, stopped: true };
    const replay = pending !== undefined;
    const offset = pending ?? (await planBatch(ctx, pf, conn, committed + 1, processed, lastByKey, run));
    pending = undefined;
    if (!offset) break;
    if (!replay) await cp.log.write(offset);
    const outcome = await executeBatch(ctx, pf, conn, cp, offset, run);
    committed = offset.batchId;
    remember(offset);
    batches++;
    totals = addOutcome(totals, outcome);
    await onBatch(offset.batchId, outcome);
  }
  return { batches, totals, stopped: false };
}

/**
 * What one run of a flow keeps between its batches — only caches of things that are re-derived
 * when missing; nothing here is needed to resume after a crash.
 */
interface FlowRunState {
  /**
   * Per streaming file input: the files listed but not yet planned, in arrival order. Batches
   * are planned from this listing; the source path is listed again only once it is used up, so
   * listing costs O(files) per listing instead of per batch.
   */
  readonly listings: Map<string, DiscoveredFile[]>;
  readonly columns: ColumnsCache;
  /** False when a query's output columns may depend on the data (PIVOT without a value list). */
  readonly cacheColumns: boolean;
}

/** Queries whose output columns can depend on the rows read, not only on the input columns. */
const DATA_DEPENDENT_COLUMNS = /\b(pivot|unpivot)\b/i;

function queryTexts(b: BoundQuery): string[] {
  return [b.query.sql, ...b.children.flatMap((c) => (c.kind === 'view' ? queryTexts(c.bound) : []))];
}

function optionNumber(options: Readonly<Record<string, string>>, name: string): number | undefined {
  const entry = Object.entries(options).find(([k]) => k.toLowerCase() === name.toLowerCase());
  if (!entry) return undefined;
  const n = Number(entry[1]);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

async function planBatch(
  ctx: UpdateContext,
  pf: FlowPlan,
  conn: DuckDBConnection,
  batchId: number,
  processed: ReadonlyMap<string, ReadonlySet<string>>,
  lastByKey: ReadonlyMap<string, SourceOffset>,
  run: FlowRunState,
): Promise<BatchOffset | undefined> {
  const sources: Record<string, SourceOffset> = {};
  let anyNew = false;
  for (const leaf of pf.leaves) {
    const input = leaf.input;
    if (input.kind === 'files') {
      const prev = lastByKey.get(leaf.key);
      const prevSchema: PersistedColumns | undefined =
        prev && (prev.kind === 'files' || prev.kind === 'files-snapshot') && prev.schema.columns.length > 0
          ? prev.schema
          : undefined;
      let batch: readonly DiscoveredFile[];
      if (leaf.streaming) {
        const done = processed.get(leaf.key) ?? new Set<string>();
        const limits = {
          maxFilesPerTrigger: optionNumber(input.options, 'maxFilesPerTrigger'),
          maxBytesPerTrigger: optionNumber(input.options, 'maxBytesPerTrigger'),
        };
        // Plan from the cached listing while it still holds unprocessed files; list again when
        // it is used up (so a run ends only after a fresh listing found nothing new).
        let pendingFiles = (run.listings.get(leaf.key) ?? []).filter((f) => !done.has(f.path));
        if (pendingFiles.length === 0) {
          pendingFiles = planFileBatch(await discoverFiles(input.path, { root: ctx.root }), done, {
            maxFilesPerTrigger: Number.POSITIVE_INFINITY,
          });
        }
        batch = planFileBatch(pendingFiles, done, limits);
        run.listings.set(leaf.key, pendingFiles.slice(batch.length));
      } else {
        batch = await discoverFiles(input.path, { root: ctx.root });
      }
      let schema: PersistedColumns = prevSchema ?? { columns: [] };
      if (batch.length > 0) {
        const paths = batch.map((f) => f.path);
        schema = prevSchema
          ? await evolveFileSchema(conn, prevSchema, paths, input.format, input.options)
          : await inferFileSchema(conn, paths, input.format, input.options);
      }
      const files = batch.map((f) => ({ path: f.path, size: f.size, mtimeMs: f.mtimeMs }));
      if (leaf.streaming) {
        if (files.length > 0) anyNew = true;
        sources[leaf.key] = { kind: 'files', files, schema };
      } else {
        sources[leaf.key] = { kind: 'files-snapshot', files, schema };
      }
      continue;
    }
    const d = leaf.dataset!;
    const latest = await store.tableVersion(tablePath(ctx.storage, d));
    if (leaf.streaming) {
      const prev = lastByKey.get(leaf.key);
      const fromVersion = prev?.kind === 'table-stream' ? prev.toVersion : -1;
      const toVersion = latest ?? -1;
      if (toVersion > fromVersion) anyNew = true;
      sources[leaf.key] = {
        kind: 'table-stream',
        dataset: d.name,
        fromVersion,
        toVersion: Math.max(toVersion, fromVersion),
      };
    } else {
      sources[leaf.key] = { kind: 'table-snapshot', dataset: d.name, version: latest ?? null };
    }
  }
  if (!anyNew) return undefined;
  return { batchId, plannedAt: new Date().toISOString(), sources };
}

async function executeBatch(
  ctx: UpdateContext,
  pf: FlowPlan,
  conn: DuckDBConnection,
  cp: FlowCheckpoint,
  offset: BatchOffset,
  run: FlowRunState,
): Promise<BatchOutcome> {
  const skipChangeCommits = skipsChangeCommits(pf);
  const files = Object.values(offset.sources).flatMap((s) => (s.kind === 'files' ? s.files : []));
  const source = describeSources(offset);
  const views: ViewQuality[] = [];
  const shapes: string[] = [];
  try {
    const sql = await bindQuery(
      pf.bound,
      (leaf) =>
        leafSql(ctx, leaf, offset.sources[leaf.key], {
          skipChangeCommits,
          onShape: (s) => shapes.push(`${leaf.key}=${s}`),
        }),
      viewExpectationBinder(pf, conn, cp, { batchId: offset.batchId, source }, views),
    );
    return await writeBatch(ctx, pf, conn, cp, sql, {
      batchId: offset.batchId,
      mode: 'append',
      source,
      sourceFiles: files.length,
      views,
      ...(run.cacheColumns ? { columns: { cache: run.columns, shape: shapes.join('\n') } } : {}),
    });
  } catch (e) {
    throw toFileSourceError(e, files);
  }
}

/** A short description of where a batch's rows came from (for quarantine `_source`). */
function describeSources(offset: BatchOffset): string {
  const parts: string[] = [];
  for (const s of Object.values(offset.sources)) {
    switch (s.kind) {
      case 'files':
        if (s.files.length === 1) parts.push(s.files[0]!.path);
        else if (s.files.length > 1) parts.push(`${s.files.length} files: ${s.files[0]!.path} …`);
        break;
      case 'table-stream':
        if (s.toVersion > s.fromVersion) parts.push(`${s.dataset}@v${s.fromVersion + 1}-${s.toVersion}`);
        break;
      case 'table-snapshot':
      case 'files-snapshot':
        break;
      default: {
        const never: never = s;
        return never;
      }
    }
  }
  return parts.join('; ');
}

export function zeroOutcome(): BatchOutcome {
  return {
    inputRows: 0,
    outputRows: 0,
    outputBytes: 0,
    files: 0,
    droppedRows: 0,
    quarantinedRows: 0,
    expectations: [],
  };
}

export function addOutcome(a: BatchOutcome, b: BatchOutcome): BatchOutcome {
  const key = (e: { name: string; dataset: string }) => `${e.dataset}.${e.name}`;
  const byName = new Map(a.expectations.map((e) => [key(e), e]));
  for (const e of b.expectations) {
    const prev = byName.get(key(e));
    byName.set(
      key(e),
      prev
        ? {
            ...prev,
            passed_records: prev.passed_records + e.passed_records,
            failed_records: prev.failed_records + e.failed_records,
          }
        : e,
    );
  }
  return {
    inputRows: a.inputRows + b.inputRows,
    outputRows: a.outputRows + b.outputRows,
    outputBytes: a.outputBytes + b.outputBytes,
    files: a.files + b.files,
    droppedRows: a.droppedRows + b.droppedRows,
    quarantinedRows: a.quarantinedRows + b.quarantinedRows,
    expectations: [...byName.values()],
  };
}

/**
 * Whether a flow's streaming table reads ignore commits that delete or update rows (Spark's
 * `skipChangeCommits`): a flow option, or the target table's property `skipChangeCommits`
 * (also accepted as `pipelines.skipChangeCommits`).
 */
export function skipsChangeCommits(pf: FlowPlan): boolean {
  const pick = (m: Readonly<Record<string, string>>) =>
    Object.entries(m).find(([k]) =>
      ['skipchangecommits', 'pipelines.skipchangecommits'].includes(k.toLowerCase()),
    )?.[1];
  return /^true$/i.test(pick(pf.flow.options) ?? pick(pf.target.properties) ?? '');
}
