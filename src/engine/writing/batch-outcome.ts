import type { ExpectationMetrics } from '../engine-events.ts';

/** What one batch did. Invariant: outputRows + droppedRows + quarantinedRows = inputRows. */
export interface BatchOutcome {
  readonly inputRows: number;
  readonly outputRows: number;
  readonly outputBytes: number;
  /** Source files the batch read. */
  readonly files: number;
  readonly droppedRows: number;
  readonly quarantinedRows: number;
  readonly expectations: readonly ExpectationMetrics[];
  /** AUTO CDC flows: rows upserted into and deleted from the target (Lakeflow's CDC metrics). */
  readonly cdc?: { readonly upsertedRows: number; readonly deletedRows: number };
  /** Target table version the batch committed (absent when it committed nothing new). */
  readonly tableVersion?: number;
  /** Stateful flows: the state after the batch (Spark's stateOperators / eventTime progress). */
  readonly stateful?: StatefulProgress;
}

/** A stateful batch's progress: its watermark, the rows kept in state and the late rows dropped. */
export interface StatefulProgress {
  /** Event-time watermark after the batch, microseconds since the epoch (null before any event). */
  readonly watermark: number | null;
  readonly stateRows: number;
  /** The state file's size; null for a batch of a fused group but its last (no state file of its own). */
  readonly stateBytes: number | null;
  readonly lateRowsDropped: number;
}

export function zeroOutcome(): BatchOutcome {
  return {
    inputRows: 0,
    outputRows: 0,
    outputBytes: 0,
    files: 0,
    droppedRows: 0,
    quarantinedRows: 0,
    expectations: [],
  };
}

/** The sum of two outcomes; expectation counts add up per (dataset, expectation). */
export function addOutcome(a: BatchOutcome, b: BatchOutcome): BatchOutcome {
  const key = (e: { name: string; dataset: string }) => `${e.dataset}.${e.name}`;
  const byName = new Map(a.expectations.map((e) => [key(e), e]));
  for (const e of b.expectations) {
    const prev = byName.get(key(e));
    byName.set(
      key(e),
      prev
        ? {
            ...prev,
            passed_records: prev.passed_records + e.passed_records,
            failed_records: prev.failed_records + e.failed_records,
          }
        : e,
    );
  }
  return {
    inputRows: a.inputRows + b.inputRows,
    outputRows: a.outputRows + b.outputRows,
    outputBytes: a.outputBytes + b.outputBytes,
    files: a.files + b.files,
    droppedRows: a.droppedRows + b.droppedRows,
    quarantinedRows: a.quarantinedRows + b.quarantinedRows,
    expectations: [...byName.values()],
    ...(a.cdc || b.cdc
      ? {
          cdc: {
            upsertedRows: (a.cdc?.upsertedRows ?? 0) + (b.cdc?.upsertedRows ?? 0),
            deletedRows: (a.cdc?.deletedRows ?? 0) + (b.cdc?.deletedRows ?? 0),
          },
        }
      : {}),
  };
}
