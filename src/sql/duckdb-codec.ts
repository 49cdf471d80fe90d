import { SluiceError } from '../errors/index.ts';
import { connect, type DuckDBConnection, sqlString } from '../util/duckdb.ts';

/**
 * DuckDB's parser as a service: `json_serialize_sql` (SQL text → AST JSON) and
 * `json_deserialize_sql` (AST JSON → SQL text). Requests made in the same tick are batched
 * into one DuckDB statement on one private connection, so compiling a 1,000-dataset pipeline
 * costs a handful of round trips, not thousands.
 */

type Request = {
  readonly fn: 'json_serialize_sql' | 'json_deserialize_sql';
  readonly arg: string;
  readonly resolve: (v: string) => void;
  readonly reject: (e: unknown) => void;
};

const MAX_BATCH = 250;
/** Batches run on this many connections at once (DuckDB evaluates each batch on one thread). */
const CONNECTIONS = 2;

let connections: Promise<DuckDBConnection>[] | undefined;
let queue: Request[] = [];
let scheduled = false;
let running: Promise<void> = Promise.resolve();

function pool(): Promise<DuckDBConnection>[] {
  connections ??= Array.from({ length: CONNECTIONS }, () => connect());
  return connections;
}

async function runBatch(batch: readonly Request[], slot = 0): Promise<void> {
  const c = await pool()[slot]!;
  try {
    const list = batch.map((r) => `${r.fn}(${sqlString(r.arg)})`).join(', ');
    const reader = await c.runAndReadAll(`SELECT [${list}]::VARCHAR[] AS r`);
    const values = reader.getRowsJson()[0]![0] as string[];
    batch.forEach((r, i) => {
      r.resolve(values[i]!);
    });
  } catch (e) {
    if (batch.length === 1) {
      batch[0]!.reject(
        new SluiceError('INTERNAL', `DuckDB ${batch[0]!.fn} failed: ${(e as Error).message}`, { cause: e }),
      );
      return;
    }
    // One bad request (a deserialize of an AST DuckDB rejects) must not fail its neighbours.
    for (const r of batch) await runBatch([r], slot);
  }
}

function flush(): void {
  scheduled = false;
  const pending = queue;
  queue = [];
  running = running.then(async () => {
    const chunks: Request[][] = [];
    for (let i = 0; i < pending.length; i += MAX_BATCH) chunks.push(pending.slice(i, i + MAX_BATCH));
    // Each connection works through its share of the chunks; connections run concurrently.
    await Promise.all(
      Array.from({ length: Math.min(CONNECTIONS, chunks.length) }, async (_, slot) => {
        for (let i = slot; i < chunks.length; i += CONNECTIONS) await runBatch(chunks[i]!, slot);
      }),
    );
  });
}

function request(fn: Request['fn'], arg: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    queue.push({ fn, arg, resolve, reject });
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
}

/** `json_serialize_sql(sql)`: the AST JSON text (or `{"error":true,…}` for unparsable SQL). */
export function serializeSql(sql: string): Promise<string> {
  return request('json_serialize_sql', sql);
}

/** `json_deserialize_sql(json)`: SQL text for an AST. */
export function deserializeSql(json: string): Promise<string> {
  return request('json_deserialize_sql', json);
}
