/**
 * Maintenance of a pipeline's storage: for every Delta table under it (the datasets' tables,
 * quarantine tables and the event log) compaction of small files, expired-log clean-up and
 * vacuum, then a sweep of stale temp files outside the tables. Each step is a storage operation
 * that keeps the table readable with the same rows at every moment (see storage/delta/optimize.ts,
 * log-cleanup.ts, vacuum.ts); this module only decides what runs, in which order, within which
 * time, and collects what happened.
 *
 * Never throws for a table: a step that fails is reported as TABLE_MAINTENANCE_FAILED (with the
 * step's error as cause) and the other steps and tables go on.
 */
import { randomUUID } from 'node:crypto';
import { SluiceError, toSluiceError } from '../../errors/index.ts';
import {
  type CompactionResult,
  cdcStateTables,
  cleanupExpiredLogs,
  compactTable,
  type LogCleanupResult,
  loadSnapshot,
  removeStaleTemps,
  type Snapshot,
  type StoredTable,
  storedTables,
  type TempSweepResult,
  type VacuumResult,
  vacuum,
} from '../../storage/index.ts';
import { crashPoint, type Database } from '../../util/index.ts';
import { acquirePipelineLock } from '../update/lock.ts';
import { AUTO_COMPACT_MIN_FILES, autoCompactionAllowed, MANUAL_COMPACT_MIN_FILES } from './policy.ts';

export type MaintenanceStep = 'compaction' | 'logCleanup' | 'vacuum' | 'temps';

export interface MaintainOptions {
  readonly db: Database;
  /** `auto`: the engine's own pass (thresholds for automatic compaction, table opt-outs honoured). */
  readonly mode: 'auto' | 'manual';
  /** Small files a partition needs to be compacted (default: 50 in auto mode, 2 by hand). */
  readonly minFiles?: number;
  /** Which steps run (default all). */
  readonly steps?: ReadonlySet<MaintenanceStep>;
  /** Only these tables (names as in {@link StoredTable}); default every table. */
  readonly tables?: readonly string[];
  /** Say what would be done; change nothing. */
  readonly dryRun?: boolean;
  /** No step starts after this time (ms since the epoch). */
  readonly deadline?: number;
  /** "Now" for the retention rules (tests); default the clock. */
  readonly now?: number;
  /** The latest snapshot of a table (an update passes its table cache's). */
  readonly snapshot?: (path: string) => Promise<Snapshot>;
}

export interface TableMaintenance {
  readonly table: string;
  readonly path: string;
  readonly compaction?: CompactionResult;
  readonly logCleanup?: LogCleanupResult;
  readonly vacuum?: VacuumResult;
  /** Steps left out, with why (`pipelines.autoOptimize.managed = false`, a concurrent commit, …). */
  readonly skipped: readonly string[];
  /** TABLE_MAINTENANCE_FAILED per failed step. */
  readonly errors: readonly SluiceError[];
}

export interface MaintenanceReport {
  readonly storage: string;
  readonly dryRun: boolean;
  readonly tables: readonly TableMaintenance[];
  /** Stale temp files outside the tables. */
  readonly temps?: TempSweepResult;
  /** Every failure, in order (also under its table). */
  readonly errors: readonly SluiceError[];
  /** True when the deadline stopped the pass before every table was done. */
  readonly incomplete: boolean;
  readonly durationMs: number;
}

/** The name crash points match for maintenance (`SLUICE_CRASH_AT=<point>:maintenance`). */
const CRASH_POINT_NAME = 'maintenance';

const ALL_STEPS: ReadonlySet<MaintenanceStep> = new Set(['compaction', 'logCleanup', 'vacuum', 'temps']);

function failure(table: StoredTable, step: MaintenanceStep | 'read', e: unknown): SluiceError {
  const err = toSluiceError(e);
  return new SluiceError(
    'TABLE_MAINTENANCE_FAILED',
    `${step} of table ${table.name} failed (the table reads as before): ${err.code}: ${err.message}`,
    { params: { table: table.name, path: table.path, step, reason: err.code }, cause: err },
  );
}

/**
 * Maintains every (selected) table under `storage`; see the module comment.
 * @throws SluiceError DATASET_NOT_DEFINED when `opts.tables` names a table that is not there.
 */
