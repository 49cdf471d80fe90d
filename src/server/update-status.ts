/**
 * One update's state as the dashboard shows it, folded from its events: either event-log rows
 * (an update read back, or one another process runs) or the engine's events (an update this
 * server runs, seen before the event log is written). Both folds end in the same JSON.
 *
 * Invariant: events are applied in order; a flow's state is the last one applied, so applying
 * a prefix of an update's events gives the page what it would have shown at that moment.
 * A continuous update runs each flow round after round (QUEUED again after it ended): rows,
 * batches and data-quality counts add up over the rounds, and only a second STARTING within
 * one round counts as a retry.
 */
import {
  type EngineEvent,
  type EventLogRow,
  type FlowResult,
  type SluiceError,
  TERMINAL_UPDATE_STATES,
} from '../index.ts';
import type { ErrorJson, FlowStatusJson, UpdateStatusJson } from './dashboard-types.ts';

const MAX_BATCHES = 50;
const MAX_TRANSITIONS = 100;
/** Flow states that end a flow's run in one round of an update. */
const FLOW_DONE = new Set(['COMPLETED', 'FAILED', 'SKIPPED', 'STOPPED', 'EXCLUDED', 'IDLE']);

/** What a flow's earlier rounds of a continuous update added up to. */
interface Prior {
  rows: number;
  batches: number;
  dropped: number;
  quarantined: number;
  expectations: Map<string, { name: string; dataset: string; passed: number; failed: number }>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer E)[] ? E[] : T[K] };
type FlowState = Mutable<FlowStatusJson>;

/** A SluiceError as the page shows it. */
export function errorJson(e: SluiceError): ErrorJson {
  return {
    code: e.code,
    message: e.message,
    ...(e.dataset !== undefined ? { dataset: e.dataset } : {}),
    ...(e.location !== undefined ? { location: e.location } : {}),
  };
}

interface LoggedLocation {
  readonly path?: string;
  readonly line_number?: number;
  readonly column_number?: number;
}

/** The `flow_progress` payload of an event's details (the fields read here). */
interface FlowProgressDetails {
  readonly status?: string;
  readonly metrics?: { readonly num_output_rows?: number; readonly num_batches?: number };
  readonly duration_ms?: number;
  readonly batch_id?: number;
  readonly table_version?: number;
  readonly data_quality?: {
    readonly dropped_records?: number;
    readonly quarantined_records?: number;
    readonly expectations?: readonly {
      name: string;
      dataset: string;
      passed_records: number;
      failed_records: number;
    }[];
  };
  readonly planning?: { readonly technique?: string; readonly reason?: string };
  readonly skipped_because?: string;
  readonly error_location?: LoggedLocation;
  readonly warning?: { readonly code: string; readonly message: string };
}

