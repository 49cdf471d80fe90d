/**
 * The event recorder: an EngineListener that turns engine events into event-log rows
 * (`<storage>/system/event_log`, Lakeflow's columns and `details` shapes) and appends them
 * while the update runs.
 *
 * Buffering: every event gets its sequence number when it arrives (so sequence order is the
 * engine's order); rows are appended in batches: every event is flushed by a timer (at most
 * `flushDelayMs` after it arrives, default 1 s, in the background — the update never waits for
 * it) or with the next flush, and the terminal state is written before the listener returns. So
 * an update costs one event-log commit per second while it runs plus one at its end, not one per
 * event (a short update: one commit).
 * A killed update keeps everything flushed before it died (at most the last second is lost), and
 * the next update records its abnormal end (see `openUpdates`). The terminal update state
 * flushes everything and closes the writer, so nothing is lost on a clean exit. A failing event
 * log never fails the update.
 */

import { basename } from 'node:path';
import {
  type EngineEvent,
  type EngineListener,
  type FlowResult,
  type ResolvedPipeline,
  TERMINAL_FLOW_STATES,
} from '../engine/index.ts';
import { SluiceError } from '../errors/index.ts';
import {
  type EventError,
  type EventLevel,
  type EventLogRow,
  EventLogWriter,
  type EventOrigin,
  type EventType,
  markUpdateClosed,
  markUpdateOpen,
  openUpdates,
  TERMINAL_UPDATE_STATES,
} from '../events/index.ts';
import { type Dataset, type Flow, isStored } from '../model/index.ts';
import { tableFolder } from '../storage/index.ts';
import type { Database } from '../util/index.ts';

/** Default for `EventRecorderOptions.flushDelayMs`. */
export const DEFAULT_FLUSH_DELAY_MS = 1000;

export interface EventRecorderOptions {
  /** How long non-urgent events may wait in the buffer (default 1000 ms). */
  readonly flushDelayMs?: number;
  /** Called when writing the event log fails (the update goes on). */
  readonly onError?: (error: SluiceError) => void;
}

/** Converts any error and its `cause` chain to the event log's error struct. */
export function eventError(e: unknown): EventError {
  const head = describe(e);
  const causes: EventError['causes'][number][] = [];
  let c = e instanceof Error ? e.cause : undefined;
  for (let depth = 0; c !== undefined && c !== null && depth < 10; depth++) {
    const d = describe(c);
    causes.push({ code: d.code, message: d.message });
    c = c instanceof Error ? c.cause : undefined;
  }
  return { code: head.code ?? 'INTERNAL', message: head.message, causes };
}

function describe(e: unknown): { code: string | null; message: string } {
  if (e instanceof SluiceError) return { code: e.code, message: e.message };
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return { code: typeof code === 'string' ? code : null, message: e.message };
  }
  return { code: null, message: String(e) };
}

function datasetType(d: Dataset): string {
  switch (d.kind) {
    case 'streaming_table':
      return 'STREAMING_TABLE';
    case 'materialized_view':
      return 'MATERIALIZED_VIEW';
    case 'temporary_view':
      return 'TEMPORARY_VIEW';
    case 'persisted_view':
      return 'VIEW';
    default: {
      const never: never = d.kind;
      return never;
    }
  }
}

function location(l: { file: string; line: number; column?: number } | undefined): unknown {
  return l
    ? { path: l.file, line_number: l.line, ...(l.column !== undefined ? { column_number: l.column } : {}) }
    : null;
}

