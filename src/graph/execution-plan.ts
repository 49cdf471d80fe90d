import { type Dataset, isStored } from '../model/index.ts';
import type {
  BoundQuery,
  ExecutionPlan,
  FlowKind,
  FlowPlan,
  LeafInput,
  PipelineGraph,
  ResolvedFlow,
} from './types.ts';

/**
 * How a resolved flow runs. A materialized view is recomputed from batch reads; a streaming
 * table's flow appends micro-batches (aggregating a watermarked stream with state kept across
 * them, see `StreamingAggregate`), or — `INSERT INTO ONCE` / `appendFlow({ once: true })` —
 * appends its query's result exactly once per reset of the table; an AUTO CDC flow applies the
 * change events it reads (inserts, updates, deletes) to it.
 */
export function flowKind(flow: ResolvedFlow, target: Dataset): FlowKind {
  switch (target.kind) {
    case 'materialized_view':
      return 'materialized_view';
    case 'streaming_table':
      if (flow.flow.cdc) return 'auto_cdc';
      if (flow.flow.snapshotCdc) return 'auto_cdc_snapshot';
      if (flow.once) return 'append_once';
      // A windowed aggregation / de-duplication of a watermarked stream keeps state.
      switch (flow.flow.query.statefulPlan?.kind) {
        case 'streaming_aggregate':
          return 'streaming_aggregate';
        case 'streaming_dedup':
          return 'streaming_dedup';
        case 'stream_join':
          return 'stream_join';
        default:
          return 'streaming_append';
      }
    case 'temporary_view':
    case 'persisted_view':
      throw new Error(`flow '${flow.name}' writes view '${target.name}', which is inlined, not executed`);
    default: {
      const never: never = target.kind;
      return never;
    }
  }
}

/**
 * The flows that write stored datasets, each with its query tree bound: views are inlined into
 * the flows that read them, every leaf is a file source or a stored dataset, and each input keeps
 * a stable key (its position path, e.g. `0/1`) so offsets recorded for it are found again on
 * replay. Flows come in the graph's plan order (every flow after the writers of what it reads).
 *
 * A leaf reads as a stream when it is written `STREAM(…)`, wherever it sits: a view's plan is
 * fused into its reader as it is, so a table a streaming view reads without STREAM stays a batch
 * read (a stream–static join). Only for a valid graph: names resolve, no view reads itself, and
 * views are read the way they are defined. Flows into datasets that failed validation (a
 * runnable graph's dataset-local refusals, see `DATASET_LOCAL_CODES`) are left out.
 */
export function buildExecutionPlan(graph: Omit<PipelineGraph, 'execution'>): ExecutionPlan {
  // The (one) flow of each view, whose query is inlined where the view is read.
  const viewFlow = new Map<string, ResolvedFlow>();
  for (const f of graph.flows.values()) {
    const t = graph.datasets.get(f.target);
    if (t && !isStored(t)) viewFlow.set(t.name, f);
  }

  function bind(r: ResolvedFlow, key: string): BoundQuery {
    const children: BoundQuery['children'][number][] = r.inputs.map((resolved, index) => {
      const childKey = key === '' ? String(index) : `${key}/${index}`;
      const input = r.flow.query.inputs[index]!;
      const streaming = resolved.streaming;
      if (resolved.kind === 'files')
        return { kind: 'leaf', index, leaf: { key: childKey, input, streaming } };
      const d = graph.datasets.get(resolved.dataset)!;
      if (isStored(d)) return { kind: 'leaf', index, leaf: { key: childKey, input, dataset: d, streaming } };
      return { kind: 'view', index, view: d, bound: bind(viewFlow.get(d.name)!, childKey) };
    });
    return { key, query: r.flow.query, children };
  }

  const leavesOf = (b: BoundQuery): LeafInput[] =>
    b.children.flatMap((c) => (c.kind === 'leaf' ? [c.leaf] : leavesOf(c.bound)));

  const flows: FlowPlan[] = [];
  for (const name of graph.plan.flows) {
    const r = graph.flows.get(name)!;
    const target = graph.datasets.get(r.target)!;
    // Datasets refused at validate (and what reads them) do not run.
    if (!isStored(target) || graph.failed.has(target.name)) continue;
    const bound = bind(r, '');
    const leaves = leavesOf(bound);
    const upstream = [...new Set(leaves.flatMap((l) => (l.dataset ? [l.dataset.name] : [])))];
    flows.push({ kind: flowKind(r, target), flow: r.flow, target, bound, leaves, upstream });
  }
  return { datasets: graph.datasets, flows };
}
