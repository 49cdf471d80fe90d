import { classifyDuckDBError, SluiceError } from '../errors/index.ts';
import { type Database, type DuckDBConnection, sqlString } from '../util/index.ts';

type Request = {
  readonly fn: 'json_serialize_sql' | 'json_deserialize_sql';
  readonly arg: string;
  readonly resolve: (v: string) => void;
  readonly reject: (e: unknown) => void;
};

const MAX_BATCH = 250;
/** Batches run on this many connections at once (DuckDB evaluates each batch on one thread). */
const CONNECTIONS = 2;

/**
 * DuckDB's parser as a service: `json_serialize_sql` (SQL text → AST JSON) and
 * `json_deserialize_sql` (AST JSON → SQL text). Requests made in the same tick are batched
 * into one DuckDB statement, so compiling a 1,000-dataset pipeline costs a handful of round
 * trips, not thousands. Owns its connections (taken from `db` on first use) until `close()`.
 */
export class SqlCodec {
  #connections: Promise<DuckDBConnection>[] | undefined;
  #queue: Request[] = [];
  #scheduled = false;
  #running: Promise<void> = Promise.resolve();

  constructor(private readonly db: Database) {}

  /** `json_serialize_sql(sql)`: the AST JSON text (or `{"error":true,…}` for unparsable SQL). */
  serialize(sql: string): Promise<string> {
    return this.#request('json_serialize_sql', sql);
  }

  /** `json_deserialize_sql(json)`: SQL text for an AST. */
  deserialize(json: string): Promise<string> {
    return this.#request('json_deserialize_sql', json);
  }

  /** Closes the connections once the requests made so far are answered. */
  async close(): Promise<void> {
    await this.#running;
    const connections = this.#connections;
    this.#connections = undefined;
    for (const c of connections ?? []) (await c.catch(() => undefined))?.closeSync();
  }

  #pool(): Promise<DuckDBConnection>[] {
    this.#connections ??= Array.from({ length: CONNECTIONS }, () => this.db.connect());
    return this.#connections;
  }

  async #runBatch(batch: readonly Request[], slot = 0): Promise<void> {
    const c = await this.#pool()[slot]!;
    try {
      const list = batch.map((r) => `${r.fn}(${sqlString(r.arg)})`).join(', ');
      const reader = await c.runAndReadAll(`SELECT [${list}]::VARCHAR[] AS r`);
      const values = reader.getRowsJson()[0]![0] as string[];
      batch.forEach((r, i) => {
        r.resolve(values[i]!);
      });
    } catch (e) {
      if (batch.length === 1) {
        // Out of memory (a tiny SLUICE_MEMORY_LIMIT) is the user's to fix; anything else is ours.
        const failure = classifyDuckDBError((e as Error).message);
        batch[0]!.reject(
          failure?.code === 'OUT_OF_MEMORY'
            ? new SluiceError(failure.code, failure.message, { params: failure.params, cause: e })
            : new SluiceError('INTERNAL', `DuckDB ${batch[0]!.fn} failed: ${(e as Error).message}`, {
                cause: e,
              }),
        );
        return;
      }
      // One bad request (a deserialize of an AST DuckDB rejects) must not fail its neighbours.
      for (const r of batch) await this.#runBatch([r], slot);
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const pending = this.#queue;
    this.#queue = [];
    this.#running = this.#running.then(async () => {
      const chunks: Request[][] = [];
      for (let i = 0; i < pending.length; i += MAX_BATCH) chunks.push(pending.slice(i, i + MAX_BATCH));
      // Each connection works through its share of the chunks; connections run concurrently.
      await Promise.all(
        Array.from({ length: Math.min(CONNECTIONS, chunks.length) }, async (_, slot) => {
          for (let i = slot; i < chunks.length; i += CONNECTIONS) await this.#runBatch(chunks[i]!, slot);
        }),
      );
    });
  }

  #request(fn: Request['fn'], arg: string): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      this.#queue.push({ fn, arg, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }
}
