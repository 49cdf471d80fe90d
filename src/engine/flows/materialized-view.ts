import { createHash } from 'node:crypto';
import type { BoundQuery, FlowPlan } from '../../graph/index.ts';
import { crashPoint, type DuckDBConnection } from '../../util/index.ts';
import { type FlowCheckpoint, openFlowCheckpoint } from '../checkpoints/flow-checkpoint.ts';
import type { BatchOffset, SourceOffset } from '../checkpoints/offsets.ts';
import type { PlanningInformation } from '../engine-events.ts';
import { bindQuery } from '../sources/bind-query.ts';
import { skippedFileWarning } from '../sources/files.ts';
import { explainLeafReadError, leafSql } from '../sources/leaf-sql.ts';
import type { UpdateContext } from '../update/update-context.ts';
import { type BatchOutcome, zeroOutcome } from '../writing/batch-outcome.ts';
import { writeBatch } from '../writing/batch-writer.ts';
import { type ViewQuality, viewExpectationBinder } from '../writing/quarantine.ts';
import { snapshotSources } from './batch-planning.ts';
import type { FlowExecution, FlowExecutor, FlowRun } from './flow-execution.ts';
import { type GroupRefresh, planGroupRefresh } from './group-refresh.ts';

interface MaterializedViewOutcome {
  readonly planning: PlanningInformation;
  readonly outcome?: BatchOutcome;
}

/**
 * A materialized view's flow. Its "offset" is the version of every input read (or, for files,
 * the listing): equal to the last committed refresh → NO_OP; otherwise the versions are written
 * ahead and the view's new contents — recomputed by groups when only the groups touched by
 * appended input rows can have changed (GROUP_AGGREGATE, see `planGroupRefresh`), else
 * completely against exactly those versions — replace the table's contents in one commit
 * (txn = refresh number). After a crash mid-refresh, the next update plans a new refresh from
 * the inputs as they are then (see `planRefresh`).
 */
export class MaterializedViewExecutor implements FlowExecutor {
  async execute({ ctx, flow, conn, forceRecompute }: FlowRun): Promise<FlowExecution> {
    const r = await refreshView(ctx, flow, conn, forceRecompute);
    return r.outcome
      ? { state: 'COMPLETED', totals: r.outcome, batches: 1, planning: r.planning }
      : { state: 'IDLE', totals: zeroOutcome(), batches: 0, planning: r.planning };
  }
}

/** How a refresh will bring the view up to date, its offset already written ahead. */
interface PlannedRefresh {
  readonly offset: BatchOffset;
  readonly planning: PlanningInformation;
  readonly byGroups?: GroupRefresh;
}

/**
 * Plans the view's next refresh, or says why none is needed (NO_OP). A refresh planned but not
 * committed (the process died) is not replayed: a refresh replaces the whole view, so planning
 * afresh from the inputs as they are now is as safe and leaves the view current. It takes the
 * next number, so whatever the interrupted refresh committed to a quarantine table under its own
 * number is never taken for this one's.
 */
async function planRefresh(
  ctx: UpdateContext,
  flow: FlowPlan,
  conn: DuckDBConnection,
  checkpoint: FlowCheckpoint,
  forceRecompute: boolean,
): Promise<PlannedRefresh | PlanningInformation> {
  const latest = await checkpoint.log.latest();
  const interrupted = latest !== undefined && latest.batchId > checkpoint.committed;
  const sources = await snapshotSources(ctx, flow, conn);
  const missing = Object.values(sources).find((s) => s.kind === 'table-snapshot' && s.version === null);
  if (missing && missing.kind === 'table-snapshot') {
    return { technique: 'NO_OP', reason: `input '${missing.dataset}' has no data yet` };
  }
  const tableExists = (await ctx.tables.version(checkpoint.tablePath)) !== undefined;
  const previous =
    checkpoint.committed >= 0
      ? await checkpoint.log.read(checkpoint.committed).catch(() => undefined)
      : undefined;
  const signature = definitionSignature(flow);
  const changes = previous ? describeChanges(previous.sources, sources) : ['first refresh'];
  const sameDefinition = previous !== undefined && previous.signature === signature;
  if (previous && !sameDefinition) changes.push('the definition changed');
  if (interrupted) changes.unshift(`refresh ${latest.batchId} did not commit`);
  if (!forceRecompute && tableExists && changes.length === 0) {
    return { technique: 'NO_OP', reason: 'no input changed since the last refresh' };
  }
  const batchId = Math.max(checkpoint.committed, latest?.batchId ?? -1) + 1;
  const offset: BatchOffset = { batchId, plannedAt: new Date().toISOString(), sources, signature };
  await checkpoint.log.write(offset);
  crashPoint('offset-written', flow.flow.name);
  const groups =
    !forceRecompute && tableExists && previous && sameDefinition
      ? await planGroupRefresh(ctx, flow, conn, checkpoint, previous.sources, sources)
      : undefined;
  if (groups?.kind === 'groups') {
    return { offset, planning: { technique: 'GROUP_AGGREGATE', reason: groups.reason }, byGroups: groups };
  }
  const reason = forceRecompute
    ? 'full refresh requested'
    : !tableExists
      ? 'table does not exist'
      : [...changes, ...(groups ? [groups.reason] : [])].join('; ');
  return { offset, planning: { technique: 'COMPLETE_RECOMPUTE', reason } };
}

