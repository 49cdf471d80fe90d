import { SluiceError } from '../../errors/index.ts';
import type { ExecutionPlan } from '../../graph/index.ts';
import { removeAll, tableFolder } from '../../storage/index.ts';
import { RESET_APP_ID } from '../checkpoints/flow-checkpoint.ts';
import type { RefreshSelection } from '../engine-events.ts';
import type { TableCache } from '../tables/table-cache.ts';
import { quarantineTablePath } from '../writing/quarantine.ts';

/** What an update is asked to refresh (see `runUpdate`). */
export interface RefreshOptions {
  /** Datasets to refresh incrementally; the rest are EXCLUDED. */
  readonly refresh?: readonly string[];
  /** Datasets to reset and recompute. */
  readonly fullRefresh?: readonly string[];
  readonly fullRefreshAll?: boolean;
}

/**
 * Checks refresh options before anything runs.
 * @throws SluiceError CONFLICTING_PIPELINE_REFRESH_OPTIONS
 */
export function refreshSelection(o: RefreshOptions): RefreshSelection {
  const refresh = o.refresh?.length ? o.refresh : undefined;
  const full = o.fullRefresh?.length ? o.fullRefresh : undefined;
  if (o.fullRefreshAll && (refresh || full)) {
    throw new SluiceError(
      'CONFLICTING_PIPELINE_REFRESH_OPTIONS',
      '--full-refresh-all cannot be combined with --refresh or --full-refresh',
    );
  }
  const both = refresh?.filter((d) => full?.includes(d)) ?? [];
  if (both.length > 0) {
    throw new SluiceError(
      'CONFLICTING_PIPELINE_REFRESH_OPTIONS',
      `dataset${both.length > 1 ? 's' : ''} ${both.join(', ')} cannot be in both --refresh and --full-refresh`,
      { params: { datasets: both } },
    );
  }
  if (o.fullRefreshAll) return { fullRefresh: '*' };
  return { ...(refresh ? { refresh } : {}), ...(full ? { fullRefresh: full } : {}) };
}

/**
 * Names of the stored datasets this update touches: all of them, or those named.
 * @throws SluiceError DATASET_NOT_DEFINED for a name the pipeline does not define.
 */
export function selectedDatasets(plan: ExecutionPlan, selection: RefreshSelection): Set<string> {
  const all = new Set(plan.flows.map((f) => f.target.name));
  const named = [
    ...(selection.refresh ?? []),
    ...(Array.isArray(selection.fullRefresh) ? selection.fullRefresh : []),
  ];
  for (const n of named) {
    if (!plan.datasets.has(n)) {
      throw new SluiceError(
        'DATASET_NOT_DEFINED',
        `dataset '${n}' named in a refresh option is not defined`,
        {
          dataset: n,
        },
      );
    }
  }
  if (named.length === 0) return all;
  return new Set(named.filter((n) => all.has(n)));
}

/**
 * Full refresh: truncates each selected table in one commit that also bumps its reset
 * generation (see flow-checkpoint.ts), so its flows start over. Returns the datasets to recompute.
 * @throws SluiceError TABLE_NOT_RESETTABLE for a table named explicitly that forbids resets.
 */
export async function resetTables(
  tables: TableCache,
  storage: string,
  plan: ExecutionPlan,
  selection: RefreshSelection,
  selected: ReadonlySet<string>,
): Promise<Set<string>> {
  const targets =
    selection.fullRefresh === '*'
      ? [...selected]
      : (selection.fullRefresh ?? []).filter((n) => selected.has(n));
  const datasets = targets.map((n) => plan.datasets.get(n)!);
  const protectedOnes = datasets.filter(
    (d) => d.properties['pipelines.reset.allowed']?.toLowerCase() === 'false',
  );
  if (selection.fullRefresh !== '*' && protectedOnes.length > 0) {
    throw new SluiceError(
      'TABLE_NOT_RESETTABLE',
      `cannot fully refresh ${protectedOnes.map((d) => `'${d.name}'`).join(', ')}: table property pipelines.reset.allowed = false`,
      { dataset: protectedOnes[0]!.name, params: { datasets: protectedOnes.map((d) => d.name) } },
    );
  }
  const forced = new Set<string>();
  for (const d of datasets) {
    if (protectedOnes.includes(d)) continue;
    forced.add(d.name);
    const path = tableFolder(storage, d);
    await truncate(tables, path, true);
    await truncate(tables, quarantineTablePath(storage, d), false);
  }
  return forced;
}

async function truncate(tables: TableCache, path: string, bumpGeneration: boolean): Promise<void> {
  if ((await tables.version(path)) === undefined) return;
  const snap = await tables.snapshot(path);
  const generation = (snap.txns.get(RESET_APP_ID) ?? 0) + 1;
  await tables.commit(
    path,
    removeAll(snap).map((remove) => ({ remove })),
    {
      readVersion: snap.version,
      snapshot: snap,
      operation: 'TRUNCATE',
      operationParameters: { reason: 'full refresh' },
      isBlindAppend: false,
      ...(bumpGeneration ? { txn: { appId: RESET_APP_ID, version: generation } } : {}),
    },
  );
}