function flowResultDetails(r: FlowResult | undefined): Record<string, unknown> {
  if (!r) return {};
  const out: Record<string, unknown> = {
    metrics: { ...r.metrics },
    duration_ms: r.durationMs,
  };
  if (r.dataQuality) {
    out.data_quality = {
      dropped_records: r.dataQuality.dropped_records,
      quarantined_records: r.dataQuality.quarantined_records,
      expectations: r.dataQuality.expectations.map((x) => ({
        name: x.name,
        dataset: x.dataset,
        passed_records: x.passed_records,
        failed_records: x.failed_records,
      })),
    };
  }
  if (r.planning) out.planning = { technique: r.planning.technique, reason: r.planning.reason };
  if (r.skippedBecause) out.skipped_because = r.skippedBecause;
  return out;
}

/** See the module comment. Use `listener` as an EngineListener for one update. */
export class EventRecorder {
  readonly listener: EngineListener = (e) => this.onEvent(e);
  readonly #pipeline: ResolvedPipeline;
  readonly #options: EventRecorderOptions;
  #writer: EventLogWriter | undefined;
  #disabled = false;
  #buffer: EventLogRow[] = [];
  #timer: NodeJS.Timeout | undefined;
  #updateId: string | undefined;
  /** Dead updates whose abnormal end this update recorded. */
  #recorded: string[] = [];

  readonly #db: Database;

  constructor(db: Database, pipeline: ResolvedPipeline, options: EventRecorderOptions = {}) {
    this.#db = db;
    this.#pipeline = pipeline;
    this.#options = options;
  }

  /** The pipeline id recorded in `origin.pipeline_id` (known once the update started). */
  get pipelineId(): string | undefined {
    return this.#writer?.pipelineId;
  }

