import { SluiceError } from '../errors/index.ts';
import type { LeafInput } from '../graph/index.ts';
import { emptyRelationSql } from './bind.ts';
import type { UpdateContext } from './context.ts';
import type { SourceOffset } from './offsets.ts';
import { tablePath } from './plan.ts';
import { fileBatchSql } from './sources/files.ts';
import * as store from './store.ts';

export interface LeafSqlOptions {
  readonly skipChangeCommits: boolean;
  /**
   * Receives the leaf's shape: a string that is equal for two batches exactly when their SQL
   * for this leaf has the same output columns and types (it names the schema, never the data).
   */
  readonly onShape?: (shape: string) => void;
}

/**
 * The SQL for one leaf input of one batch, exactly as its recorded offset says — never
 * re-planned — so a replayed batch reads the same data as the interrupted one.
 */
export async function leafSql(
  ctx: UpdateContext,
  leaf: LeafInput,
  source: SourceOffset | undefined,
  options: LeafSqlOptions,
): Promise<string> {
  const shape = options.onShape ?? (() => {});
  if (!source) {
    throw new SluiceError('INTERNAL', `no recorded offset for input ${leaf.key}`, {
      params: { key: leaf.key },
    });
  }
  switch (source.kind) {
    case 'files':
    case 'files-snapshot': {
      if (leaf.input.kind !== 'files') throw new SluiceError('INTERNAL', 'offset kind does not match input');
      shape(`files:${source.files.length > 0}:${leaf.input.format}:${JSON.stringify(source.schema.columns)}`);
      if (source.files.length === 0) {
        return emptyRelationSql([...source.schema.columns, { name: '_rescued_data', type: 'VARCHAR' }]);
      }
      const files = source.files.map((f) => f.path);
      const sql = await fileBatchSql(files, leaf.input.format, source.schema, leaf.input.options);
      return `SELECT * EXCLUDE (_source_file) FROM (${sql})`;
    }
    case 'table-stream': {
      const d = leaf.dataset!;
      const path = tablePath(ctx.storage, d);
      if (source.toVersion < 0) {
        shape('table:none');
        return emptyRelationSql([]);
      }
      const snapshot = await store.snapshot(path, source.toVersion);
      const tableShape = `${JSON.stringify(snapshot.partitionColumns)}:${snapshot.metadata.schemaString}`;
      // Like Spark's Delta source: a stream's first batch reads the table as of its start
      // version (whatever was deleted before is irrelevant); later batches read the commits after.
      if (source.fromVersion < 0) {
        shape(`table:${snapshot.files.length > 0}:${tableShape}`);
        return store.scanSnapshotSql(snapshot);
      }
      const adds = await store.addedFilesBetween(path, source.fromVersion, source.toVersion, {
        dataset: d.name,
        skipChangeCommits: options.skipChangeCommits,
      });
      shape(`table:${adds.length > 0}:${tableShape}`);
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
      const snapshot = await store.snapshot(tablePath(ctx.storage, d), source.version);
      shape(
        `table:${snapshot.files.length > 0}:${JSON.stringify(snapshot.partitionColumns)}:${snapshot.metadata.schemaString}`,
      );
      return store.scanSnapshotSql(snapshot);
    }
    default: {
      const never: never = source;
      return never;
    }
  }
}
