/**
 * Compaction (Delta's OPTIMIZE without Z-order): small files of a partition are rewritten into
 * fewer, larger ones, committed as `remove` + `add` actions with dataChange = false, so readers
 * of the table's changes (streaming reads, the change data feed) skip the commit, as the Delta
 * protocol says, and a concurrent append rebases over it.
 *
 * Policy (see {@link CompactionOptions}):
 * - a file is *small* when it is under half the target file size (`delta.targetFileSize`,
 *   default 128 MiB): a file that big is already cheap to read, rewriting it buys little;
 * - a partition is compacted when it holds at least `minFiles` small files (default 2, as a
 *   manual OPTIMIZE does; automatic maintenance asks for more — see the engine's policy);
 * - its small files are packed, in log order, into bins of at most the target size; a bin of
 *   one file is left alone. Each bin becomes one new file.
 *
 * Invariants: the new files are written (temp name, fsynced, published) before the one commit
 * that swaps them in, and their row count must equal the statistics of the files they replace,
 * else nothing is committed. A crash at any point leaves either the old files live or the new
 * ones — the same rows either way — plus at most unreferenced files that vacuum removes.
 * Removed files stay on disk for readers of older versions until vacuum's retention has passed.
 */

import { SluiceError, toSluiceError } from '../../errors/index.ts';
import { type Database, type DuckDBConnection, withConnection, withDatabase } from '../../util/index.ts';
import { remove } from '../object-store.ts';
import type { Action, AddAction, ProtocolAction } from './actions.ts';
import { commit } from './commit.ts';
import { writeParquetFiles } from './data-files.ts';
import { deletionVectorOf } from './deletion-vectors.ts';
import { dataFilePath, snapshotFilesScanSql } from './scan.ts';
import { loadSnapshot, type Snapshot } from './snapshot.ts';
import { numRecordsOf } from './stats.ts';
import { targetFileSizeProperty } from './table-properties.ts';

export interface CompactionOptions {
  /** The latest snapshot when the caller has it (else it is loaded). */
  readonly snapshot?: Snapshot;
  readonly db?: Database;
  /** Small files a partition needs before it is compacted (default 2). */
  readonly minFiles?: number;
  /** Output file size (default: `delta.targetFileSize`, else 128 MiB). */
  readonly targetFileBytes?: number;
  /** Plan only: say what would be rewritten, write nothing. */
  readonly dryRun?: boolean;
  /** No new bin is started after this time (ms since the epoch); what is written is committed. */
  readonly deadline?: number;
  /** Called after the new files are written, right before the commit (crash-point tests). */
  readonly beforeCommit?: () => void;
  /** Recorded in the commit's operationParameters (`auto`: true for automatic maintenance). */
  readonly auto?: boolean;
}

export interface CompactionResult {
  /** The version the compaction committed; undefined when nothing was (or, dry run, would be) rewritten. */
  readonly version?: number;
  /** Live files before. */
  readonly filesBefore: number;
  readonly filesRemoved: number;
  readonly filesAdded: number;
  readonly bytesRemoved: number;
  readonly bytesAdded: number;
}

/** Writer features whose tables a rewrite of rows keeps valid (anything else: left alone). */
const REWRITABLE_WRITER_FEATURES: ReadonlySet<string> = new Set([
  'appendOnly',
  'invariants',
  'timestampNtz',
  'changeDataFeed',
  'checkConstraints',
  'generatedColumns',
  'vacuumProtocolCheck',
  // Compaction reads files with their vectors applied and removes each with its vector; vacuum
  // keeps the vectors of live files.
  'deletionVectors',
]);

/**
 * Throws DELTA_UNSUPPORTED_FEATURE unless sluice may rewrite or delete the table's files: writer
 * versions up to 4, or table features (7) that only constrain values sluice copies unchanged.
 */
export function assertMaintainable(protocol: ProtocolAction, table: string): void {
  const v = protocol.minWriterVersion;
  const unknown =
    v === 7 ? (protocol.writerFeatures ?? []).filter((f) => !REWRITABLE_WRITER_FEATURES.has(f)) : [];
  if ((v > 4 && v !== 7) || unknown.length > 0) {
    const feature = unknown[0] ?? `writerVersion${v}`;
    throw new SluiceError(
      'DELTA_UNSUPPORTED_FEATURE',
      `Delta table at ${table} uses writer feature '${feature}'; sluice does not rewrite or clean up its files`,
      { params: { feature, table } },
    );
  }
}

/** The bins of files to rewrite (each ≥ 2 files), per the policy in the module comment. */
export function compactionBins(
  files: readonly AddAction[],
  opts: { readonly targetFileBytes: number; readonly minFiles: number },
): AddAction[][] {
  const byPartition = new Map<string, AddAction[]>();
  for (const f of files) {
    if (f.size >= opts.targetFileBytes / 2) continue;
    const key = JSON.stringify(Object.entries(f.partitionValues ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));
    const list = byPartition.get(key) ?? [];
    list.push(f);
    byPartition.set(key, list);
  }
  const bins: AddAction[][] = [];
  for (const small of byPartition.values()) {
    if (small.length < Math.max(2, opts.minFiles)) continue;
    let bin: AddAction[] = [];
    let bytes = 0;
    for (const f of small) {
      if (bin.length > 0 && bytes + f.size > opts.targetFileBytes) {
        bins.push(bin);
        bin = [];
        bytes = 0;
      }
      bin.push(f);
      bytes += f.size;
    }
    bins.push(bin);
  }
  return bins.filter((b) => b.length >= 2);
}