  /** Records one engine event (the listener's body); does nothing once the event log is disabled. */
  async onEvent(e: EngineEvent): Promise<void> {
    if (this.#disabled) return;
    switch (e.kind) {
      case 'update_created':
        await this.#start(e);
        return;
      case 'update_state':
        await this.#onUpdateState(e);
        return;
      case 'flow_state':
        this.#onFlowState(e);
        return;
      case 'batch_committed':
        this.#onBatchCommitted(e);
        return;
      case 'planning':
        this.#onPlanning(e);
        return;
      case 'flow_warning':
        this.#add({
          type: 'flow_progress',
          level: 'WARN',
          message: `Flow '${e.flow}': ${e.warning.code}: ${e.warning.message}`,
          details: { flow_progress: { status: 'RUNNING', warning: eventError(e.warning) } },
          error: eventError(e.warning),
          flow: e.flow,
          dataset: e.dataset,
        });
        this.#schedule();
        return;
      default: {
        const never: never = e;
        return never;
      }
    }
  }

  /**
   * Records an update state change; a terminal state flushes, closes the writer and removes the
   * open-update markers, any other state updates this update's marker.
   */
  async #onUpdateState(e: Extract<EngineEvent, { kind: 'update_state' }>): Promise<void> {
    const terminal = TERMINAL_UPDATE_STATES.has(e.state);
    this.#add({
      type: 'update_progress',
      level: e.state === 'FAILED' ? 'ERROR' : 'INFO',
      message: `Update ${e.updateId.slice(0, 8)} is ${e.state}.${e.error ? ` ${e.error.code}: ${e.error.message}` : ''}`,
      details: { update_progress: { state: e.state } },
      error: e.error ? eventError(e.error) : null,
    });
    if (terminal) {
      await this.close();
      await this.#closeMarker(e.updateId);
    } else {
      await this.#mark(e.updateId, e.state);
      this.#schedule();
    }
  }

  /** Buffers a `flow_progress` row for a flow state change (with its result when it has one). */
  #onFlowState(e: Extract<EngineEvent, { kind: 'flow_state' }>): void {
    const terminal = TERMINAL_FLOW_STATES.has(e.state);
    const error = e.error ?? e.result?.error;
    const level: EventLevel = e.state === 'FAILED' ? 'ERROR' : e.state === 'SKIPPED' ? 'WARN' : 'INFO';
    const verb = terminal ? 'has' : 'is';
    const why = error
      ? `: ${error.code}: ${error.message}`
      : e.result?.skippedBecause
        ? ` because upstream flow '${e.result.skippedBecause}' failed`
        : '';
    this.#add({
      type: 'flow_progress',
      level,
      message: `Flow '${e.flow}' ${verb} ${e.state}${why}.`,
      details: {
        flow_progress: {
          status: e.state,
          ...flowResultDetails(e.result),
          // Where in the user's sources the failure points (the error struct has no place for it).
          ...(error?.location ? { error_location: location(error.location) } : {}),
        },
      },
      error: error ? eventError(error) : null,
      flow: e.flow,
      dataset: e.dataset,
    });
    this.#schedule();
  }

  /** Buffers a METRICS `flow_progress` row for a committed batch. */
  #onBatchCommitted(e: Extract<EngineEvent, { kind: 'batch_committed' }>): void {
    this.#add({
      type: 'flow_progress',
      level: 'METRICS',
      message: `Flow '${e.flow}' committed batch ${e.batchId}: ${e.rows} rows (table version ${e.tableVersion}).`,
      details: {
        flow_progress: {
          status: 'RUNNING',
          metrics: {
            num_output_rows: e.rows,
            ...(e.cdc ? { num_upserted_rows: e.cdc.upsertedRows, num_deleted_rows: e.cdc.deletedRows } : {}),
          },
          batch_id: e.batchId,
          table_version: e.tableVersion,
          // Spark's progress names: the watermark and each stateful operator's rows.
          ...(e.stateful
            ? {
                event_time: {
                  watermark:
                    e.stateful.watermark === null
                      ? null
                      : new Date(Math.floor(e.stateful.watermark / 1000)).toISOString(),
                },
                state_operators: [
                  {
                    num_rows_total: e.stateful.stateRows,
                    state_bytes: e.stateful.stateBytes,
                    num_rows_dropped_by_watermark: e.stateful.lateRowsDropped,
                  },
                ],
              }
            : {}),
        },
      },
      flow: e.flow,
      dataset: e.dataset,
      batchId: e.batchId,
    });
    this.#schedule();
  }

  /** Buffers a `planning_information` row: the technique chosen for a flow and why. */
  #onPlanning(e: Extract<EngineEvent, { kind: 'planning' }>): void {
    const t = e.planning.technique;
    this.#add({
      type: 'planning_information',
      level: 'INFO',
      message: `Flow '${e.flow}' planned as ${t}: ${e.planning.reason}.`,
      details: {
        planning_information: {
          technique: t,
          reason: e.planning.reason,
          technique_information: [
            {
              maintenance_type: `MAINTENANCE_TYPE_${t}`,
              is_chosen: true,
              is_applicable: true,
              reason: e.planning.reason,
            },
          ],
        },
      },
      flow: e.flow,
      dataset: e.dataset,
    });
    this.#schedule();
  }

  /** Appends everything buffered. Never throws (failures go to `onError`; rows are kept for a retry). */
  async flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const writer = this.#writer;
    if (!writer || this.#buffer.length === 0) return;
    const rows = this.#buffer;
    this.#buffer = [];
    try {
      await writer.write(rows);
    } catch (err) {
      this.#buffer = [...rows, ...this.#buffer];
      this.#report(err);
    }
  }

  /** Flushes and releases the writer's DuckDB connection. */
  async close(): Promise<void> {
    await this.flush();
    await this.#writer?.close();
  }

  async #start(e: Extract<EngineEvent, { kind: 'update_created' }>): Promise<void> {
    this.#updateId = e.updateId;
    try {
      this.#writer = await EventLogWriter.open(this.#db, this.#pipeline.storage);
    } catch (err) {
      this.#disabled = true;
      this.#report(err);
      return;
    }
    await this.#recordAbnormalEnds(e);
    this.#recordRepairs(this.#writer.repaired);
    const sel = e.refresh;
    this.#add({
      type: 'create_update',
      level: 'INFO',
      message: `Update ${e.updateId.slice(0, 8)} started by ${e.cause}.`,
      details: {
        create_update: {
          cause: e.cause,
          full_refresh: sel.fullRefresh === '*',
          full_refresh_selection: Array.isArray(sel.fullRefresh) ? sel.fullRefresh : [],
          refresh_selection: sel.refresh ?? [],
        },
      },
    });
    const flowsByTarget = new Map<string, Flow[]>();
    for (const f of this.#pipeline.flows)
      flowsByTarget.set(f.target, [...(flowsByTarget.get(f.target) ?? []), f]);
    for (const d of this.#pipeline.datasets) this.#addDatasetDefinition(d, flowsByTarget.get(d.name) ?? []);
    for (const f of this.#pipeline.flows) this.#addFlowDefinition(f);
    this.#schedule();
  }

  /**
   * Marks updates that never reached a terminal state (their process died) as FAILED, plus the
   * one whose stale lock the engine recovered. Runs under the pipeline lock, so none of them can
   * still be running.
   */
  async #recordAbnormalEnds(e: Extract<EngineEvent, { kind: 'update_created' }>): Promise<void> {
    const storage = this.#pipeline.storage;
    const dead = new Map<string, string | undefined>();
    try {
      for (const u of await openUpdates(storage))
        if (u.updateId !== e.updateId) dead.set(u.updateId, u.state);
    } catch (err) {
      this.#report(err);
    }
    if (e.previousAbnormal && !dead.has(e.previousAbnormal.updateId))
      dead.set(e.previousAbnormal.updateId, undefined);
    await this.#mark(e.updateId, undefined);
    for (const [id, lastState] of dead) {
      const error = new SluiceError(
        'UPDATE_ENDED_ABNORMALLY',
        `update ${id} ended abnormally: its process stopped${lastState ? ` while ${lastState}` : ''} before the update finished (detected by update ${e.updateId})`,
        { params: { updateId: id, lastState: lastState ?? null, detectedBy: e.updateId } },
      );
      this.#add({
        type: 'update_progress',
        level: 'ERROR',
        message: `Update ${id.slice(0, 8)} is FAILED. It ended abnormally${lastState ? ` while ${lastState}` : ''}; detected by update ${e.updateId.slice(0, 8)}.`,
        details: {
          update_progress: {
            state: 'FAILED',
            abnormal_termination: {
              last_state: lastState ?? null,
              detected_by_update_id: e.updateId,
              ...(e.previousAbnormal?.updateId === id ? { started_at: e.previousAbnormal.startedAt } : {}),
            },
          },
        },
        error: eventError(error),
        updateId: id,
      });
    }
    this.#recorded = [...dead.keys()];
  }

  /** Says, in the log and to `onError`, which damaged commits of the event log were replaced. */
  #recordRepairs(repaired: EventLogWriter['repaired']): void {
    if (repaired.length === 0) return;
    const what = repaired
      .map(
        (r) =>
          `commit ${r.version}${r.keptAs ? ` (kept as ${basename(r.keptAs)}; ${r.keptFiles} event files kept)` : ' (missing)'}`,
      )
      .join(', ');
    const warning = new SluiceError(
      'EVENT_LOG_REPAIRED',
      `the event log had unreadable commits and they were replaced: ${what}; the events in what could not be read are lost`,
      { params: { versions: repaired.map((r) => r.version) } },
    );
    this.#add({
      type: 'update_progress',
      level: 'WARN',
      message: warning.message,
      details: { update_progress: { event_log_repair: repaired } },
      error: eventError(warning),
    });
    this.#report(warning);
  }

  /** Records the update's latest state in its open-update marker (never fails the update). */
  async #mark(updateId: string, state: string | undefined): Promise<void> {
    try {
      await markUpdateOpen(this.#pipeline.storage, updateId, state);
    } catch (err) {
      this.#report(err);
    }
  }

  /** Once the terminal state is in the log: removes this update's marker and those it recorded as dead. */
  async #closeMarker(updateId: string): Promise<void> {
    if (this.#buffer.length > 0) return; // not written: the next update reports it
    try {
      for (const id of [...this.#recorded, updateId]) await markUpdateClosed(this.#pipeline.storage, id);
    } catch (err) {
      this.#report(err);
    }
  }

  #addDatasetDefinition(d: Dataset, flows: readonly Flow[]): void {
    const stored = isStored(d);
    this.#add({
      type: 'dataset_definition',
      level: 'INFO',
      message: `Dataset '${d.name}' defined as ${datasetType(d)}.`,
      details: {
        dataset_definition: {
          dataset_type: datasetType(d),
          dataset_name: d.name,
          schema_name: d.schema ?? null,
          num_flows: flows.length,
          flow_names: flows.map((f) => f.name),
          comment: d.comment ?? null,
          schema:
            d.columns?.map((c) => ({ name: c.name, data_type: c.type ?? null, nullable: c.nullable })) ??
            null,
          expectations: d.expectations.map((x) => ({
            name: x.name,
            expression: x.expression,
            action: x.action,
          })),
          table_properties: d.properties,
          partition_columns: d.partitionBy,
          cluster_columns: d.clusterBy,
          storage_location: stored ? tableFolder(this.#pipeline.storage, d) : null,
          language: d.language,
          source_code_location: location(d.location),
        },
      },
      dataset: d.name,
    });
  }

  #addFlowDefinition(f: Flow): void {
    const target = this.#pipeline.datasets.find((d) => d.name === f.target);
    const inputs = f.query.inputs.map((i) => (i.kind === 'dataset' ? i.name : `read_files(${i.path})`));
    this.#add({
      type: 'flow_definition',
      level: 'INFO',
      message: `Flow '${f.name}' defined: writes '${f.target}' from ${inputs.length ? inputs.join(', ') : 'no inputs'}.`,
      details: {
        flow_definition: {
          output_dataset: f.target,
          input_datasets: inputs,
          flow_type: target?.kind === 'materialized_view' ? 'COMPLETE' : 'APPEND',
          is_append_flow: f.role === 'append',
          streaming_inputs: f.query.inputs.filter((i) => i.streaming).length,
          schema: f.query.outputColumns ?? null,
          query_text: f.query.source,
          language: f.language,
          source_code_location: location(f.location),
        },
      },
      flow: f.name,
      dataset: f.target,
    });
  }

  #add(x: {
    type: EventType;
    level: EventLevel;
    message: string;
    details: unknown;
    error?: EventError | null;
    flow?: string;
    dataset?: string;
    batchId?: number;
    updateId?: string;
  }): void {
    if (!this.#writer) return;
    const origin: EventOrigin = {
      pipeline_name: this.#pipeline.name,
      pipeline_id: this.#writer.pipelineId,
      update_id: x.updateId ?? this.#updateId ?? null,
      flow_name: x.flow ?? null,
      dataset_name: x.dataset ?? null,
      batch_id: x.batchId ?? null,
    };
    this.#buffer.push(
      this.#writer.stamp({
        origin,
        timestamp: new Date().toISOString(),
        message: x.message,
        level: x.level,
        error: x.error ?? null,
        details: JSON.stringify(x.details),
        event_type: x.type,
      }),
    );
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#options.flushDelayMs ?? DEFAULT_FLUSH_DELAY_MS);
    // A pending timer must not keep the process alive; the terminal state flushes anyway.
    this.#timer.unref();
  }

  #report(err: unknown): void {
    const e =
      err instanceof SluiceError
        ? err
        : new SluiceError(
            'IO_ERROR',
            `writing the event log failed: ${(err as Error)?.message ?? String(err)}`,
            { cause: err },
          );
    this.#options.onError?.(e);
  }
}
