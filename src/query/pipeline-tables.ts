/**
 * The relations a query over a pipeline can name, and how each one reads:
 * pipeline tables (`<storage>/tables/<schema>/<name>`, quarantine tables included) by
 * `name`, `schema.name` or `catalog.schema.name`; the event log as `event_log`; the views
 * `system.lakeflow.pipeline_events` and `system.lakeflow.flow_progress`.
 * Found from the storage folder alone (no pipeline sources are parsed).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  EVENT_LOG_SCHEMA,
  eventLogPath,
  flowProgressViewSql,
  pipelineEventsViewSql,
} from '../events/index.ts';
import { deltaTypeToDuckDB, latestVersion, loadSnapshot, snapshotScanSql } from '../storage/index.ts';
import type { Database } from '../util/index.ts';

/** What a query needs to know about the pipeline it runs over. */
export interface PipelineQueryTarget {
  readonly name: string;
  /** Absolute storage folder. */
  readonly storage: string;
  /** Spec `schema`/`database`: where unqualified names look first (else `default`). */
  readonly schema?: string;
  readonly catalog?: string;
}

export interface PipelineTable {
  readonly schema: string;
  readonly name: string;
  readonly path: string;
}

const DEFAULT_SCHEMA = 'default';

async function dirs(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}

/** Every Delta table under `<storage>/tables/<schema>/`, sorted by schema then name. */
export async function listPipelineTables(storage: string): Promise<PipelineTable[]> {
  const out: PipelineTable[] = [];
  const root = join(storage, 'tables');
  for (const schema of (await dirs(root)).sort()) {
    for (const name of (await dirs(join(root, schema))).sort()) {
      const path = join(root, schema, name);
      if ((await dirs(path)).includes('_delta_log')) out.push({ schema, name, path });
    }
  }
  return out;
}

/** A relation a name resolved to: SQL producing its rows (given the event log scan when needed). */
export type ResolvedRelation =
  | { readonly kind: 'table'; readonly path: string }
  | { readonly kind: 'event_log' }
  | { readonly kind: 'pipeline_events' }
  | { readonly kind: 'flow_progress' };

/**
 * Resolves a dotted name (parts as written, without a `LIVE.` prefix) against the pipeline.
 * Unqualified names prefer the pipeline's schema, then `default`, then a unique match elsewhere.
 */
export function resolvePipelineName(
  parts: readonly string[],
  target: PipelineQueryTarget,
  tables: readonly PipelineTable[],
): ResolvedRelation | undefined {
  const p = parts.map((x) => x.toLowerCase());
  const last = p.at(-1) ?? '';
  if (p.length >= 2 && p.at(-2) === 'lakeflow' && (p.length === 2 || p[0] === 'system')) {
    if (last === 'pipeline_events') return { kind: 'pipeline_events' };
    if (last === 'flow_progress') return { kind: 'flow_progress' };
    if (last === 'event_log') return { kind: 'event_log' };
  }
  if (p.length === 1 && last === 'event_log' && !tables.some((t) => t.name.toLowerCase() === 'event_log')) {
    return { kind: 'event_log' };
  }
  if (p.length > 3) return undefined;
  if (p.length === 3 && target.catalog !== undefined && p[0] !== target.catalog.toLowerCase())
    return undefined;
  const byName = tables.filter((t) => t.name.toLowerCase() === last);
  if (p.length >= 2) {
    const t = byName.find((x) => x.schema.toLowerCase() === p.at(-2));
    return t ? { kind: 'table', path: t.path } : undefined;
  }
  const preferred = [target.schema?.toLowerCase(), DEFAULT_SCHEMA];
  for (const s of preferred) {
    const t = byName.find((x) => x.schema.toLowerCase() === s);
    if (t) return { kind: 'table', path: t.path };
  }
  return byName.length === 1 ? { kind: 'table', path: byName[0]!.path } : undefined;
}

/** An empty event log with the right columns, for a pipeline that never ran. */
async function eventLogRows(db: Database, storage: string): Promise<string> {
  const path = eventLogPath(storage);
  if ((await latestVersion(path)) !== undefined) return snapshotScanSql(await loadSnapshot(path, { db }));
  return `SELECT ${EVENT_LOG_SCHEMA.fields.map((f) => `CAST(NULL AS ${deltaTypeToDuckDB(f.type)}) AS "${f.name}"`).join(', ')} WHERE false`;
}

/** DuckDB SQL for a resolved relation. */
export async function relationSql(db: Database, r: ResolvedRelation, storage: string): Promise<string> {
  switch (r.kind) {
    case 'table':
      return snapshotScanSql(await loadSnapshot(r.path, { db }));
    case 'event_log':
      return eventLogRows(db, storage);
    case 'pipeline_events':
      return pipelineEventsViewSql(await eventLogRows(db, storage));
    case 'flow_progress':
      return flowProgressViewSql(await eventLogRows(db, storage));
    default: {
      const never: never = r;
      return never;
    }
  }
}
