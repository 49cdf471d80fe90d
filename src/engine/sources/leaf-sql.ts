import { SluiceError } from '../../errors/index.ts';
import type { FlowPlan, LeafInput } from '../../graph/index.ts';
import { readOption } from '../../model/index.ts';
import {
  changesSql,
  snapshotChangesSql,
  snapshotFilesScanSql,
  snapshotScanSql,
  tableFolder,
} from '../../storage/index.ts';
import type { SourceOffset } from '../checkpoints/offsets.ts';
import type { UpdateContext } from '../update/update-context.ts';
import { emptyRelationSql } from './bind-query.ts';
import { deltaPathFolder, deltaPathName } from './delta-path.ts';
import { METADATA_TYPE, withFileMetadata } from './file-metadata.ts';
import { explainFileReadError, fileBatchSql, inputFileOptions } from './files.ts';

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
      const input = leaf.input;
      if (input.kind !== 'files') throw new SluiceError('INTERNAL', 'offset kind does not match input');
      const opts = inputFileOptions(input);
      const rescue = opts.rescuedDataColumn;
      const extra = [
        ...(rescue !== undefined ? [{ name: rescue, type: 'VARCHAR' }] : []),
        ...(input.metadata ? [{ name: '_metadata', type: METADATA_TYPE }] : []),
      ];
      shape(
        `files:${source.files.length > 0}:${input.format}:${JSON.stringify(source.schema.columns)}:${JSON.stringify(extra)}`,
      );
      if (source.files.length === 0) return emptyRelationSql([...source.schema.columns, ...extra]);
      const skipped = new Set((source.skipped ?? []).map((f) => f.path));
      const files = source.files.filter((f) => !skipped.has(f.path));
      const sql = await fileBatchSql(
        files.map((f) => f.path),
        input.format,
        source.schema,
        opts,
        ctx.db,
        {
          root: ctx.root,
          parquetSchemas: ctx.parquetSchemas,
          xmlChecked: ctx.xmlChecked,
          ...(options.onSkipped ? { onSkipped: options.onSkipped } : {}),
        },
      );
      if (input.metadata) return withFileMetadata(sql, files);
      return `SELECT * EXCLUDE (_source_file) FROM (${sql})`;
    }
    case 'table-stream': {
      const { path, name } = tableOf(ctx, leaf);
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
        dataset: name,
        skipChangeCommits:
          options.skipChangeCommits || /^true$/i.test(readOption(leaf.input, 'skipChangeCommits') ?? ''),
      });
      shape(`table:${adds.length > 0}:${tableShape}`);
      return snapshotFilesScanSql(snapshot, adds);
    }
    case 'table-changes': {
      const { path } = tableOf(ctx, leaf);
      if (source.toVersion < 0) {
        shape('table:none');
        return emptyRelationSql([]);
      }
      // A starting version after the latest one: nothing yet, in the table's latest shape.
      const at = Math.min(source.toVersion, (await ctx.tables.version(path)) ?? source.toVersion);
      const snapshot = await ctx.tables.snapshot(path, at);
      const tableShape = `${JSON.stringify(snapshot.partitionColumns)}:${snapshot.metadata.schemaString}`;
      if (source.snapshot) {
        shape(`changes:${snapshot.files.length > 0}:${tableShape}`);
        return snapshotChangesSql(snapshot);
      }
      if (source.toVersion <= source.fromVersion) {
        shape(`changes:false:${tableShape}`);
        return snapshotChangesSql(snapshot, { empty: true });
      }
      // The feed is read from the log itself (each version's change files or adds and removes).

      shape(`changes:true:${tableShape}`);
      return changesSql(path, source.fromVersion + 1, source.toVersion);
    }
    case 'table-snapshot': {
      const { path, name } = tableOf(ctx, leaf);
      if (source.version === null) {
        throw new SluiceError(
          'FLOW_EXECUTION_FAILED',
          `input '${name}' has no table yet (its flow has not produced data); run again once it has`,
          { dataset: name },
        );
      }
      const changes = leaf.input.kind === 'dataset' ? leaf.input.changes : undefined;
      if (changes) {
        // table_changes('t', start[, end]): the feed up to the version the read is pinned to.
        shape(`changes:${source.version}`);
        return changesSql(path, changes.startVersion, changes.endVersion ?? source.version);
      }
      const snapshot = await ctx.tables.snapshot(path, source.version);
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

/** The Delta table a table leaf reads: a pipeline dataset's, or the one at a ``delta.`path` ``. */
function tableOf(ctx: UpdateContext, leaf: LeafInput): { path: string; name: string } {
  if (leaf.input.kind === 'files')
    return { path: deltaPathFolder(ctx.root, leaf.input.path), name: deltaPathName(leaf.input.path) };
  const d = leaf.dataset!;
  return { path: tableFolder(ctx.storage, d), name: d.name };
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
      inputFileOptions(leaf.input),
      ctx.root,
    );
    if (explained !== error) return explained;
  }
  return error;
}