async function refreshView(
  ctx: UpdateContext,
  flow: FlowPlan,
  conn: DuckDBConnection,
  forceRecompute: boolean,
): Promise<MaterializedViewOutcome> {
  const checkpoint = await openFlowCheckpoint(ctx, flow);
  const plan = await planRefresh(ctx, flow, conn, checkpoint, forceRecompute);
  if (!('offset' in plan)) return { planning: plan };
  const { offset, planning, byGroups } = plan;
  if (byGroups) {
    try {
      const outcome = await writeBatch(ctx, flow, conn, checkpoint, byGroups.sql, {
        batchId: offset.batchId,
        mode: 'overwrite',
        source: 'group aggregate refresh',
        sourceFiles: 0,
      });
      await checkpoint.log.pruneBefore(offset.batchId);
      return { planning, outcome };
    } finally {
      await byGroups.release();
    }
  }
  const views: ViewQuality[] = [];
  const sourceFiles = Object.values(offset.sources).reduce(
    (n, s) =>
      n + (s.kind === 'files-snapshot' || s.kind === 'files' ? s.files.length - (s.skipped?.length ?? 0) : 0),
    0,
  );
  const inputs: string[] = [];
  try {
    const sql = await bindQuery(
      flow.bound,
      async (leaf) => {
        const read = await leafSql(ctx, leaf, offset.sources[leaf.key], {
          skipChangeCommits: false,
          onSkipped: (path, error) => ctx.warn(flow, skippedFileWarning(path, error, ctx.root)),
        });
        inputs.push(read);
        return read;
      },
      viewExpectationBinder(
        ctx,
        flow,
        conn,
        checkpoint,
        { batchId: offset.batchId, source: 'complete recompute' },
        views,
      ),
      { sql: ctx.sql, conn },
    );
    const outcome = await writeBatch(ctx, flow, conn, checkpoint, sql, {
      batchId: offset.batchId,
      mode: 'overwrite',
      source: 'complete recompute',
      sourceFiles,
      views,
      inputs,
    });
    // A refresh is planned from the inputs' current versions and its own last offset only.
    await checkpoint.log.pruneBefore(offset.batchId);
    return { planning, outcome };
  } catch (e) {
    throw await explainLeafReadError(ctx, flow.leaves, offset.sources, e);
  }
}

function describeChanges(
  before: Readonly<Record<string, SourceOffset>>,
  after: Readonly<Record<string, SourceOffset>>,
): string[] {
  const changes: string[] = [];
  for (const [key, a] of Object.entries(after)) {
    const b = before[key];
    if (a.kind === 'table-snapshot') {
      const was = b?.kind === 'table-snapshot' ? b.version : undefined;
      if (was !== a.version)
        changes.push(`input '${a.dataset}' changed (version ${was ?? 'none'} → ${a.version})`);
    } else if (a.kind === 'files-snapshot') {
      const sig = (s: SourceOffset | undefined) =>
        s && (s.kind === 'files-snapshot' || s.kind === 'files')
          ? s.files.map((f) => `${f.path}:${f.size}:${f.mtimeMs}`).join('|')
          : '';
      if (sig(b) !== sig(a)) changes.push(`input files changed (${a.files.length} files)`);
    } else if (!b) {
      changes.push(`new input ${key}`);
    }
  }
  if (Object.keys(before).length !== Object.keys(after).length) changes.push('query inputs changed');
  return changes;
}

/** A digest of everything that defines the view's contents: query texts and expectations. */
function definitionSignature(flow: FlowPlan): string {
  const texts: string[] = [];
  const walk = (b: BoundQuery) => {
    texts.push(b.query.sql);
    for (const c of b.children) if (c.kind === 'view') walk(c.bound);
  };
  walk(flow.bound);
  const exps = flow.target.expectations.map((e) => [e.name, e.expression, e.action]);
  return createHash('sha256').update(JSON.stringify({ texts, exps })).digest('hex').slice(0, 16);
}
