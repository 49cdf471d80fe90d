import type { SluiceError } from '../errors/index.ts';
import { changeFeedRead, type Dataset, type Flow } from '../model/index.ts';
import type { FailedFlow, ResolvedFlow, ResolvedInput, UnresolvedFlow } from './types.ts';

/**
 * The one place a name written in a pipeline finds its dataset. Names compare as Spark compares
 * identifiers: case-insensitively. A qualifier (`schema.x`, `catalog.schema.x`) must match the
 * dataset's schema (case-insensitively) when the dataset has one; `live.x` is Lakeflow's legacy
 * virtual schema and matches any. The first definition of a name wins (later duplicates are
 * reported by the duplicate check), so every answer is deterministic.
 */
export class DatasetNames {
  readonly #byKey = new Map<string, Dataset>();

  constructor(datasets: Iterable<Dataset>) {
    for (const d of datasets) {
      const key = d.name.toLowerCase();
      if (!this.#byKey.has(key)) this.#byKey.set(key, d);
    }
  }

  /**
   * The dataset a written name (`x`, `schema.x`, `live.x`, `catalog.schema.x`) refers to.
   * `reader`: the dataset whose query reads the name. A qualified name that would be the reader
   * itself (`CREATE TABLE payments AS SELECT * FROM samples.shop.payments`, with no schema
   * declared to compare) is a table outside the pipeline, not a self-reference: undefined.
   */
  resolve(written: string, reader?: string): Dataset | undefined {
    // A backticked name may itself hold dots: the whole name first, then `qualifier.name`.
    const whole = this.#byKey.get(written.toLowerCase());
    if (whole) return whole;
    const parts = written.split('.');
    const d = this.#byKey.get(parts.at(-1)!.toLowerCase());
    if (!d || parts.length < 2) return d;
    const qualifier = parts.at(-2)!.toLowerCase();
    if (qualifier === 'live') return d;
    if (d.schema !== undefined) return qualifier === d.schema.toLowerCase() ? d : undefined;
    return reader !== undefined && reader.toLowerCase() === d.name.toLowerCase() ? undefined : d;
  }

  /**
   * Whether `written` names a table outside the pipeline: qualified (not `live.`), and not one
   * of the pipeline's datasets as `reader` reads it.
   */
  isExternal(written: string, reader?: string): boolean {
    const parts = written.split('.');
    return (
      parts.length >= 2 &&
      parts.at(-2)!.toLowerCase() !== 'live' &&
      !this.#byKey.has(written.toLowerCase()) &&
      this.resolve(written, reader) === undefined
    );
  }

  /** The declared name of the dataset `written` refers to, else `written` as it is. */
  canonical(written: string): string {
    return this.resolve(written)?.name ?? written;
  }
}

/**
 * Indexes over the definitions, with every name resolved once: datasets by declared name, flow
 * targets rewritten to the declared name of the dataset they write. The first definition of a
 * name wins (later duplicates are reported by the duplicate check and otherwise ignored).
 */
export interface GraphIndex {
  readonly datasets: ReadonlyMap<string, Dataset>;
  readonly names: DatasetNames;
  /** Definition position of each dataset, for deterministic ordering. */
  readonly order: ReadonlyMap<string, number>;
  /** Flows by (declared) target name, in definition order (only flows whose name is not a duplicate). */
  readonly flowsByTarget: ReadonlyMap<string, readonly Flow[]>;
  /** Unique flows, targets resolved to declared names. */
  readonly flows: readonly Flow[];
  /** Declared names of datasets whose definition failed to load (declared, but broken). */
  readonly brokenNames: ReadonlySet<string>;
}

export function buildIndex(
  datasets: readonly Dataset[],
  flows: readonly Flow[],
  loadErrors: readonly SluiceError[],
): GraphIndex {
  const names = new DatasetNames(datasets);
  const byName = new Map<string, Dataset>();
  const order = new Map<string, number>();
  datasets.forEach((d, i) => {
    if (names.resolve(d.name) === d) {
      byName.set(d.name, d);
      order.set(d.name, i);
    }
  });
  const seenFlows = new Set<string>();
  const uniqueFlows: Flow[] = [];
  const flowsByTarget = new Map<string, Flow[]>();
  for (const raw of flows) {
    if (seenFlows.has(raw.name.toLowerCase())) continue;
    seenFlows.add(raw.name.toLowerCase());
    const target = names.canonical(raw.target);
    const f = target === raw.target ? raw : Object.freeze({ ...raw, target });
    uniqueFlows.push(f);
    const list = flowsByTarget.get(f.target) ?? [];
    list.push(f);
    flowsByTarget.set(f.target, list);
  }
  const brokenNames = new Set<string>();
  for (const e of loadErrors) if (e.dataset !== undefined) brokenNames.add(names.canonical(e.dataset));
  return { datasets: byName, names, order, flowsByTarget, flows: uniqueFlows, brokenNames };
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
  names: DatasetNames,
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
    const d = names.resolve(input.name, u.flow.target);
    if (!d) return { kind: 'failed_flow', flow: u.flow, errors: [] };
    const view = d.kind === 'temporary_view' || d.kind === 'persisted_view';
    inputs.push({
      kind: 'dataset',
      name: input.name,
      dataset: d.name,
      streaming: input.streaming,
      effectiveStreaming: input.streaming || (view && isStreamingView(d.name)),
      ...(changeFeedRead(input) || input.changes ? { changeFeed: true } : {}),
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
