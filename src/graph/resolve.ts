import type { SluiceError } from '../errors/index.ts';
import type { Dataset, Flow } from '../model/index.ts';
import type { FailedFlow, ResolvedFlow, ResolvedInput, UnresolvedFlow } from './types.ts';

/**
 * Indexes over the definitions. The first definition of a name wins (later duplicates are
 * reported by the duplicate check and otherwise ignored), so every lookup is deterministic.
 */
export interface GraphIndex {
  readonly datasets: ReadonlyMap<string, Dataset>;
  /** Definition position of each dataset, for deterministic ordering. */
  readonly order: ReadonlyMap<string, number>;
  /** Flows by target, in definition order (only flows whose name is not a duplicate). */
  readonly flowsByTarget: ReadonlyMap<string, readonly Flow[]>;
  readonly flows: readonly Flow[];
  /** Names of datasets whose definition failed to load (declared, but broken). */
  readonly brokenNames: ReadonlySet<string>;
}

export function buildIndex(
  datasets: readonly Dataset[],
  flows: readonly Flow[],
  loadErrors: readonly SluiceError[],
): GraphIndex {
  const byName = new Map<string, Dataset>();
  const order = new Map<string, number>();
  datasets.forEach((d, i) => {
    if (!byName.has(d.name)) {
      byName.set(d.name, d);
      order.set(d.name, i);
    }
  });
  const seenFlows = new Set<string>();
  const uniqueFlows: Flow[] = [];
  const flowsByTarget = new Map<string, Flow[]>();
  for (const f of flows) {
    if (seenFlows.has(f.name)) continue;
    seenFlows.add(f.name);
    uniqueFlows.push(f);
    const list = flowsByTarget.get(f.target) ?? [];
    list.push(f);
    flowsByTarget.set(f.target, list);
  }
  const brokenNames = new Set<string>();
  for (const e of loadErrors) if (e.dataset !== undefined) brokenNames.add(e.dataset);
  return { datasets: byName, order, flowsByTarget, flows: uniqueFlows, brokenNames };
}

/** Looks a dataset up by the name a query used (`x`, `schema.x`, `live.x`, `catalog.schema.x`). */
export function lookupDataset(datasets: ReadonlyMap<string, Dataset>, written: string): Dataset | undefined {
  const parts = written.split('.');
  const last = parts.at(-1)!;
  const d = datasets.get(last);
  if (!d) return undefined;
  if (parts.length >= 2) {
    const qualifier = parts.at(-2)!;
    if (qualifier.toLowerCase() !== 'live' && d.schema !== undefined && qualifier !== d.schema)
      return undefined;
  }
  return d;
}

/** The name a written reference would have if it were defined (for broken-definition lookups). */
export function baseName(written: string): string {
  return written.split('.').at(-1)!;
}

export function unresolved(flow: Flow): UnresolvedFlow {
  return { kind: 'unresolved_flow', flow };
}

/**
 * Binds a flow's inputs. An input naming no dataset makes it a FailedFlow (the caller reports
 * why). `isStreamingView` says whether reading a view yields a stream.
 */
export function resolveFlow(
  u: UnresolvedFlow,
  datasets: ReadonlyMap<string, Dataset>,
  isStreamingView: (name: string) => boolean,
): ResolvedFlow | FailedFlow {
  const inputs: ResolvedInput[] = [];
  for (const input of u.flow.query.inputs) {
    if (input.kind === 'files') {
      inputs.push({
        kind: 'files',
        path: input.path,
        format: input.format,
        options: input.options,
        streaming: input.streaming,
        effectiveStreaming: input.streaming,
        ...(input.location ? { location: input.location } : {}),
      });
      continue;
    }
    const d = lookupDataset(datasets, input.name);
    if (!d) return { kind: 'failed_flow', flow: u.flow, errors: [] };
    const view = d.kind === 'temporary_view' || d.kind === 'persisted_view';
    inputs.push({
      kind: 'dataset',
      name: input.name,
      dataset: d.name,
      streaming: input.streaming,
      effectiveStreaming: input.streaming || (view && isStreamingView(d.name)),
      ...(input.location ? { location: input.location } : {}),
    });
  }
  return {
    kind: 'resolved_flow',
    name: u.flow.name,
    target: u.flow.target,
    flow: u.flow,
    inputs,
    streaming: inputs.some((i) => i.effectiveStreaming),
    once: u.flow.options.once === 'true',
  };
}
