import { join } from 'node:path';
import { SluiceError } from '../errors/index.ts';
import type { CompiledQuery, Dataset, Flow, QueryInput } from '../model/index.ts';

/** The schema a dataset lives in when none is given. */
export const DEFAULT_SCHEMA = 'default';

/** A dataset that is stored as a Delta table (streaming tables and materialized views). */
export function isMaterialized(d: Dataset): boolean {
  switch (d.kind) {
    case 'streaming_table':
    case 'materialized_view':
      return true;
    case 'temporary_view':
    case 'persisted_view':
      return false;
    default: {
      const never: never = d.kind;
      return never;
    }
  }
}

/**
 * One relation a flow ultimately reads, after views are inlined. `key` is stable across runs
 * (input positions joined by '/'), so offsets recorded for it can be found again on replay.
 */
export interface LeafInput {
  readonly key: string;
  readonly input: QueryInput;
  /** The stored dataset read, for dataset inputs. */
  readonly dataset?: Dataset;
  /** Effective streaming-ness: the read itself is streaming, or it is read through a streamed view. */
  readonly streaming: boolean;
}

/** A node of the binding tree: a query whose inputs are leaves or further views. */
export interface BoundQuery {
  readonly key: string;
  readonly query: CompiledQuery;
  readonly children: readonly (
    | { readonly kind: 'leaf'; readonly index: number; readonly leaf: LeafInput }
    | { readonly kind: 'view'; readonly index: number; readonly view: Dataset; readonly bound: BoundQuery }
  )[];
}

/** A flow ready to run: its target, its inlined query tree and the stored datasets it depends on. */
export interface PlannedFlow {
  readonly flow: Flow;
  readonly target: Dataset;
  readonly bound: BoundQuery;
  readonly leaves: readonly LeafInput[];
  /** Names of the stored datasets this flow reads (its upstream in the schedule). */
  readonly upstream: readonly string[];
}

export interface ExecutionPlan {
  readonly storage: string;
  readonly datasets: ReadonlyMap<string, Dataset>;
  /** Flows writing stored datasets, in a topological order. */
  readonly flows: readonly PlannedFlow[];
}

/** `<storage>/tables/<schema>/<name>`: where a stored dataset's Delta table lives. */
export function tablePath(storage: string, d: Dataset): string {
  return join(storage, 'tables', d.schema ?? DEFAULT_SCHEMA, d.name);
}

/** Looks a dataset up by the name a query used (`x`, `schema.x`, `catalog.schema.x`). */
export function resolveDataset(datasets: ReadonlyMap<string, Dataset>, name: string): Dataset | undefined {
  const parts = name.split('.');
  const last = parts.at(-1)!;
  const d = datasets.get(last);
  if (!d) return undefined;
  if (parts.length >= 2 && d.schema !== undefined && parts.at(-2) !== d.schema && parts.at(-2) !== 'live')
    return undefined;
  return d;
}

/**
 * Builds the execution plan from validated definitions: inlines views into the flows that read
 * them, finds each flow's stored upstream datasets, and orders flows topologically (ties broken
 * by definition order, so plans are deterministic). Assumes the graph validated (no cycles,
 * every name defined); violations still raise coded errors rather than loop.
 */
export function buildExecutionPlan(
  storage: string,
  datasets: readonly Dataset[],
  flows: readonly Flow[],
): ExecutionPlan {
  const byName = new Map<string, Dataset>();
  for (const d of datasets) byName.set(d.name, d);
  const viewQuery = new Map<string, CompiledQuery>();
  for (const f of flows) {
    const t = byName.get(f.target);
    if (t && !isMaterialized(t)) viewQuery.set(t.name, f.query);
  }

  function bind(
    query: CompiledQuery,
    key: string,
    streamedFrom: boolean,
    seen: readonly string[],
  ): BoundQuery {
    const children: BoundQuery['children'][number][] = [];
    query.inputs.forEach((input, index) => {
      const childKey = key === '' ? String(index) : `${key}/${index}`;
      if (input.kind === 'files') {
        children.push({
          kind: 'leaf',
          index,
          leaf: { key: childKey, input, streaming: input.streaming || streamedFrom },
        });
        return;
      }
      const d = resolveDataset(byName, input.name);
      if (!d) {
        throw new SluiceError(
          'DATASET_NOT_DEFINED',
          `dataset '${input.name}' is not defined in the pipeline`,
          {
            dataset: input.name,
            ...(input.location ? { location: input.location } : {}),
          },
        );
      }
      if (isMaterialized(d)) {
        children.push({
          kind: 'leaf',
          index,
          leaf: { key: childKey, input, dataset: d, streaming: input.streaming || streamedFrom },
        });
        return;
      }
      if (seen.includes(d.name)) {
        throw new SluiceError(
          'CIRCULAR_DEPENDENCY',
          `views read each other in a cycle: ${[...seen, d.name].join(' → ')}`,
          {
            dataset: d.name,
          },
        );
      }
      const vq = viewQuery.get(d.name);
      if (!vq) {
        throw new SluiceError('PIPELINE_DATASET_WITHOUT_FLOW', `view '${d.name}' has no query`, {
          dataset: d.name,
        });
      }
      children.push({
        kind: 'view',
        index,
        view: d,
        bound: bind(vq, childKey, input.streaming || streamedFrom, [...seen, d.name]),
      });
    });
    return { key, query, children };
  }

  function leavesOf(b: BoundQuery): LeafInput[] {
    return b.children.flatMap((c) => (c.kind === 'leaf' ? [c.leaf] : leavesOf(c.bound)));
  }

  const planned: PlannedFlow[] = [];
  for (const f of flows) {
    const target = byName.get(f.target);
    if (!target || !isMaterialized(target)) continue;
    const bound = bind(f.query, '', false, []);
    const leaves = leavesOf(bound);
    const upstream = [...new Set(leaves.flatMap((l) => (l.dataset ? [l.dataset.name] : [])))];
    planned.push({ flow: f, target, bound, leaves, upstream });
  }
  return { storage, datasets: byName, flows: topoSort(planned) };
}

function topoSort(flows: readonly PlannedFlow[]): PlannedFlow[] {
  const writers = new Map<string, PlannedFlow[]>();
  for (const f of flows) writers.set(f.target.name, [...(writers.get(f.target.name) ?? []), f]);
  const out: PlannedFlow[] = [];
  const state = new Map<PlannedFlow, 'visiting' | 'done'>();
  const visit = (f: PlannedFlow, path: string[]) => {
    const s = state.get(f);
    if (s === 'done') return;
    if (s === 'visiting') {
      throw new SluiceError(
        'CIRCULAR_DEPENDENCY',
        `flows depend on each other in a cycle: ${[...path, f.flow.name].join(' → ')}`,
        {
          dataset: f.target.name,
        },
      );
    }
    state.set(f, 'visiting');
    for (const up of f.upstream) {
      if (up === f.target.name) continue;
      for (const w of writers.get(up) ?? []) visit(w, [...path, f.flow.name]);
    }
    state.set(f, 'done');
    out.push(f);
  };
  for (const f of flows) visit(f, []);
  return out;
}
