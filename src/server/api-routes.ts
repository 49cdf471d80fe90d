/**
 * The JSON API of one pipeline, `/api/p/<id>/…`. Reads go through the pipeline's monitor (its
 * storage, addressed by table name or update id) and its validated graph (its library files);
 * nothing else on disk is reachable. Writes (`POST updates`, `POST stop`) go through the runner.
 */
import { readFile } from 'node:fs/promises';
import { type EventLogRow, SluiceError, type UpdateRecord } from '../index.ts';
import type {
  EventJson,
  EventsJson,
  QualityJson,
  RowsJson,
  SourceFileJson,
  TableJson,
  TableListJson,
  UpdateRowJson,
  UpdatesJson,
} from './dashboard-types.ts';
import type { PipelineContext } from './pipeline-context.ts';
import { parseStartRequest } from './update-runner.ts';

/** One API call: the path after `/api/p/<id>/`, split on '/', and its query. */
export interface ApiCall {
  readonly method: string;
  readonly path: readonly string[];
  readonly query: URLSearchParams;
  readonly body: unknown;
}

function notFound(what: string): SluiceError {
  return new SluiceError('UI_NOT_FOUND', what, {});
}

function int(q: URLSearchParams, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = q.get(name);
  if (v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw new SluiceError('USAGE', `'${name}' must be a whole number from 0 to ${max}, got '${v}'`);
  return n;
}

function list(q: URLSearchParams, name: string): string[] | undefined {
  const v = q.get(name);
  const items = v
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items?.length ? items : undefined;
}

function updateRow(u: UpdateRecord): UpdateRowJson {
  const end = u.endTime ? Date.parse(u.endTime) : undefined;
  return {
    updateId: u.updateId,
    state: u.state,
    cause: u.cause,
    startTime: u.startTime,
    endTime: u.endTime,
    durationMs: end === undefined ? null : end - Date.parse(u.startTime),
    rowsWritten: u.rowsWritten,
    errors: u.errors,
    warnings: u.warnings,
    errorCode: u.errorCode,
    fullRefresh: u.fullRefresh,
    fullRefreshSelection: u.fullRefreshSelection,
    refreshSelection: u.refreshSelection,
  };
}

function eventJson(r: EventLogRow): EventJson {
  return {
    sequence: r.sequence,
    timestamp: r.timestamp,
    level: r.level,
    eventType: r.event_type,
    message: r.message,
    updateId: r.origin.update_id,
    flow: r.origin.flow_name,
    dataset: r.origin.dataset_name,
    batchId: r.origin.batch_id,
    error: r.error ? { code: r.error.code, message: r.error.message } : null,
    details: r.details,
  };
}

/** Answers one API call for `ctx`. @throws SluiceError (mapped to an HTTP status by the server) */
export async function answer(ctx: PipelineContext, call: ApiCall): Promise<unknown> {
  const [first, second, third] = call.path;
  if (call.method === 'POST') {
    if (first === 'updates' && second === undefined) {
      const updateId = await ctx.runner.start(parseStartRequest(call.body));
      return { updateId };
    }
    if (first === 'stop' && second === undefined) return ctx.runner.stop();
    throw notFound(`no API route POST ${call.path.join('/')}`);
  }
  if (call.method !== 'GET') throw notFound(`no API route ${call.method} ${call.path.join('/')}`);
  switch (first) {
    case 'graph':
      return ctx.graph();
    case 'status':
      return ctx.status(call.query.get('update') ?? undefined);
    case 'updates':
      return second === undefined ? updates(ctx, call.query) : ctx.status(second);
    case 'quality':
      return quality(ctx, int(call.query, 'updates', 20, 200));
    case 'quarantine':
      return quarantine(ctx, call.query);
    case 'events':
      return events(ctx, call.query);
    case 'tables':
      if (second === undefined) return tables(ctx);
      if (third === undefined) return table(ctx, decodeURIComponent(second), call.query);
      if (third === 'rows') return rows(ctx, decodeURIComponent(second), call.query);
      break;
    case 'source':
      return source(ctx, call.query.get('dataset') ?? '');
    default:
      break;
  }
  throw notFound(`no API route GET ${call.path.join('/')}`);
}

async function updates(ctx: PipelineContext, q: URLSearchParams): Promise<UpdatesJson> {
  await ctx.sync();
  const index = await ctx.monitor.events();
  await index.complete();
  const all = index.updates();
  const offset = int(q, 'offset', 0);
  const limit = int(q, 'limit', 50, 500);
  const newest = all.slice().reverse();
  return { total: all.length, updates: newest.slice(offset, offset + limit).map(updateRow) };
}

async function quality(ctx: PipelineContext, last: number): Promise<QualityJson> {
  await ctx.sync();
  const index = await ctx.monitor.events();
  await index.complete();
  const recent = index.updates().slice(-last);
  const counts = await index.expectations(recent.map((u) => u.updateId));
  const { graph } = await ctx.validation();
  const position = new Map(recent.map((u, i) => [u.updateId, i]));
  const byKey = new Map<
    string,
    QualityJson['expectations'][number] & { history: ({ passed: number; failed: number } | null)[] }
  >();
  const declared = (dataset: string, name: string) =>
    graph.datasets.find((d) => d.name === dataset)?.expectations.find((x) => x.name === name);
  // Declared expectations first, in definition order, so one never run still shows.
  for (const d of graph.datasets)
    for (const x of d.expectations)
      byKey.set(`${d.name}\u0000${x.name}`, {
        dataset: d.name,
        name: x.name,
        action: x.action,
        expression: x.expression,
        history: recent.map(() => null),
      });
  for (const c of counts) {
    const key = `${c.dataset}\u0000${c.expectation}`;
    let e = byKey.get(key);
    if (!e) {
      const x = declared(c.dataset, c.expectation);
      e = {
        dataset: c.dataset,
        name: c.expectation,
        action: x?.action ?? null,
        expression: x?.expression ?? null,
        history: recent.map(() => null),
      };
      byKey.set(key, e);
    }
    const i = position.get(c.updateId);
    if (i === undefined) continue;
    const prev = e.history[i];
    e.history[i] = { passed: (prev?.passed ?? 0) + c.passed, failed: (prev?.failed ?? 0) + c.failed };
  }
  return {
    updates: recent.map((u) => ({ updateId: u.updateId, startTime: u.startTime, state: u.state })),
    expectations: [...byKey.values()],
  };
}

async function quarantine(ctx: PipelineContext, q: URLSearchParams): Promise<RowsJson> {
  const dataset = q.get('dataset') ?? '';
  const { graph } = await ctx.validation();
  const d = graph.datasets.find((x) => x.name === dataset);
  if (!d?.quarantineTable) throw notFound(`dataset '${dataset}' has no quarantine table`);
  const rule = q.get('rule') || undefined;
  if (rule !== undefined && !d.expectations.some((x) => x.name === rule && x.action === 'quarantine'))
    throw notFound(`'${rule}' is not a quarantine expectation of '${dataset}'`);
  if (!(await ctx.monitor.tables()).includes(d.quarantineTable))
    return { version: -1, total: 0, columns: [], types: [], rows: [] };
  return ctx.monitor.rows(d.quarantineTable, {
    limit: int(q, 'limit', 50, 1000),
    offset: int(q, 'offset', 0),
    ...(rule !== undefined ? { violation: rule } : {}),
  });
}

async function events(ctx: PipelineContext, q: URLSearchParams): Promise<EventsJson> {
  await ctx.sync();
  const index = await ctx.monitor.events();
  const update = q.get('update') || undefined;
  const levels = list(q, 'level')?.map((l) => l.toUpperCase());
  const types = list(q, 'type');
  const page = await index.page({
    ...(update ? { updateId: update } : {}),
    ...(levels ? { levels } : {}),
    ...(types ? { types } : {}),
    ...(q.get('dataset') ? { dataset: q.get('dataset')! } : {}),
    ...(q.get('text') ? { text: q.get('text')! } : {}),
    order: q.get('order') === 'oldest' ? 'oldest' : 'newest',
    limit: int(q, 'limit', 100, 500),
    offset: int(q, 'offset', 0),
  });
  return { total: page.total, rows: page.rows.map(eventJson) };
}

async function tables(ctx: PipelineContext): Promise<TableListJson> {
  const [names, { graph }] = await Promise.all([ctx.monitor.tables(), ctx.validation()]);
  return {
    tables: names.map((name) => {
      const stored = graph.datasets.find((d) => d.table === name);
      if (stored) return { name, dataset: stored.name, kind: stored.kind };
      const quarantined = graph.datasets.find((d) => d.quarantineTable === name);
      if (quarantined) return { name, dataset: quarantined.name, kind: 'quarantine' as const };
      return { name, dataset: null, kind: null };
    }),
  };
}

async function known(ctx: PipelineContext, name: string): Promise<void> {
  if (!(await ctx.monitor.tables()).includes(name))
    throw notFound(`the pipeline has no stored table '${name}'`);
}

async function table(ctx: PipelineContext, name: string, q: URLSearchParams): Promise<TableJson> {
  await known(ctx, name);
  const version = q.get('version') ? int(q, 'version', 0) : undefined;
  const [info, history] = await Promise.all([
    ctx.monitor.table(name, version),
    ctx.monitor.history(name, int(q, 'history', 50, 1000)),
  ]);
  return { ...info, history };
}

async function rows(ctx: PipelineContext, name: string, q: URLSearchParams): Promise<RowsJson> {
  await known(ctx, name);
  return ctx.monitor.rows(name, {
    ...(q.get('version') ? { version: int(q, 'version', 0) } : {}),
    limit: int(q, 'limit', 50, 1000),
    offset: int(q, 'offset', 0),
  });
}

async function source(ctx: PipelineContext, dataset: string): Promise<SourceFileJson> {
  const s = await ctx.sourceFile(dataset);
  return {
    file: s.file,
    line: s.line,
    language: s.language === 'ts' ? 'ts' : 'sql',
    text: await readFile(s.path, 'utf8'),
  };
}