export async function maintainStorage(storage: string, opts: MaintainOptions): Promise<MaintenanceReport> {
  const started = Date.now();
  const steps = opts.steps ?? ALL_STEPS;
  const latest = opts.snapshot ?? ((path: string) => loadSnapshot(path, { db: opts.db }));
  const wanted = opts.tables ? new Set(opts.tables) : undefined;
  const stored = await storedTables(storage);
  // AUTO CDC state tables are maintained in every pass that is not limited to named tables.
  const found = wanted
    ? stored.filter((t) => wanted.has(t.name))
    : [...stored, ...(await cdcStateTables(storage))];
  const unknown = [...(wanted ?? [])].filter((n) => !stored.some((t) => t.name === n));
  if (unknown.length > 0) {
    throw new SluiceError(
      'DATASET_NOT_DEFINED',
      `no table ${unknown.map((n) => `'${n}'`).join(', ')} in ${storage}; the pipeline has ${stored.map((t) => t.name).join(', ') || 'no tables yet'}`,
      { dataset: unknown[0] as string, params: { tables: unknown } },
    );
  }
  const errors: SluiceError[] = [];
  const results = new Map<string, TableMaintenance>();
  // Most fragmented first, so a pass cut short by its deadline did the most useful work.
  const planned: { table: StoredTable; snap?: Snapshot }[] = [];
  for (const table of found) {
    try {
      planned.push({ table, snap: await latest(table.path) });
    } catch (e) {
      const err = failure(table, 'read', e);
      errors.push(err);
      results.set(table.name, { table: table.name, path: table.path, skipped: [], errors: [err] });
    }
  }
  planned.sort((a, b) => (b.snap?.files.length ?? 0) - (a.snap?.files.length ?? 0));
  let incomplete = false;
  for (const { table, snap } of planned) {
    if (opts.deadline !== undefined && Date.now() > opts.deadline) {
      incomplete = true;
      break;
    }
    const r = await maintainTable(table, snap as Snapshot, steps, { ...opts, snapshot: latest });
    errors.push(...r.errors);
    results.set(table.name, r);
  }
  let temps: TempSweepResult | undefined;
  if (steps.has('temps') && !incomplete && !wanted) {
    try {
      temps = await removeStaleTemps(storage, {
        ...(opts.now !== undefined ? { now: opts.now } : {}),
        ...(opts.dryRun ? { dryRun: true } : {}),
      });
    } catch (e) {
      errors.push(failure({ name: '(storage)', path: storage }, 'temps', e));
    }
  }
  return {
    storage,
    dryRun: opts.dryRun ?? false,
    tables: found.flatMap((t) => results.get(t.name) ?? []),
    ...(temps ? { temps } : {}),
    errors,
    incomplete,
    durationMs: Date.now() - started,
  };
}

async function maintainTable(
  table: StoredTable,
  snap: Snapshot,
  steps: ReadonlySet<MaintenanceStep>,
  opts: MaintainOptions & { readonly snapshot: (path: string) => Promise<Snapshot> },
): Promise<TableMaintenance> {
  const skipped: string[] = [];
  const errors: SluiceError[] = [];
  const common = {
    db: opts.db,
    ...(opts.dryRun ? { dryRun: true } : {}),
    ...(opts.now !== undefined ? { now: opts.now } : {}),
  };
  let compaction: CompactionResult | undefined;
  let current = snap;
  if (steps.has('compaction')) {
    if (opts.mode === 'auto' && !autoCompactionAllowed(snap.metadata)) {
      skipped.push('compaction: pipelines.autoOptimize.managed = false');
    } else {
      try {
        compaction = await compactTable(table.path, {
          snapshot: snap,
          db: opts.db,
          minFiles:
            opts.minFiles ?? (opts.mode === 'auto' ? AUTO_COMPACT_MIN_FILES : MANUAL_COMPACT_MIN_FILES),
          auto: opts.mode === 'auto',
          ...(opts.dryRun ? { dryRun: true } : {}),
          ...(opts.deadline !== undefined ? { deadline: opts.deadline } : {}),
          // `SLUICE_CRASH_AT=before-commit:maintenance` / `after-commit:maintenance` (torture tests).
          beforeCommit: () => crashPoint('before-commit', CRASH_POINT_NAME),
        });
        if (compaction.version !== undefined) {
          crashPoint('after-commit', CRASH_POINT_NAME);
          current = await opts.snapshot(table.path);
        }
      } catch (e) {
        if (e instanceof SluiceError && e.code === 'DELTA_CONCURRENT_MODIFICATION')
          skipped.push('compaction: a concurrent commit removed a file being compacted');
        else errors.push(failure(table, 'compaction', e));
      }
    }
  }
  let logCleanup: LogCleanupResult | undefined;
  if (steps.has('logCleanup')) {
    try {
      logCleanup = await cleanupExpiredLogs(table.path, { ...common, snapshot: current });
    } catch (e) {
      errors.push(failure(table, 'logCleanup', e));
    }
  }
  let vacuumed: VacuumResult | undefined;
  if (steps.has('vacuum')) {
    try {
      vacuumed = await vacuum(table.path, { ...common, snapshot: current });
    } catch (e) {
      errors.push(failure(table, 'vacuum', e));
    }
  }
  return {
    table: table.name,
    path: table.path,
    ...(compaction ? { compaction } : {}),
    ...(logCleanup ? { logCleanup } : {}),
    ...(vacuumed ? { vacuum: vacuumed } : {}),
    skipped,
    errors,
  };
}

/**
 * `sluice maintain`: maintains the pipeline's storage by hand while holding the pipeline lock
 * (no update runs meanwhile; a dry run changes nothing and takes no lock).
 * @throws SluiceError PIPELINE_ALREADY_RUNNING when an update (or another maintenance) runs.
 */
export async function maintainPipelineStorage(
  storage: string,
  opts: Omit<MaintainOptions, 'mode'>,
): Promise<MaintenanceReport> {
  if (opts.dryRun) return maintainStorage(storage, { ...opts, mode: 'manual' });
  const lock = await acquirePipelineLock(storage, `maintenance-${randomUUID()}`);
  try {
    return await maintainStorage(storage, { ...opts, mode: 'manual' });
  } finally {
    await lock.release();
  }
}
