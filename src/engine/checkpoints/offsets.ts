import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SluiceError } from '../../errors/index.ts';
import { putAllAtomic, putAtomic } from '../../util/index.ts';

/**
 * A file a file source has planned into a batch, as it was listed: its size and modification time
 * tell a later listing whether it changed after it was read. Identity is the real path
 * (`realPath`, recorded when it differs from the listed `path`), else the path.
 */
export interface PlannedFile {
  readonly path: string;
  readonly realPath?: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/**
 * A planned file the batch does not read (`ignoreCorruptFiles`: it cannot be decoded), with the
 * error that said so. A replay skips it again, so it reads exactly what the batch read.
 */
export interface SkippedFile {
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

/** Column list of a file source, persisted so later batches read with the same schema. */
export interface PersistedColumns {
  readonly columns: readonly { readonly name: string; readonly type: string }[];
}

/**
 * What one input of a flow contributes to one batch. Recorded before the batch reads anything,
 * so that a replay after a crash reads exactly the same data.
 */
export type SourceOffset =
  | {
      readonly kind: 'files';
      readonly files: readonly PlannedFile[];
      readonly schema: PersistedColumns;
      /** Files of `files` not read (see `SkippedFile`). */
      readonly skipped?: readonly SkippedFile[];
    }
  | {
      /** Streaming read of a Delta table: the data added by versions (fromVersion, toVersion]. */
      readonly kind: 'table-stream';
      readonly dataset: string;
      readonly fromVersion: number;
      readonly toVersion: number;
    }
  | {
      /**
       * Streaming read of a Delta table's change data feed (`readChangeFeed`): the changes of
       * versions (fromVersion, toVersion]; with `snapshot`, the table as of `toVersion` as inserts
       * instead (a stream's first batch without a starting version).
       */
      readonly kind: 'table-changes';
      readonly dataset: string;
      readonly fromVersion: number;
      readonly toVersion: number;
      readonly snapshot?: true;
    }
  | {
      /** Batch read of a Delta table at a fixed version (null: the table does not exist yet). */
      readonly kind: 'table-snapshot';
      readonly dataset: string;
      readonly version: number | null;
    }
  | {
      /** Batch read of files: the listing at planning time. */
      readonly kind: 'files-snapshot';
      readonly files: readonly PlannedFile[];
      readonly schema: PersistedColumns;
      /** Files of `files` not read (see `SkippedFile`). */
      readonly skipped?: readonly SkippedFile[];
    };

/** One entry of a flow's write-ahead offset log. */
export interface BatchOffset {
  readonly batchId: number;
  readonly plannedAt: string;
  /** Keyed by a stable input key (see `inputKey` in the flow runner). */
  readonly sources: Readonly<Record<string, SourceOffset>>;
  /** Materialized views: a digest of the query and expectations, so an edited definition recomputes. */
  readonly signature?: string;
  /** AUTO CDC FROM SNAPSHOT flows whose source is a function: the snapshot it gave. */
  readonly snapshot?: SnapshotFunctionOffset;
}

/**
 * A snapshot a snapshot function gave, as its batch's offset records it before anything is read:
 * a replay compiles the same query over the same pinned sources and never calls the function,
 * and the next call of the function gets the version of the last batch committed.
 */
export interface SnapshotFunctionOffset {
  /** The snapshot's version, a decimal integer within BIGINT's range. */
  readonly version: string;
  /** The JavaScript type the function gave the version as, which it is handed back as. */
  readonly versionType: 'number' | 'bigint';
  /** The snapshot's query, Spark SQL as rendered from the function's result. */
  readonly sql: string;
}

/**
 * A flow's offset log: `<dir>/offsets/<batchId>.json`, one file per planned batch, each written
 * atomically before the batch reads its data. Which batches are committed is not stored here:
 * that is the Delta `txn` version of the flow's appId in the target table, committed atomically
 * with the data. So a batch whose offset exists but whose txn does not is replayed as recorded.
 *
 * A long-running flow compacts its log: `compact-<batchId>.json` stands for every batch up to and
 * including `batchId` (what they read, merged: see `compactTo`), and the offsets it covers are
 * deleted but the last — so the log holds a bounded number of files, never one per batch forever.
 */
export class OffsetLog {
  constructor(readonly dir: string) {}

  private file(batchId: number): string {
    return join(this.dir, 'offsets', `${String(batchId).padStart(10, '0')}.json`);
  }

