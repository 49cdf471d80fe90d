import type { SluiceError } from '../errors/index.ts';
import type { Flow, StatefulOperation } from '../model/index.ts';
import { type CheckContext, error, flowLocation, type GraphCheck, isView } from './check-context.ts';
import type { ResolvedFlow } from './types.ts';

/**
 * STREAMING_QUERY_NOT_SUPPORTED: a streaming table's flow runs its query on each micro-batch
 * alone, so an operation that needs the rows of earlier batches — aggregation, DISTINCT, a
 * window function, a stream–stream join or an outer join that keeps a streaming side, INTERSECT /
 * EXCEPT, LIMIT, ORDER BY — would give other rows than Spark, which keeps state across batches
 * (or refuses the query in append mode). Until sluice keeps that state, such queries are refused
 * here, before anything runs. Views are inlined: an operation inside a view read by the flow
 * counts, on the inputs that stream in the view's own query. One-time (`ONCE`) flows and materialized views read
 * batches and are not concerned.
 */
export const streamingQueriesAreStateless: GraphCheck = {
  name: 'streaming queries keep no state',
  run(ctx) {
    const out: SluiceError[] = [];
    for (const r of ctx.resolutions.values()) {
      if (r.kind !== 'resolved_flow' || r.once) continue;
      const target = ctx.index.datasets.get(r.target);
      if (target?.kind !== 'streaming_table') continue;
      checkQuery(ctx, r, r.flow, target.name, [], out);
    }
    return out;
  },
};

/** Checks one query (a flow's, or a view's it reads) and the views it reads in turn. */
function checkQuery(
  ctx: CheckContext,
  r: ResolvedFlow,
  flow: Flow,
  dataset: string,
  seen: readonly string[],
  out: SluiceError[],
): void {
  const streams = (i: number) => r.inputs[i]?.effectiveStreaming === true;
  // A windowed aggregation of a watermarked stream keeps state (flow kind streaming_aggregate)
  // when it is the flow's own query; the analysis says why when it cannot.
  const agg = flow.query.statefulPlan;
  if (agg) {
    const reason =
      agg.kind === 'stateful_refusal'
        ? agg.reason
        : seen.length > 0
          ? `reads a view that aggregates, de-duplicates or joins watermarked streams: only the flow's own query keeps state; move it into the streaming table's query`
          : undefined;
    if (reason)
      out.push(
        error(
          (agg.kind === 'stateful_refusal' ? agg.code : undefined) ?? 'STREAMING_QUERY_NOT_SUPPORTED',
          `streaming table '${dataset}' ${reason}`,
          dataset,
          (agg.kind === 'stateful_refusal' ? agg.location : undefined) ?? flowLocation(ctx, r.flow),
          { operation: statefulOperation(agg) },
        ),
      );
  }
  for (const op of flow.query.stateful ?? []) {
    if (agg && agg.kind !== 'stream_join' && (op.kind === 'aggregate' || op.kind === 'distinct')) continue;
    // dropDuplicatesWithinWatermark's row_number() is the de-duplication itself.
    if (agg?.kind === 'streaming_dedup' && agg.mode === 'within_watermark' && op.kind === 'window') continue;
    // A join of two streams is planned (flow kind stream_join) or refused by its own analysis.
    if (agg && (agg.kind === 'stream_join' || (agg.kind === 'stateful_refusal' && agg.operation === 'join')))
      continue;
    const reason = refusal(op, streams, (i) => inputName(r, i));
    if (!reason) continue;
    out.push(
      error(
        'STREAMING_QUERY_NOT_SUPPORTED',
        `streaming table '${dataset}' ${reason}`,
        dataset,
        op.location ?? flowLocation(ctx, r.flow),
        { operation: op.kind, ...(op.joinType ? { joinType: op.joinType } : {}) },
      ),
    );
  }
  // Operations inside the views this query reads.
  for (const input of r.inputs) {
    if (input.kind !== 'dataset') continue;
    const view = ctx.index.names.resolve(input.name, r.target);
    if (!view || !isView(view) || seen.includes(view.name)) continue;
    for (const vf of ctx.index.flowsByTarget.get(view.name) ?? []) {
      const vr = ctx.resolutions.get(vf.name);
      if (vr?.kind !== 'resolved_flow') continue;
      checkQuery(ctx, vr, vf, dataset, [...seen, view.name], out);
    }
  }
}

