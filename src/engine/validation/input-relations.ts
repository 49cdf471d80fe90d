/**
 * The inputs of a flow as validate can know them: for each leaf of its binding tree, an empty
 * relation with exactly the columns and types the run's read of it has (`leafSql` in
 * sources/leaf-sql.ts), or undefined when that is not known without running anything.
 *
 * What is known, and from where:
 * - a file source read as a batch (a materialized view's `read_files`): the schema the run infers
 *   from the same listing, with the same options, hints, declared schema, `_rescued_data` and
 *   `_metadata` columns — the run infers afresh for each batch read, so this is its schema;
 * - a file source read as a stream: by a flow that has not read yet, its first batch's schema;
 *   else the schema its offsets record, evolved with the files it has not read yet (read-only:
 *   nothing of the checkpoint is written);
 * - a Delta table (``delta.`path` `` or a pipeline table that exists): its schema, from its log;
 * - a pipeline dataset written in this update: what its own flows produce (see
 *   `query-binding.ts`).
 * Unknown: a source without files yet (or only empty ones), a file source whose inference fails
 * (the run reports that itself), a change data feed, `table_changes(…)`, inputs that failed.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FlowPlan, LeafInput } from '../../graph/index.ts';
import { changeFeedRead } from '../../model/index.ts';
import { checkpointFolder, snapshotFilesScanSql, tableFolder } from '../../storage/index.ts';
import type { DuckDBConnection } from '../../util/index.ts';
import { RESET_APP_ID } from '../checkpoints/flow-checkpoint.ts';
import { OffsetLog, type PersistedColumns, type PlannedFile } from '../checkpoints/offsets.ts';
import { mergeOffsets } from '../flows/batch-planning.ts';
import { emptyRelationSql } from '../sources/bind-query.ts';
import { deltaPathFolder, isDeltaPathInput } from '../sources/delta-path.ts';
import { METADATA_TYPE } from '../sources/file-metadata.ts';
import type { XmlCheckedFiles } from '../sources/file-xml.ts';
import {
  discoverFiles,
  evolveFileSchema,
  fileIdentity,
  inferFileSchema,
  inputFileOptions,
  type ParquetSchemas,
  planFileBatch,
} from '../sources/files.ts';
import type { TableCache } from '../tables/table-cache.ts';

/** A relation's columns (DuckDB types), in order. */
export type Columns = readonly { readonly name: string; readonly type: string }[];

/** What the input relations are read with: the pipeline's folders and a connection for inference. */
export interface InputScope {
  readonly root: string;
  readonly storage: string;
  readonly conn: DuckDBConnection;
  readonly tables: TableCache;
  readonly parquetSchemas: ParquetSchemas;
  readonly xmlChecked: XmlCheckedFiles;
  /** The columns of each pipeline dataset written before this flow (undefined: unknown). */
  readonly datasetColumns: (name: string) => Columns | undefined;
}

/**
 * An empty relation standing for `leaf` in `flow`'s binding, with the columns the run's read of
 * it has; undefined when they are not known (see the module comment). Never throws.
 */
export async function leafRelation(
  scope: InputScope,
  flow: FlowPlan,
  leaf: LeafInput,
): Promise<string | undefined> {
  try {
    const input = leaf.input;
    if (isDeltaPathInput(input)) {
      if (leaf.streaming && changeFeedRead(input)) return undefined;
      return await existingTable(scope, deltaPathFolder(scope.root, input.path));
    }
    if (input.kind === 'files') return await fileRelation(scope, flow, leaf);
    if (input.changes || (leaf.streaming && changeFeedRead(input))) return undefined;
    const columns = leaf.dataset ? scope.datasetColumns(leaf.dataset.name) : undefined;
    return columns && columns.length > 0 ? emptyRelationSql(columns) : undefined;
  } catch {
    return undefined;
  }
}