function parseDetails(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function loggedError(
  e: { readonly code: string; readonly message: string } | null,
  loc?: LoggedLocation,
  dataset?: string | null,
): ErrorJson | null {
  if (!e) return null;
  return {
    code: e.code,
    message: e.message,
    ...(dataset ? { dataset } : {}),
    ...(loc?.path && loc.line_number !== undefined
      ? {
          location: {
            file: loc.path,
            line: loc.line_number,
            ...(loc.column_number !== undefined ? { column: loc.column_number } : {}),
          },
        }
      : {}),
  };
}

/** See the module comment. */
export class UpdateStatusBuilder {
  readonly updateId: string;
  #state: string | null = null;
  #cause: string | null = null;
  #start: string | null = null;
  #end: string | null = null;
  #fullRefresh = false;
  #fullRefreshSelection: string[] = [];
  #refreshSelection: string[] = [];
  #error: ErrorJson | null = null;
  readonly #flows = new Map<string, FlowState>();
  readonly #prior = new Map<string, Prior>();
  /** Set by the owner: this server runs the update. */
  inProcess = false;

  constructor(updateId: string) {
    this.updateId = updateId;
  }

  /** The last update state applied. */
  get state(): string | null {
    return this.#state;
  }

  get ended(): boolean {
    return this.#state !== null && TERMINAL_UPDATE_STATES.has(this.#state);
  }

  #flow(flow: string, dataset: string): FlowState {
    let f = this.#flows.get(flow);
    if (!f) {
      f = {
        flow,
        dataset,
        state: 'QUEUED',
        transitions: [],
        rowsWritten: null,
        numBatches: null,
        batches: [],
        durationMs: null,
        retries: 0,
        dataQuality: null,
        technique: null,
        planningReason: null,
        skippedBecause: null,
        error: null,
        warnings: [],
      };
      this.#flows.set(flow, f);
    }
    return f;
  }

  #transition(f: FlowState, state: string, at: string): void {
    if (state === 'QUEUED' && FLOW_DONE.has(f.state) && f.transitions.length > 0) this.#nextRound(f);
    if (state === 'STARTING') {
      const roundStart = f.transitions.findLastIndex((t) => t.state === 'QUEUED');
      if (f.transitions.slice(roundStart + 1).some((t) => t.state === 'STARTING')) f.retries++;
    }
    f.state = state;
    f.transitions.push({ state, at });
    if (f.transitions.length > MAX_TRANSITIONS)
      f.transitions.splice(0, f.transitions.length - MAX_TRANSITIONS);
  }

  /** A continuous update queued the flow again: what it did so far becomes the base of its totals. */
  #nextRound(f: FlowState): void {
    const expectations = new Map<string, { name: string; dataset: string; passed: number; failed: number }>();
    for (const x of f.dataQuality?.expectations ?? [])
      expectations.set(`${x.dataset}\u0000${x.name}`, { ...x });
    this.#prior.set(f.flow, {
      rows: f.rowsWritten ?? 0,
      batches: f.numBatches ?? 0,
      dropped: f.dataQuality?.dropped ?? 0,
      quarantined: f.dataQuality?.quarantined ?? 0,
      expectations,
    });
  }

  /** A round's results, added to the flow's earlier rounds. */
  #setTotals(
    f: FlowState,
    round: {
      rows?: number | undefined;
      batches?: number | undefined;
      durationMs?: number | undefined;
      dataQuality?: FlowStatusJson['dataQuality'] | undefined;
    },
  ): void {
    const prior = this.#prior.get(f.flow);
    if (round.rows !== undefined) f.rowsWritten = (prior?.rows ?? 0) + round.rows;
    if (round.batches !== undefined) f.numBatches = (prior?.batches ?? 0) + round.batches;
    if (round.durationMs !== undefined) f.durationMs = round.durationMs;
    const q = round.dataQuality;
    if (!q) return;
    const merged = new Map(prior?.expectations ?? []);
    for (const x of q.expectations) {
      const key = `${x.dataset}\u0000${x.name}`;
      const before = merged.get(key);
      merged.set(key, {
        name: x.name,
        dataset: x.dataset,
        passed: (before?.passed ?? 0) + x.passed,
        failed: (before?.failed ?? 0) + x.failed,
      });
    }
    f.dataQuality = {
      dropped: (prior?.dropped ?? 0) + q.dropped,
      quarantined: (prior?.quarantined ?? 0) + q.quarantined,
      expectations: [...merged.values()],
    };
  }

  #batch(f: FlowState, batchId: number, rows: number, tableVersion: number | null, at: string): void {
    f.batches.push({ batchId, rows, tableVersion, at });
    if (f.batches.length > MAX_BATCHES) f.batches.splice(0, f.batches.length - MAX_BATCHES);
    f.rowsWritten = (f.rowsWritten ?? 0) + rows;
  }

  /** Applies one event-log row of this update. */
  applyRow(row: EventLogRow): void {
    const details = parseDetails(row.details);
    const at = row.timestamp;
    this.#start ??= at;
    switch (row.event_type) {
      case 'create_update': {
        const c = (details.create_update ?? {}) as {
          cause?: string;
          full_refresh?: boolean;
          full_refresh_selection?: string[];
          refresh_selection?: string[];
        };
        this.#cause = c.cause ?? null;
        this.#fullRefresh = c.full_refresh === true;
        this.#fullRefreshSelection = c.full_refresh_selection ?? [];
        this.#refreshSelection = c.refresh_selection ?? [];
        return;
      }
      case 'update_progress': {
        const state = (details.update_progress as { state?: string } | undefined)?.state;
        if (!state) return;
        this.#state = state;
        if (TERMINAL_UPDATE_STATES.has(state)) this.#end = at;
        if (row.error && row.level === 'ERROR') this.#error = loggedError(row.error);
        return;
      }
      case 'planning_information': {
        if (!row.origin.flow_name) return;
        const p = (details.planning_information ?? {}) as { technique?: string; reason?: string };
        const f = this.#flow(row.origin.flow_name, row.origin.dataset_name ?? row.origin.flow_name);
        f.technique = p.technique ?? null;
        f.planningReason = p.reason ?? null;
        return;
      }
      case 'flow_progress':
        this.#applyFlowRow(row, (details.flow_progress ?? {}) as FlowProgressDetails, at);
        return;
      default:
        return; // definitions: the graph comes from validation
    }
  }

  #applyFlowRow(row: EventLogRow, p: FlowProgressDetails, at: string): void {
    if (!row.origin.flow_name) return;
    const f = this.#flow(row.origin.flow_name, row.origin.dataset_name ?? row.origin.flow_name);
    if (row.level === 'METRICS') {
      this.#batch(
        f,
        p.batch_id ?? row.origin.batch_id ?? 0,
        p.metrics?.num_output_rows ?? 0,
        p.table_version ?? null,
        at,
      );
      return;
    }
    if (p.warning) {
      f.warnings.push({ code: p.warning.code, message: p.warning.message });
      return;
    }
    if (p.status) this.#transition(f, p.status, at);
    this.#setTotals(f, {
      rows: p.metrics?.num_output_rows,
      batches: p.metrics?.num_batches,
      durationMs: p.duration_ms,
      dataQuality: p.data_quality
        ? {
            dropped: p.data_quality.dropped_records ?? 0,
            quarantined: p.data_quality.quarantined_records ?? 0,
            expectations: (p.data_quality.expectations ?? []).map((x) => ({
              name: x.name,
              dataset: x.dataset,
              passed: x.passed_records,
              failed: x.failed_records,
            })),
          }
        : undefined,
    });
    if (p.planning) {
      f.technique = p.planning.technique ?? f.technique;
      f.planningReason = p.planning.reason ?? f.planningReason;
    }
    if (p.skipped_because) f.skippedBecause = p.skipped_because;
    if (row.error && row.level === 'ERROR') f.error = loggedError(row.error, p.error_location, f.dataset);
  }

  /** Applies one engine event of this update (an update this server runs). */
  applyEngineEvent(e: EngineEvent, now = new Date()): void {
    const at = now.toISOString();
    this.#start ??= at;
    switch (e.kind) {
      case 'update_created':
        this.#cause = e.cause;
        this.#fullRefresh = e.refresh.fullRefresh === '*';
        this.#fullRefreshSelection = Array.isArray(e.refresh.fullRefresh) ? [...e.refresh.fullRefresh] : [];
        this.#refreshSelection = [...(e.refresh.refresh ?? [])];
        return;
      case 'update_state':
        this.#state = e.state;
        if (TERMINAL_UPDATE_STATES.has(e.state)) this.#end = at;
        if (e.error) this.#error = errorJson(e.error);
        return;
      case 'flow_state': {
        const f = this.#flow(e.flow, e.dataset);
        this.#transition(f, e.state, at);
        if (e.result) this.#applyResult(f, e.result);
        const error = e.error ?? e.result?.error;
        if (error) f.error = errorJson(error);
        return;
      }
      case 'batch_committed':
        this.#batch(this.#flow(e.flow, e.dataset), e.batchId, e.rows, e.tableVersion, at);
        return;
      case 'planning': {
        const f = this.#flow(e.flow, e.dataset);
        f.technique = e.planning.technique;
        f.planningReason = e.planning.reason;
        return;
      }
      case 'flow_warning':
        this.#flow(e.flow, e.dataset).warnings.push(errorJson(e.warning));
        return;
      default: {
        const never: never = e;
        void never;
      }
    }
  }

  #applyResult(f: FlowState, r: FlowResult): void {
    this.#setTotals(f, {
      rows: r.metrics.num_output_rows,
      batches: r.metrics.num_batches,
      durationMs: r.durationMs,
      dataQuality: r.dataQuality
        ? {
            dropped: r.dataQuality.dropped_records,
            quarantined: r.dataQuality.quarantined_records,
            expectations: r.dataQuality.expectations.map((x) => ({
              name: x.name,
              dataset: x.dataset,
              passed: x.passed_records,
              failed: x.failed_records,
            })),
          }
        : undefined,
    });
    if (r.planning) {
      f.technique = r.planning.technique;
      f.planningReason = r.planning.reason;
    }
    if (r.skippedBecause) f.skippedBecause = r.skippedBecause;
  }

  /** The JSON the page gets. `running`: whether a live process still holds the update. */
  toJSON(running: boolean): UpdateStatusJson {
    return {
      updateId: this.updateId,
      state: this.#state,
      cause: this.#cause,
      startTime: this.#start,
      endTime: this.#end,
      running: running && !this.ended,
      inProcess: this.inProcess,
      fullRefresh: this.#fullRefresh,
      fullRefreshSelection: this.#fullRefreshSelection,
      refreshSelection: this.#refreshSelection,
      flows: [...this.#flows.values()].map((f) => ({
        ...f,
        transitions: [...f.transitions],
        batches: [...f.batches],
        warnings: [...f.warnings],
      })),
      error: this.#error,
    };
  }
}