/** The operation a stateful plan (or its refusal) stands for, as the error's `operation` param. */
function statefulOperation(plan: NonNullable<Flow['query']['statefulPlan']>): string {
  switch (plan.kind) {
    case 'stateful_refusal':
      return plan.operation;
    case 'streaming_dedup':
      return 'distinct';
    case 'streaming_aggregate':
      return 'aggregate';
    case 'stream_join':
      return 'join';
    default: {
      const never: never = plan;
      return never;
    }
  }
}

function inputName(r: ResolvedFlow, i: number): string {
  const input = r.inputs[i];
  if (!input) return 'an input';
  return input.kind === 'dataset' ? `'${input.name}'` : `read_files('${input.path}')`;
}

const FIX =
  'make it a materialized view (recomputed from batch reads), or read a table without STREAM where its current rows are meant';

/** Why `op` cannot run batch by batch on its streaming inputs, or undefined when it can. */
function refusal(
  op: StatefulOperation,
  streams: (input: number) => boolean,
  name: (input: number) => string,
): string | undefined {
  const streaming = op.inputs.filter(streams);
  if (streaming.length === 0) return undefined;
  const what = streaming.map(name).join(' and ');
  switch (op.kind) {
    case 'aggregate':
      return `aggregates the stream ${what} without a watermark: Spark refuses this in append mode, and run batch by batch it would append partial groups on every update; ${FIX}`;
    case 'distinct':
      return `de-duplicates the stream ${what} (DISTINCT / UNION): across micro-batches that needs state sluice does not keep yet; ${FIX}`;
    case 'window':
      return `uses a window function over the stream ${what}: Spark allows only event-time windows on streams; ${FIX}`;
    case 'set_operation':
      return `uses INTERSECT or EXCEPT with the stream ${what}: that compares whole inputs, which a stream never is; ${FIX}`;
    case 'limit':
      return `applies LIMIT to the stream ${what}: Spark keeps the first rows of the whole stream, while batch by batch it would keep some of every batch; ${FIX}`;
    case 'order':
      return `sorts the stream ${what} (ORDER BY): Spark refuses sorting a stream, and a table keeps no order — drop the ORDER BY`;
    case 'join':
      return joinRefusal(op, streams, name);
    default: {
      const never: never = op.kind;
      return never;
    }
  }
}

function joinRefusal(
  op: StatefulOperation,
  streams: (input: number) => boolean,
  name: (input: number) => string,
): string | undefined {
  const [left, right] = op.sides ?? [op.inputs, []];
  const leftStreams = left.some(streams);
  const rightStreams = right.some(streams);
  if (leftStreams && rightStreams) {
    const both = [...left.filter(streams), ...right.filter(streams)].map(name).join(' and ');
    return `joins two streams (${both}) that are not both watermarked streaming reads of the join itself: sluice keeps a stream–stream join's state only for FROM STREAM(a) WATERMARK … JOIN STREAM(b) WATERMARK … ON an equality and an event-time range; join the stream with a table read as a batch (drop STREAM on one side), or ${FIX}`;
  }
  const type = (op.joinType ?? 'INNER').toUpperCase();
  // An outer join must keep the rows of its outer side until no later batch can match them:
  // Spark refuses it when that side is the static one and the other streams.
  const keepsStreamingSide =
    (type === 'LEFT' && rightStreams) ||
    (type === 'RIGHT' && leftStreams) ||
    type === 'OUTER' ||
    ((type === 'SEMI' || type === 'ANTI') && rightStreams);
  if (!keepsStreamingSide) return undefined;
  const side = (leftStreams ? left : right).filter(streams).map(name).join(' and ');
  return `${type === 'OUTER' ? 'full-outer-joins' : `${type.toLowerCase()}-joins`} the stream ${side} on the side Spark cannot join batch by batch: Spark refuses this join of a stream with a static table; ${FIX}`;
}