/**
 * Compacts the table's small files (see the module comment). Returns what was rewritten.
 * @throws SluiceError DELTA_CONCURRENT_MODIFICATION when a concurrent commit removed a file being
 *   compacted (nothing is committed; the new files are deleted again); DELTA_UNSUPPORTED_FEATURE
 *   for a table whose writer features sluice does not know; DELTA_CORRUPT_LOG when the files hold
 *   another number of rows than their statistics say; DELTA_INVALID_TABLE_PROPERTY.
 */
export async function compactTable(
  tablePath: string,
  opts: CompactionOptions = {},
): Promise<CompactionResult> {
  const snap = opts.snapshot ?? (await loadSnapshot(tablePath, opts.db ? { db: opts.db } : {}));
  const target = opts.targetFileBytes ?? targetFileSizeProperty(snap.metadata, tablePath);
  const bins = compactionBins(snap.files, { targetFileBytes: target, minFiles: opts.minFiles ?? 2 });
  const none = {
    filesBefore: snap.files.length,
    filesRemoved: 0,
    filesAdded: 0,
    bytesRemoved: 0,
    bytesAdded: 0,
  };
  if (bins.length === 0) return none;
  assertMaintainable(snap.protocol, tablePath);
  if (opts.dryRun) {
    return {
      ...none,
      filesRemoved: bins.reduce((n, b) => n + b.length, 0),
      filesAdded: bins.length,
      bytesRemoved: bins.reduce((n, b) => n + b.reduce((m, f) => m + f.size, 0), 0),
    };
  }
  return withDatabase(opts.db, (db) =>
    withConnection(db, (conn) => rewriteBins(conn, db, tablePath, snap, bins, opts)),
  );
}

async function rewriteBins(
  conn: DuckDBConnection,
  db: Database,
  tablePath: string,
  snap: Snapshot,
  bins: readonly AddAction[][],
  opts: CompactionOptions,
): Promise<CompactionResult> {
  const layout = { schema: snap.schema, partitionColumns: snap.partitionColumns };
  const columns = snap.schema.fields.map((f) => f.name);
  const replaced: AddAction[] = [];
  const added: AddAction[] = [];
  let committing = false;
  try {
    for (const bin of bins) {
      if (opts.deadline !== undefined && added.length > 0 && Date.now() > opts.deadline) break;
      const written = await writeParquetFiles(conn, tablePath, snapshotFilesScanSql(snap, bin), {
        ...layout,
        columns,
      });
      added.push(
        ...written.map((w) => ({
          path: w.path,
          partitionValues: w.partitionValues,
          size: w.size,
          modificationTime: w.modificationTime,
          dataChange: false,
          stats: w.stats,
        })),
      );
      replaced.push(...bin);
      // A file's statistics count the rows its deletion vector hides too.
      const live = (f: AddAction) => numRecordsOf(f) - Number(deletionVectorOf(f)?.cardinality ?? 0);
      const before = bin.every((f) => f.stats) ? bin.reduce((n, f) => n + live(f), 0) : undefined;
      const after = written.reduce((n, w) => n + w.numRecords, 0);
      if (before !== undefined && before !== after) {
        throw new SluiceError(
          'DELTA_CORRUPT_LOG',
          `compacting ${tablePath}: ${bin.length} files hold ${after} rows but their statistics say ${before}; nothing was committed`,
          { params: { table: tablePath, version: snap.version, rows: after, numRecords: before } },
        );
      }
    }
    opts.beforeCommit?.();
    const now = Date.now();
    const actions: Action[] = [
      ...replaced.map((f) => ({
        remove: {
          path: f.path,
          deletionTimestamp: now,
          dataChange: false,
          extendedFileMetadata: true,
          partitionValues: f.partitionValues,
          size: f.size,
          ...(f.deletionVector ? { deletionVector: f.deletionVector } : {}),
        },
      })),
      ...added.map((add) => ({ add })),
    ];
    committing = true;
    const res = await commit(tablePath, actions, {
      readVersion: snap.version,
      snapshot: snap,
      operation: 'OPTIMIZE',
      operationParameters: { predicate: '[]', zOrderBy: '[]', auto: opts.auto ?? false },
      operationMetrics: {
        numRemovedFiles: String(replaced.length),
        numAddedFiles: String(added.length),
        numRemovedBytes: String(replaced.reduce((n, f) => n + f.size, 0)),
        numAddedBytes: String(added.reduce((n, f) => n + f.size, 0)),
      },
      isBlindAppend: false,
      db,
    });
    return {
      version: res.version,
      filesBefore: snap.files.length,
      filesRemoved: replaced.length,
      filesAdded: added.length,
      bytesRemoved: replaced.reduce((n, f) => n + f.size, 0),
      bytesAdded: added.reduce((n, f) => n + f.size, 0),
    };
  } catch (e) {
    const err = toSluiceError(e);
    // When the commit surely did not land (it was never tried, or it lost to a conflict),
    // nothing references the new files: take them away again. Otherwise vacuum decides later.
    if (!committing || CONFLICTS.has(err.code)) {
      for (const f of added) await remove(dataFilePath(tablePath, f.path)).catch(() => {});
    }
    throw err;
  }
}

/** Errors `commit` raises only when its commit file was not created. */
const CONFLICTS: ReadonlySet<string> = new Set([
  'DELTA_CONCURRENT_MODIFICATION',
  'DELTA_COMMIT_RETRIES_EXHAUSTED',
]);