  private compactFile(batchId: number): string {
    return join(this.dir, 'offsets', `compact-${String(batchId).padStart(10, '0')}.json`);
  }

  private async names(): Promise<string[]> {
    try {
      return await readdir(join(this.dir, 'offsets'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  async batchIds(): Promise<number[]> {
    return (await this.names())
      .filter((n) => /^\d{10}\.json$/.test(n))
      .map((n) => Number(n.slice(0, 10)))
      .sort((a, b) => a - b);
  }

  /** The last batch the newest compaction covers (-1 when the log was never compacted). */
  async compactedUpTo(): Promise<number> {
    const ids = (await this.names())
      .filter((n) => /^compact-\d{10}\.json$/.test(n))
      .map((n) => Number(n.slice(8, 18)));
    return ids.length === 0 ? -1 : Math.max(...ids);
  }

  /**
   * Writes `merged` — one offset standing for batches 0…`merged.batchId`, built by the caller
   * from them — then deletes the older compactions and the offsets it covers, except its last
   * batch's own offset. Only for committed batches.
   */
  async compactTo(merged: BatchOffset): Promise<void> {
    await putAtomic(this.compactFile(merged.batchId), `${JSON.stringify(merged)}\n`);
    const stale = (await this.names()).filter((n) => {
      const compact = /^compact-(\d{10})\.json$/.exec(n);
      if (compact) return Number(compact[1]) < merged.batchId;
      const plain = /^(\d{10})\.json$/.exec(n);
      return plain !== null && Number(plain[1]) < merged.batchId;
    });
    await Promise.all(stale.map((n) => rm(join(this.dir, 'offsets', n), { force: true })));
  }

  /** Deletes the offsets of batches before `batchId` (a flow that needs only its latest offsets). */
  async pruneBefore(batchId: number): Promise<void> {
    const stale = (await this.batchIds()).filter((id) => id < batchId);
    await Promise.all(stale.map((id) => rm(this.file(id), { force: true })));
  }

  async read(batchId: number): Promise<BatchOffset> {
    const file = this.file(batchId);
    return this.readOffsetFile(file);
  }

  private async readOffsetFile(file: string): Promise<BatchOffset> {
    try {
      return JSON.parse(await readFile(file, 'utf8')) as BatchOffset;
    } catch (e) {
      throw new SluiceError(
        'IO_ERROR',
        `cannot read flow checkpoint offset ${file}: ${(e as Error).message}`,
        {
          params: { file },
          cause: e,
        },
      );
    }
  }

  async latest(): Promise<BatchOffset | undefined> {
    const ids = await this.batchIds();
    const last = ids.at(-1);
    return last === undefined ? undefined : this.read(last);
  }

  /**
   * What batches 0…`upTo` read, in order: the newest compaction within `upTo` (one merged
   * offset), then every offset after it.
   */
  async readAll(upTo = Number.POSITIVE_INFINITY): Promise<BatchOffset[]> {
    const compacted = await this.compactedUpTo();
    const base =
      compacted >= 0 && compacted <= upTo ? [await this.readOffsetFile(this.compactFile(compacted))] : [];
    const from = base.length > 0 ? compacted : -1;
    const ids = (await this.batchIds()).filter((id) => id > from && id <= upTo);
    return [...base, ...(await Promise.all(ids.map((id) => this.read(id))))];
  }

  /** Records a planned batch, durably, before it reads anything. */
  async write(offset: BatchOffset): Promise<void> {
    await putAtomic(this.file(offset.batchId), `${JSON.stringify(offset)}\n`);
  }

  /**
   * Records consecutive planned batches (in batch order), all durably, before any of them reads
   * anything — with one directory fsync for all (see `putAllAtomic`). A crash before it returns
   * leaves a prefix of them, or after a power loss possibly some with gaps between them: the
   * batches after a gap never read anything (see `uncommitted`).
   */
  async writeAll(offsets: readonly BatchOffset[]): Promise<void> {
    if (offsets.length === 1) return this.write(offsets[0]!);
    await putAllAtomic(offsets.map((o) => ({ path: this.file(o.batchId), data: `${JSON.stringify(o)}\n` })));
  }

  /** Deletes the offsets of batches `batchIds` (planned, never read: see `writeAll`). */
  async remove(batchIds: readonly number[]): Promise<void> {
    await Promise.all(batchIds.map((id) => rm(this.file(id), { force: true })));
  }
}
