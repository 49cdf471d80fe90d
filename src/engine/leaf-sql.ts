import { SluiceError } from '../errors/index.ts';
import { emptyRelationSql } from './bind.ts';
import type { UpdateContext } from './context.ts';
import type { SourceOffset } from './offsets.ts';
import { type LeafInput, tablePath } from './plan.ts';
import { fileBatchSql } from './sources/files.ts';
import * as store from './store.ts';

/**
 * The SQL for one leaf input of one batch, exactly as its recorded offset says — never
 * re-planned — so a replayed batch reads the same data as the interrupted one.
 */
export async function leafSql(
  ctx: UpdateContext,
  leaf: LeafInput,
  source: SourceOffset | undefined,
  options: { readonly skipChangeCommits: boolean },
): Promise<string> {
  if (!source) {
    throw new SluiceError('INTERNAL', `no recorded offset for input ${leaf.key}`, { params: { key: leaf.key } });
  }
  switch (source.kind) {
    case 'files':
    case 'files-snapshot': {
      if (leaf.input.kind !== 'files') throw new SluiceError('INTERNAL', 'offset kind does not match input');
      if (source.files.length === 0) {
        return emptyRelationSql([...source.schema.columns, { name: '_rescued_data', type: 'VARCHAR' }]);
      }
      const files = source.files.map((f) => f.path);
      const sql = await fileBatchSql(files, leaf.input.format, source.schema, leaf.input.options);
      return `SELECT * EXCLUDE (_source_file) FROM (${sql})`;
    }
    case 'table-stream': {
      const d = leaf.dataset!;
      const path = tablePath(ctx.plan.storage, d);
      if (source.toVersion < 0) return emptyRelationSql([]);
      const snapshot = await store.snapshot(path, source.toVersion);
      // Like Spark's Delta source: a stream's first batch reads the table as of its start
      // version (whatever was deleted before is irrelevant); later batches read the commits after.
      if (source.fromVersion < 0) return store.scanSnapshotSql(snapshot);
      const adds = await store.addedFilesBetween(path, source.fromVersion, source.toVersion, {
        dataset: d.name,
        skipChangeCommits: options.skipChangeCommits,
      });
      return adds.length === 0 ? store.emptyScanSql(snapshot) : store.scanFilesSql(snapshot, adds);
    }
    case 'table-snapshot': {
      const d = leaf.dataset!;
      if (source.version === null) {
        throw new SluiceError(
          'FLOW_EXECUTION_FAILED',
          `input '${d.name}' has no table yet (its flow has not produced data); run again once it has`,
          { dataset: d.name },
        );
      }
      return store.scanSnapshotSql(await store.snapshot(tablePath(ctx.plan.storage, d), source.version));
    }
    default: {
      const never: never = source;
      return never;
    }
  }
}
