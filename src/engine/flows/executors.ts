/**
 * One executor per flow kind. To add a flow kind: add it to `FlowKind` (graph/types.ts) and
 * decide it in `flowKind` (graph/execution-plan.ts), write its executor in this folder, and add
 * it to `EXECUTORS` below — the record is keyed by every kind, so a kind without an executor
 * does not compile.
 */
import type { FlowKind } from '../../graph/index.ts';
import { AppendOnceExecutor } from './append-once.ts';
import { AutoCdcExecutor } from './auto-cdc.ts';
import { AutoCdcSnapshotExecutor } from './auto-cdc-snapshot.ts';
import type { FlowExecutor } from './flow-execution.ts';
import { MaterializedViewExecutor } from './materialized-view.ts';
import { StreamJoinExecutor } from './stream-join.ts';
import { StreamingAggregateExecutor } from './streaming-aggregate.ts';
import { StreamingAppendExecutor } from './streaming-append.ts';
import { StreamingDedupExecutor } from './streaming-dedup.ts';

const EXECUTORS = {
  streaming_append: new StreamingAppendExecutor(),
  streaming_aggregate: new StreamingAggregateExecutor(),
  streaming_dedup: new StreamingDedupExecutor(),
  stream_join: new StreamJoinExecutor(),
  append_once: new AppendOnceExecutor(),
  materialized_view: new MaterializedViewExecutor(),
  auto_cdc: new AutoCdcExecutor(),
  auto_cdc_snapshot: new AutoCdcSnapshotExecutor(),
} as const satisfies Record<FlowKind, FlowExecutor>;

/** The executor for a flow kind. */
export function executorFor(kind: FlowKind): FlowExecutor {
  return EXECUTORS[kind];
}
