import { stat } from 'node:fs/promises';
import type { DuckDBType } from '../../util/index.ts';

/** The columns DuckDB reads a set of Parquet files with (`read_parquet([…], union_by_name = true)`). */
export interface ParquetColumns {
  readonly names: readonly string[];
  readonly types: readonly DuckDBType[];
}

/**
 * Sets of files remembered at once: a batch is planned, then bound, a batch or two apart — or,
 * for a streaming aggregation's fused catch-up, a whole group (up to 128 batches) is planned
 * before its batches are bound.
 */
const KEPT = 256;

/**
 * The columns of sets of Parquet files, remembered for one update (owned by its context): a
 * micro-batch's planning (schema inference) and its binding (the lossless conversions) both ask
 * for the columns of the same files moments apart, and each answer costs a DuckDB statement.
 *
 * Invariant: an answer is reused only for the same files, in the same order, each with the same
 * size and modification time as when it was read — a file rewritten in between is read again.
 * A failed read is not remembered (the next caller reads, and reports, it again). Only the last
 * {@link KEPT} sets are kept, so a continuous update does not grow it.
 */
export class ParquetSchemas {
  readonly #entries = new Map<string, Promise<ParquetColumns>>();

  /** The columns of `paths`: remembered, else `read()` (and remembered). */
  async of(paths: readonly string[], read: () => Promise<ParquetColumns>): Promise<ParquetColumns> {
    const key = await identity(paths);
    if (key === undefined) return read();
    const known = this.#entries.get(key);
    if (known) return known;
    const reading = read();
    this.#entries.set(key, reading);
    reading.catch(() => this.#entries.delete(key));
    while (this.#entries.size > KEPT) this.#entries.delete(this.#entries.keys().next().value!);
    return reading;
  }
}

/** The files' paths, sizes and modification times (undefined when one cannot be stat'ed). */
async function identity(paths: readonly string[]): Promise<string | undefined> {
  try {
    const stats = await Promise.all(paths.map((p) => stat(p)));
    return JSON.stringify(paths.map((p, i) => [p, stats[i]!.size, stats[i]!.mtimeMs]));
  } catch {
    return undefined;
  }
}
