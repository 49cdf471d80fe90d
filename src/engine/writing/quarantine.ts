import type { FlowPlan } from '../../graph/index.ts';
import type { CompiledQuery, Dataset } from '../../model/index.ts';
import { tableFolder } from '../../storage/index.ts';
import type { DuckDBConnection } from '../../util/index.ts';
import type { FlowCheckpoint } from '../checkpoints/flow-checkpoint.ts';
import type { ExpectationMetrics } from '../engine-events.ts';
import type { UpdateContext } from '../update/update-context.ts';
import { commitRows } from './commit-rows.ts';
import { evaluateExpectations, keptRowsSql, quarantinedRowsSql } from './expectations.ts';

/** The automatically managed quarantine table of a dataset. */
export function quarantineDataset(d: Dataset): Dataset {
  return {
    kind: 'streaming_table',
    name: `${d.name}_quarantine`,
    ...(d.schema !== undefined ? { schema: d.schema } : {}),
    comment: `Rows of ${d.name} that failed an ON VIOLATION QUARANTINE expectation`,
    properties: { 'sluice.quarantineOf': d.name },
    partitionBy: [],
    clusterBy: [],
    expectations: [],
    private: false,
    language: d.language,
  };
}

/** Where a dataset's quarantine table lives: next to it, as `<name>_quarantine`. */
export function quarantineTablePath(storage: string, d: Dataset): string {
  return tableFolder(storage, quarantineDataset(d));
}

/** Expectation results of the views a batch read (evaluated where the view is read). */
export interface ViewQuality {
  readonly view: string;
  /** The temp table holding the view's evaluated rows for this batch. */
  readonly table: string;
  readonly droppedRows: number;
  readonly quarantinedRows: number;
  readonly metrics: readonly ExpectationMetrics[];
}

/**
 * A `viewSql` hook for `bindQuery`: evaluates a view's expectations on the rows the batch reads
 * through it (one pass, materialized on the flow's connection), writes its quarantined rows to
 * `<view>_quarantine` under the flow's txn (skipped when already committed), and binds the view
 * to the rows it keeps. Metrics are reported under the view's name.
 */
export function viewExpectationBinder(
  ctx: UpdateContext,
  flow: FlowPlan,
  conn: DuckDBConnection,
  checkpoint: FlowCheckpoint,
  batch: { readonly batchId: number; readonly source: string },
  collected: ViewQuality[],
): (view: Dataset, key: string, sql: string, query: CompiledQuery) => Promise<string> {
  return async (view, key, sql, query) => {
    const exps = await ctx.expectations.of(view, undefined, query.legacy);
    if (exps.length === 0) return sql;
    const table = `__sluice_view_${key.replaceAll('/', '_')}`;
    const ev = await evaluateExpectations(conn, sql, exps, table);
    if (exps.some((e) => e.expectation.action === 'quarantine')) {
      const qPath = quarantineTablePath(ctx.storage, view);
      if (((await ctx.tables.txnVersion(qPath, checkpoint.appId)) ?? -1) < batch.batchId) {
        await commitRows(
          ctx.tables,
          conn,
          qPath,
          quarantineDataset(view),
          quarantinedRowsSql(exps, batch.batchId, batch.source, table),
          {
            mode: 'append',
            appId: checkpoint.appId,
            batchId: batch.batchId,
            flow: flow.flow.name,
          },
        );
      }
    }
    collected.push({
      view: view.name,
      table,
      droppedRows: ev.droppedRows,
      quarantinedRows: ev.quarantinedRows,
      metrics: ev.metrics,
    });
    return keptRowsSql(exps, table);
  };
}
