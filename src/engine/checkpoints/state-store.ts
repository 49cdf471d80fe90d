import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SluiceError } from '../../errors/index.ts';
import { fsyncFile, publishFiles, putAtomic, tempPathFor, writeSyncedTemp } from '../../util/index.ts';

/** What a stateful flow knows after a batch, besides its state rows. */
export interface StateVersion {
  readonly batchId: number;
  /** Event-time watermark in microseconds since the epoch (null before any event time). */
  readonly watermark: number | null;
  readonly stateRows: number;
  /** Size of the state's Parquet file. */
  readonly stateBytes: number;
  /**
   * The state's columns and DuckDB types as the flow computed them (the Parquet file keeps some
   * types in another form, e.g. HUGEINT as DECIMAL(38,0)): how to read it back without a DESCRIBE.
   */
  readonly columns?: readonly { readonly name: string; readonly type: string }[];
}

/**
 * A stateful flow's state, versioned by batch id next to its offsets:
 * `<checkpoint>/state/<batch>.parquet` (the open groups after the batch) and `<batch>.json`
 * (its watermark). Both are published durably before the batch's Delta commit, so the version
 * matching the table's committed txn version is always complete; a version written by a batch
 * that never committed is rewritten when that batch is replayed (same input, same result).
 * Versions before the last committed one are removed once it is in place. A full refresh starts a
 * new checkpoint generation, so the state starts empty.
 */
export class StateStore {
  readonly dir: string;

  /** `name`: the state's folder in the checkpoint (a flow with several states names each). */
  constructor(checkpointDir: string, name = 'state') {
    this.dir = join(checkpointDir, name);
  }

  parquetPath(batchId: number): string {
    return join(this.dir, `${String(batchId).padStart(10, '0')}.parquet`);
  }

  #metaPath(batchId: number): string {
    return join(this.dir, `${String(batchId).padStart(10, '0')}.json`);
  }

  #made = false;

  /** A temp path to COPY a batch's state to before {@link publish} or {@link publishParquet}. */
  async tempFor(batchId: number): Promise<string> {
    if (!this.#made) await mkdir(this.dir, { recursive: true });
    this.#made = true;
    return tempPathFor(this.parquetPath(batchId));
  }

  /**
   * The state after committed batch `batchId` (undefined for -1: nothing committed yet).
   * @throws SluiceError STATE_STORE_INCONSISTENT when that version is missing
   */
  async read(batchId: number): Promise<StateVersion | undefined> {
    if (batchId < 0) return undefined;
    try {
      return JSON.parse(await readFile(this.#metaPath(batchId), 'utf8')) as StateVersion;
    } catch {
      throw new SluiceError(
        'STATE_STORE_INCONSISTENT',
        `the state of batch ${batchId} is missing from ${this.dir}: its groups cannot be continued; run with --full-refresh on the table to rebuild it from its sources`,
        { params: { batchId } },
      );
    }
  }

  /** Records a version whose Parquet is already at {@link parquetPath} (published by the caller). */
  async publish(version: StateVersion): Promise<void> {
    await putAtomic(this.#metaPath(version.batchId), JSON.stringify(version));
  }

  /**
   * Publishes the state of `version.batchId`: `tmp` (its complete Parquet, from {@link tempFor})
   * and its record, both fsynced, renamed into place and the folder fsynced once — durable when
   * this returns, as {@link publish} after a published Parquet. Returns the version recorded
   * (with the Parquet's size as `stateBytes`).
   */
  async publishParquet(tmp: string, version: Omit<StateVersion, 'stateBytes'>): Promise<StateVersion> {
    const [{ size }] = await Promise.all([stat(tmp), fsyncFile(tmp)]);
    const recorded: StateVersion = { ...version, stateBytes: size };
    const meta = this.#metaPath(version.batchId);
    const metaTmp = await writeSyncedTemp(meta, JSON.stringify(recorded));
    await publishFiles(this.dir, [
      { tmp, path: this.parquetPath(version.batchId) },
      { tmp: metaTmp, path: meta },
    ]);
    return recorded;
  }

  /** Removes the files of version `batchId` (a later version is complete and committed). */
  async evictVersion(batchId: number): Promise<void> {
    await Promise.all(
      [this.parquetPath(batchId), this.#metaPath(batchId)].map((f) => unlink(f).catch(() => {})),
    );
  }

  /** Removes versions before `batchId` (its own version is complete and committed). */
  async evictBefore(batchId: number): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    await Promise.all(
      names
        .filter((n) => /^\d{10}\.(parquet|json)$/.test(n) && Number(n.slice(0, 10)) < batchId)
        .map((n) => unlink(join(this.dir, n)).catch(() => {})),
    );
  }
}