/** The empty relation of the Delta table at `path` as the run reads it; undefined when there is none. */
export async function existingTable(
  scope: Pick<InputScope, 'tables'>,
  path: string,
): Promise<string | undefined> {
  if ((await scope.tables.version(path)) === undefined) return undefined;
  // No files: the table's columns as its scans read them, with nothing read.
  return snapshotFilesScanSql(await scope.tables.snapshot(path), []);
}

async function fileRelation(scope: InputScope, flow: FlowPlan, leaf: LeafInput): Promise<string | undefined> {
  const input = leaf.input;
  if (input.kind !== 'files') return undefined;
  const opts = inputFileOptions(input);
  // Which files a corrupt-file skip leaves is known only by reading them.
  if (opts.ignoreCorruptFiles) return undefined;
  const listed = await discoverFiles(input.path, {
    root: scope.root,
    followSymlinks: opts.followSymlinks,
    onSkippedLink: () => {},
  });
  const now = Date.now();
  const ready = listed.filter((f) => opts.minFileAgeMs <= 0 || now - f.mtimeMs >= opts.minFileAgeMs);
  const hooks = { root: scope.root, parquetSchemas: scope.parquetSchemas, xmlChecked: scope.xmlChecked };
  const recorded = leaf.streaming ? await recordedSource(scope, flow, leaf.key) : undefined;
  let columns: Columns;
  if (recorded === 'unknown') return undefined;
  if (recorded) {
    // A stream that has read before goes on with its recorded schema, evolved with the files it
    // has not read yet (as its next batches evolve it).
    const seen = new Set(recorded.files.map(fileIdentity));
    const fresh = ready.filter((f) => !seen.has(fileIdentity(f))).map((f) => f.path);
    columns = (await evolveFileSchema(scope.conn, recorded.schema, fresh, input.format, opts, hooks)).columns;
  } else {
    // A batch read infers from its whole listing; a stream's first batch from the files it plans.
    const first = leaf.streaming
      ? planFileBatch(ready, new Set(), {
          maxFilesPerTrigger: opts.maxFilesPerTrigger,
          ...(opts.maxBytesPerTrigger !== undefined ? { maxBytesPerTrigger: opts.maxBytesPerTrigger } : {}),
        })
      : ready;
    if (first.length === 0) return undefined;
    const paths = first.map((f) => f.path);
    columns = (await inferFileSchema(scope.conn, paths, input.format, opts, hooks)).columns;
  }
  if (columns.length === 0) return undefined;
  const rescue = opts.rescuedDataColumn;
  return emptyRelationSql([
    ...columns,
    ...(rescue !== undefined ? [{ name: rescue, type: 'VARCHAR' }] : []),
    ...(input.metadata ? [{ name: '_metadata', type: METADATA_TYPE }] : []),
  ]);
}

/**
 * What a streaming flow's offsets record of its file input `key` (read only): the files it
 * planned and the latest schema; undefined when it has planned nothing (in its target's current
 * generation), 'unknown' when its record has no schema for the input.
 */
async function recordedSource(
  scope: InputScope,
  flow: FlowPlan,
  key: string,
): Promise<{ files: readonly PlannedFile[]; schema: PersistedColumns } | 'unknown' | undefined> {
  if (!existsSync(dirname(checkpointFolder(scope.storage, flow.flow.name, 0)))) return undefined;
  const table = tableFolder(scope.storage, flow.target);
  const generation =
    (await scope.tables.version(table)) === undefined
      ? 0
      : ((await scope.tables.txnVersion(table, RESET_APP_ID)) ?? 0);
  const offsets = await new OffsetLog(checkpointFolder(scope.storage, flow.flow.name, generation)).readAll();
  if (offsets.length === 0) return undefined;
  const source = mergeOffsets(offsets).sources[key];
  if (source?.kind !== 'files' || source.schema.columns.length === 0) return 'unknown';
  return { files: source.files, schema: source.schema };
}
