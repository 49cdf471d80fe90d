/**
 * Snapshot sequences for the AUTO CDC FROM SNAPSHOT tests and their oracles: the target a
 * plain replay of the snapshots in order gives (SCD 1: the last snapshot; SCD 2 tracking `name`:
 * the versions of each key), computed in JavaScript independently of the engine.
 */
import assert from 'node:assert/strict';
import { query as chdbQuery } from 'chdb';
import { runPipeline, type UpdateResult } from '../../src/index.ts';

export type Snap = ReadonlyMap<number, { readonly name: string | null; readonly amount: number | null }>;
export type Row = Record<string, unknown>;

export { rng } from './random.ts';

/** Snapshots of up to `keys` keys: each key appears, changes a tracked or untracked column, or goes. */
export function snapshots(rand: () => number, n: number, keys: number): Snap[] {
  const out: Snap[] = [];
  let cur = new Map<number, { name: string | null; amount: number | null }>();
  for (let i = 0; i < n; i++) {
    const next = new Map(cur);
    for (let id = 1; id <= keys; id++) {
      const r = rand();
      if (r < 0.15) next.delete(id);
      else if (r < 0.35)
        next.set(id, {
          name: ['ann', 'bob', null][Math.floor(rand() * 3)]!,
          amount: next.get(id)?.amount ?? 1,
        });
      else if (r < 0.55) next.set(id, { name: next.get(id)?.name ?? 'new', amount: Math.floor(rand() * 3) });
    }
    out.push(next);
    cur = next;
  }
  return out;
}

/** Oracle, SCD 1: the last snapshot. */
export function scd1(snaps: readonly Snap[]): Row[] {
  return [...snaps.at(-1)!.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([id, v]) => ({ id, name: v.name, amount: v.amount }));
}

/**
 * Oracle, SCD 2 tracking `name`: the snapshots replayed in order, numbered by `numbers`
 * (default 1, 2, …).
 */
export function scd2(snaps: readonly Snap[], numbers?: readonly number[]): Row[] {
  const versions: Row[] = [];
  const open = new Map<number, Row>();
  snaps.forEach((snap, i) => {
    const v = numbers?.[i] ?? i + 1;
    for (const [id, cur] of open) {
      if (!snap.has(id)) {
        cur.__END_AT = v;
        open.delete(id);
      }
    }
    for (const [id, row] of snap) {
      const cur = open.get(id);
      if (cur && cur.name === row.name) {
        cur.amount = row.amount;
        continue;
      }
      if (cur) cur.__END_AT = v;
      const nv: Row = { id, name: row.name, amount: row.amount, __START_AT: v, __END_AT: null };
      versions.push(nv);
      open.set(id, nv);
    }
  });
  return versions.sort((a, b) => Number(a.id) - Number(b.id) || Number(a.__START_AT) - Number(b.__START_AT));
}

/** Runs the pipeline in `dir` in-process; asserts it ran (not refused) and returns its result. */
export async function run(dir: string): Promise<UpdateResult> {
  const outcome = await runPipeline(dir, {});
  assert.equal(outcome.kind, 'ran', JSON.stringify(outcome));
  if (outcome.kind !== 'ran') throw new Error('unreachable');
  return outcome.result;
}

/** The failed flows of an update, with their codes and messages (empty when none failed). */
export function failures(r: UpdateResult): string[] {
  return r.flows
    .filter((f) => f.state === 'FAILED')
    .map((f) => `${f.flow}: ${f.error?.code} ${f.error?.message}`);
}

/** `rows` reduced to `columns`, numbers as numbers (`name` kept as text), missing values as null. */
export function normalize(rows: readonly Row[], columns: readonly string[]): Row[] {
  return rows.map((r) =>
    Object.fromEntries(
      columns.map((c) => [
        c,
        r[c] === null || r[c] === undefined ? null : c === 'name' ? r[c] : Number(r[c]),
      ]),
    ),
  );
}

/** The Delta table at `path` as chdb (delta-kernel-rs) reads it, ordered by `order`. */
export function chdb(path: string, order: string): Row[] {
  return chdbQuery(`SELECT * FROM deltaLakeLocal('${path}') ORDER BY ${order}`, 'JSONEachRow')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Row);
}
