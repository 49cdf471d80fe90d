import type { BoundQuery, FlowPlan } from '../../graph/index.ts';
import type { DuckDBConnection } from '../../util/index.ts';
import type { FlowCheckpoint } from '../checkpoints/flow-checkpoint.ts';
import type { BatchOffset } from '../checkpoints/offsets.ts';
import { bindQuery } from '../sources/bind-query.ts';
import { skippedFileWarning } from '../sources/files.ts';
import { explainLeafReadError, leafSql } from '../sources/leaf-sql.ts';
import type { UpdateContext } from '../update/update-context.ts';
import type { BatchOutcome } from '../writing/batch-outcome.ts';
import { type ColumnsCache, writeBatch } from '../writing/batch-writer.ts';
import { type ViewQuality, viewExpectationBinder } from '../writing/quarantine.ts';
import { describeSources, skipsChangeCommits } from './batch-planning.ts';

/** Queries whose output columns can depend on the rows read, not only on the input columns. */
const DATA_DEPENDENT_COLUMNS = /\b(pivot|unpivot)\b/i;

function queryTexts(b: BoundQuery): string[] {
  return [b.query.sql, ...b.children.flatMap((c) => (c.kind === 'view' ? queryTexts(c.bound) : []))];
}

/**
 * A cache of the flow's output columns per input shape, when they cannot depend on the data
 * (see {@link ColumnsCache}); undefined for queries with PIVOT/UNPIVOT.
 */
export function columnsCacheFor(f: FlowPlan): ColumnsCache | undefined {
  return queryTexts(f.bound).some((q) => DATA_DEPENDENT_COLUMNS.test(q)) ? undefined : new Map();
}

/**
 * Runs one planned batch exactly as its offset records it: binds the query over the recorded
 * sources, checks expectations and appends the rows in one commit under the flow's txn.
 */
export async function executeMicroBatch(
  ctx: UpdateContext,
  f: FlowPlan,
  conn: DuckDBConnection,
  checkpoint: FlowCheckpoint,
  offset: BatchOffset,
  columns: ColumnsCache | undefined,
): Promise<BatchOutcome> {
  const skipChangeCommits = skipsChangeCommits(f);
  const files = Object.values(offset.sources).flatMap((s) => {
    if (s.kind !== 'files') return [];
    const skipped = new Set((s.skipped ?? []).map((k) => k.path));
    return s.files.filter((file) => !skipped.has(file.path));
  });
  const source = describeSources(offset);
  const views: ViewQuality[] = [];
  const shapes: string[] = [];
  const inputs: string[] = [];
  try {
    const sql = await bindQuery(
      f.bound,
      async (leaf) => {
        const read = await leafSql(ctx, leaf, offset.sources[leaf.key], {
          skipChangeCommits,
          onShape: (s) => shapes.push(`${leaf.key}=${s}`),
          onSkipped: (path, error) => ctx.warn(f, skippedFileWarning(path, error, ctx.root)),
        });
        inputs.push(read);
        return read;
      },
      viewExpectationBinder(ctx, f, conn, checkpoint, { batchId: offset.batchId, source }, views),
      { sql: ctx.sql, conn },
    );
    return await writeBatch(ctx, f, conn, checkpoint, sql, {
      batchId: offset.batchId,
      mode: 'append',
      source,
      sourceFiles: files.length,
      views,
      inputs,
      ...(columns ? { columns: { cache: columns, shape: shapes.join('\n') } } : {}),
    });
  } catch (e) {
    throw await explainLeafReadError(ctx, f.leaves, offset.sources, e);
  }
}
