import { stat } from 'node:fs/promises';
import { type DuckDBConnection, type DuckDBType, queryRows, sqlString } from '../../util/index.ts';

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

/** Files whose schema a {@link ParquetSchemas.prefetch} reads at most, and remembers at most. */
const PREFETCHED = 256;
const SIGNATURES_KEPT = 4 * PREFETCHED;

/**
 * The columns of sets of Parquet files, remembered for one update (owned by its context): a
 * micro-batch's planning (schema inference) and its binding (the lossless conversions) both ask
 * for the columns of the same files moments apart, and each answer costs a DuckDB statement.
 * Files whose Parquet schema and key-value metadata are the same as those of files already read
 * are read the same way (both are all DuckDB derives a file's columns from): `prefetch` reads
 * them for many files in one statement, and a set of files that all have the schema of a set
 * already read is answered without reading them.
 *
 * Invariant: an answer is reused only for the same files, in the same order — or files of the
 * same schema — each with the same size and modification time as when it was read: a file
 * rewritten in between is read again. A failed read is not remembered (the next caller reads,
 * and reports, it again). Only the last {@link KEPT} sets are kept, so a continuous update does
 * not grow it.
 */
export class ParquetSchemas {
  readonly #entries = new Map<string, Promise<ParquetColumns>>();
  /** Per file (its identity, see fileIdentity): its schema and metadata, as text. */
  readonly #signatures = new Map<string, string>();
  /** The columns of sets of files that all have one signature, by that signature. */
  readonly #bySignature = new Map<string, Promise<ParquetColumns>>();
  /** The paths a prefetch read (or tried to): not read again by a prefetch. */
  readonly #prefetched = new Map<string, true>();

  /** The columns of `paths`: remembered, else `read()` (and remembered). */
  async of(paths: readonly string[], read: () => Promise<ParquetColumns>): Promise<ParquetColumns> {
    const files = await identities(paths);
    if (files === undefined) return read();
    const key = JSON.stringify(files);
    const known = this.#entries.get(key);
    if (known) return known;
    const signatures = new Set(files.map((f) => this.#signatures.get(JSON.stringify(f))));
    const signature = signatures.size === 1 ? [...signatures][0] : undefined;
    const reading = (signature !== undefined && this.#bySignature.get(signature)) || read();
    remember(this.#entries, key, reading, KEPT);
    if (signature !== undefined) remember(this.#bySignature, signature, reading, KEPT);
    return reading;
  }

  /**
   * Reads the Parquet schema and key-value metadata of the files of `paths` no prefetch read yet
   * (the first {@link PREFETCHED} of them), in one statement — when there are at least two: what
   * `of` then answers for sets of files of one schema without reading them. Best effort: a file
   * that cannot be read leaves them all unknown (each is then read, and reported, when it is used).
   */
  async prefetch(conn: DuckDBConnection, paths: readonly string[]): Promise<void> {
    const fresh: string[] = [];
    for (const p of paths) {
      if (fresh.length >= PREFETCHED) break;
      if (!this.#prefetched.has(p)) fresh.push(p);
    }
    if (fresh.length < 2) return;
    for (const p of fresh) remember(this.#prefetched, p, true, SIGNATURES_KEPT);
    const unknown = (await identities(fresh)) ?? [];
    if (unknown.length === 0) return;
    const list = `[${unknown.map((f) => sqlString(f[0])).join(', ')}]`;
    let rows: { file_name: string; sig: string }[];
    try {
      rows = await queryRows(
        conn,
        `SELECT s.file_name, s.sig || '|' || coalesce(k.sig, '') AS sig
           FROM (SELECT file_name, list((name, type, type_length, repetition_type, num_children, converted_type,
                        scale, precision, field_id, logical_type, duckdb_type) ORDER BY column_id)::VARCHAR AS sig
                   FROM parquet_schema(${list}) GROUP BY file_name) s
           LEFT JOIN (SELECT file_name, list((key, value) ORDER BY key, value)::VARCHAR AS sig
                        FROM parquet_kv_metadata(${list}) GROUP BY file_name) k USING (file_name)`,
      );
    } catch {
      return;
    }
    const byPath = new Map(rows.map((r) => [r.file_name, r.sig]));
    for (const f of unknown) {
      const sig = byPath.get(f[0]);
      if (sig !== undefined) remember(this.#signatures, JSON.stringify(f), sig, SIGNATURES_KEPT);
    }
  }
}

/** Sets `key` last in `map` and drops the oldest entries beyond `kept`. */
function remember<V>(map: Map<string, V>, key: string, value: V, kept: number): void {
  map.delete(key);
  map.set(key, value);
  if (value instanceof Promise) value.catch(() => map.get(key) === value && map.delete(key));
  while (map.size > kept) map.delete(map.keys().next().value!);
}

/** Each file's path, size and modification time (undefined when one cannot be stat'ed). */
async function identities(paths: readonly string[]): Promise<[string, number, number][] | undefined> {
  try {
    const stats = await Promise.all(paths.map((p) => stat(p)));
    return paths.map((p, i) => [p, stats[i]!.size, stats[i]!.mtimeMs]);
  } catch {
    return undefined;
  }
}
