import { SluiceError } from '../../errors/index.ts';
import type { FlowPlan, LeafInput } from '../../graph/index.ts';
import { snapshotFilesScanSql, snapshotScanSql, tableFolder } from '../../storage/index.ts';
import type { SourceOffset } from '../checkpoints/offsets.ts';
import type { UpdateContext } from '../update/update-context.ts';
import { emptyRelationSql } from './bind-query.ts';
import { explainFileReadError, fileBatchSql } from './files.ts';

export interface LeafSqlOptions {
  readonly skipChangeCommits: boolean;
  /**
   * Receives the leaf's shape: a string that is equal for two batches exactly when their SQL
   * for this leaf has the same output columns and types (it names the schema, never the data).
   */
  readonly onShape?: (shape: string) => void;
  /**
   * Receives each planned file not read because it no longer exists (`ignoreMissingFiles`), with
   * the error reading it gave.
   */
  readonly onSkipped?: (path: string, error: SluiceError) => Promise<void> | void;
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
      const skipped = new Set((source.skipped ?? []).map((f) => f.path));
      const files = source.files.map((f) => f.path).filter((p) => !skipped.has(p));
      const sql = await fileBatchSql(files, leaf.input.format, source.schema, leaf.input.options, ctx.db, {
        root: ctx.root,
        ...(options.onSkipped ? { onSkipped: options.onSkipped } : {}),
      });
      return `SELECT * EXCLUDE (_source_file) FROM (${sql})`;
    }
    case 'table-stream': {
      const d = leaf.dataset!;
      const path = tableFolder(ctx.storage, d);
      if (source.toVersion < 0) {
        shape('table:none');
        return emptyRelationSql([]);
      }
      const snapshot = await ctx.tables.snapshot(path, source.toVersion);
      const tableShape = `${JSON.stringify(snapshot.partitionColumns)}:${snapshot.metadata.schemaString}`;
      // Like Spark's Delta source: a stream's first batch reads the table as of its start
      // version (whatever was deleted before is irrelevant); later batches read the commits after.
      if (source.fromVersion < 0) {
        shape(`table:${snapshot.files.length > 0}:${tableShape}`);
        return snapshotScanSql(snapshot);
      }
      const adds = await ctx.tables.addedFilesBetween(path, source.fromVersion, source.toVersion, {
        dataset: d.name,
        skipChangeCommits: options.skipChangeCommits,
      });
      shape(`table:${adds.length > 0}:${tableShape}`);
      return snapshotFilesScanSql(snapshot, adds);
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
      const snapshot = await ctx.tables.snapshot(tableFolder(ctx.storage, d), source.version);
      shape(
        `table:${snapshot.files.length > 0}:${JSON.stringify(snapshot.partitionColumns)}:${snapshot.metadata.schemaString}`,
      );
      return snapshotScanSql(snapshot);
    }
    default: {
      const never: never = source;
      return never;
    }
  }
}

/**
 * An error raised while a batch read its files, as the coded error naming the file (and line) to
 * blame when DuckDB names one of the files the batch's offset lists (see `explainFileReadError`);
 * any other error unchanged.
 */
export async function explainLeafReadError(
  ctx: UpdateContext,
  leaves: FlowPlan['leaves'],
  sources: Readonly<Record<string, SourceOffset>>,
  error: unknown,
): Promise<unknown> {
  for (const leaf of leaves) {
    const source = sources[leaf.key];
    if (leaf.input.kind !== 'files' || (source?.kind !== 'files' && source?.kind !== 'files-snapshot'))
      continue;
    const files = source.files.map((f) => f.path);
    const explained = await explainFileReadError(
      ctx.db,
      error,
      files,
      leaf.input.format,
      leaf.input.options,
      ctx.root,
    );
    if (explained !== error) return explained;
  }
  return error;
}
