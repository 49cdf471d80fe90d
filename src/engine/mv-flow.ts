import { createHash } from 'node:crypto';
import type { BoundQuery, FlowPlan } from '../graph/index.ts';
import type { DuckDBConnection } from '../util/duckdb.ts';
import { bindQuery } from './bind.ts';
import type { UpdateContext } from './context.ts';
import { openFlowCheckpoint } from './flow-checkpoint.ts';
import { leafSql } from './leaf-sql.ts';
import { type GroupRefresh, planGroupRefresh } from './mv-incremental.ts';
import type { BatchOffset, SourceOffset } from './offsets.ts';
import { tablePath } from './plan.ts';
import { discoverFiles, inferFileSchema } from './sources/files.ts';
import * as store from './store.ts';
import type { BatchOutcome } from './table-writer.ts';
import { type ViewQuality, viewExpectationBinder, writeBatch } from './table-writer.ts';
import type { PlanningInformation } from './types.ts';

export interface MaterializedViewOutcome {
  readonly planning: PlanningInformation;
  readonly outcome?: BatchOutcome;
}

/**
 * Brings a materialized view up to date. Its "offset" is the version of every input read
 * (or, for files, the listing): equal to the last committed refresh → NO_OP; otherwise the
 * versions are written ahead and the view's new contents — recomputed by groups when only the
 * groups touched by appended input rows can have changed (GROUP_AGGREGATE, see
 * `planGroupRefresh`), else completely against exactly those versions — replace the table's
 * contents in one commit (txn = refresh number). A crash mid-refresh is replayed on the next
 * update as a complete recompute of the recorded versions, which yields the same rows.
 */
export async function runMaterializedViewFlow(
  ctx: UpdateContext,
  pf: FlowPlan,
  conn: DuckDBConnection,
  forceRecompute: boolean,
): Promise<MaterializedViewOutcome> {
  const cp = await openFlowCheckpoint(ctx.storage, pf);
  const latest = await cp.log.latest();
  let offset: BatchOffset;
  let planning: PlanningInformation;
  let byGroups: GroupRefresh | undefined;
  if (latest && latest.batchId > cp.committed) {
    offset = latest;
    planning = { technique: 'COMPLETE_RECOMPUTE', reason: 'replaying a refresh that did not commit' };
  } else {
    const sources = await snapshotSources(ctx, pf, conn);
    const missing = Object.values(sources).find((s) => s.kind === 'table-snapshot' && s.version === null);
    if (missing && missing.kind === 'table-snapshot') {
      return { planning: { technique: 'NO_OP', reason: `input '${missing.dataset}' has no data yet` } };
    }
    const tableExists = (await store.tableVersion(cp.tablePath)) !== undefined;
    const previous = cp.committed >= 0 ? await cp.log.read(cp.committed).catch(() => undefined) : undefined;
    const signature = definitionSignature(pf);
    const changes = previous ? describeChanges(previous.sources, sources) : ['first refresh'];
    const sameDefinition = previous !== undefined && previous.signature === signature;
    if (previous && !sameDefinition) changes.push('the definition changed');
    if (!forceRecompute && tableExists && changes.length === 0) {
      return { planning: { technique: 'NO_OP', reason: 'no input changed since the last refresh' } };
    }
    offset = { batchId: cp.committed + 1, plannedAt: new Date().toISOString(), sources, signature };
    await cp.log.write(offset);
    const plan =
      !forceRecompute && tableExists && previous && sameDefinition
        ? await planGroupRefresh(ctx, pf, conn, cp, previous.sources, sources)
        : undefined;
    if (plan?.kind === 'groups') {
      byGroups = plan;
      planning = { technique: 'GROUP_AGGREGATE', reason: plan.reason };
    } else {
      planning = {
        technique: 'COMPLETE_RECOMPUTE',
        reason: forceRecompute
          ? 'full refresh requested'
          : !tableExists
            ? 'table does not exist'
            : [...changes, ...(plan ? [plan.reason] : [])].join('; '),
      };
    }
  }
  if (byGroups) {
    try {
      const outcome = await writeBatch(ctx, pf, conn, cp, byGroups.sql, {
        batchId: offset.batchId,
        mode: 'overwrite',
        source: 'group aggregate refresh',
        sourceFiles: 0,
      });
      return { planning, outcome };
    } finally {
      await byGroups.release();
    }
  }
  const views: ViewQuality[] = [];
  const sql = await bindQuery(
    pf.bound,
    (leaf) => leafSql(ctx, leaf, offset.sources[leaf.key], { skipChangeCommits: false }),
    viewExpectationBinder(pf, conn, cp, { batchId: offset.batchId, source: 'complete recompute' }, views),
  );
  const sourceFiles = Object.values(offset.sources).reduce(
    (n, s) => n + (s.kind === 'files-snapshot' || s.kind === 'files' ? s.files.length : 0),
    0,
  );
  const outcome = await writeBatch(ctx, pf, conn, cp, sql, {
    batchId: offset.batchId,
    mode: 'overwrite',
    source: 'complete recompute',
    sourceFiles,
    views,
  });
  return { planning, outcome };
}

async function snapshotSources(
  ctx: UpdateContext,
  pf: FlowPlan,
  conn: DuckDBConnection,
): Promise<Record<string, SourceOffset>> {
  const sources: Record<string, SourceOffset> = {};
  for (const leaf of pf.leaves) {
    const input = leaf.input;
    if (input.kind === 'files') {
      const files = (await discoverFiles(input.path, { root: ctx.root })).map((f) => ({
        path: f.path,
        size: f.size,
        mtimeMs: f.mtimeMs,
      }));
      const schema =
        files.length > 0
          ? await inferFileSchema(
              conn,
              files.map((f) => f.path),
              input.format,
              input.options,
            )
          : { columns: [] };
      sources[leaf.key] = { kind: 'files-snapshot', files, schema };
    } else {
      const d = leaf.dataset!;
      const version = await store.tableVersion(tablePath(ctx.storage, d));
      sources[leaf.key] = { kind: 'table-snapshot', dataset: d.name, version: version ?? null };
    }
  }
  return sources;
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
function definitionSignature(pf: FlowPlan): string {
  const texts: string[] = [];
  const walk = (b: BoundQuery) => {
    texts.push(b.query.sql);
    for (const c of b.children) if (c.kind === 'view') walk(c.bound);
  };
  walk(pf.bound);
  const exps = pf.target.expectations.map((e) => [e.name, e.expression, e.action]);
  return createHash('sha256').update(JSON.stringify({ texts, exps })).digest('hex').slice(0, 16);
}
