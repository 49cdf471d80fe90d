import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SluiceError } from '../../errors/index.ts';
import { putAtomic } from '../../util/index.ts';

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
}

/**
 * A flow's offset log: `<dir>/offsets/<batchId>.json`, one file per planned batch, each written
 * atomically before the batch reads its data. Which batches are committed is not stored here:
 * that is the Delta `txn` version of the flow's appId in the target table, committed atomically
 * with the data. So a batch whose offset exists but whose txn does not is replayed as recorded.
 */
export class OffsetLog {
  constructor(readonly dir: string) {}

  private file(batchId: number): string {
    return join(this.dir, 'offsets', `${String(batchId).padStart(10, '0')}.json`);
  }

  async batchIds(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(join(this.dir, 'offsets'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return names
      .filter((n) => /^\d{10}\.json$/.test(n))
      .map((n) => Number(n.slice(0, 10)))
      .sort((a, b) => a - b);
  }

  async read(batchId: number): Promise<BatchOffset> {
    const file = this.file(batchId);
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

  /** All offsets with batchId ≤ `upTo`, in order. */
  async readAll(upTo = Number.POSITIVE_INFINITY): Promise<BatchOffset[]> {
    const ids = (await this.batchIds()).filter((id) => id <= upTo);
    return Promise.all(ids.map((id) => this.read(id)));
  }

  /** Records a planned batch, durably, before it reads anything. */
  async write(offset: BatchOffset): Promise<void> {
    await putAtomic(this.file(offset.batchId), `${JSON.stringify(offset)}\n`);
  }
}
