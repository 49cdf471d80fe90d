/**
 * `sluice ui`'s HTTP server: the page, its built assets, the JSON API of each pipeline and
 * their live feeds (server-sent events). Every request passes `checkRequest` first (Host,
 * Origin, token; see security.ts); nothing is served by file path.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BundleSelection, SluiceError, toSluiceError } from '../index.ts';
import { answer } from './api-routes.ts';
import { loadUiAssets, type UiAssets } from './assets.ts';
import type { ErrorAnswer, PipelineEntry, SessionJson } from './dashboard-types.ts';
import { findPipelines } from './find-pipelines.ts';
import type { PipelineContext } from './pipeline-context.ts';
import { allowedHosts, checkRequest, isLoopback, newToken, type RequestPolicy } from './security.ts';
import { tracePhase } from './trace.ts';
import { InvalidPipelineError } from './update-runner.ts';
import { errorJson } from './update-status.ts';

/** How long after start a graph read from the cache is validated again (see PipelineContext.revalidate). */
const REVALIDATE_AFTER_MS = 3000;
/**
 * How long after the first page's graph and status are ready every update's summary starts being
 * read (a second of DuckDB work on every core): the page draws them first. A page asking for the
 * summaries sooner (Updates, Data quality) reads them at once.
 */
const SUMMARIZE_AFTER_MS = 400;

/** The port `sluice ui` tries first (then the next few) when none is given. */
export const DEFAULT_PORT = 4380;

export interface DashboardOptions {
  /** A pipeline folder or spec file, or a folder holding pipelines (default: found from `cwd`). */
  readonly dir?: string;
  readonly cwd?: string;
  /** For a Databricks Asset Bundle: target, variables, pipeline key. */
  readonly bundle?: BundleSelection;
  /** Address to bind (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default: 4380 or the next free one; 0: any free port). */
  readonly port?: number;
  /** How often the event log is polled while a page listens (default 100 ms). */
  readonly pollMs?: number;
  /** The package version shown in the page. */
  readonly version?: string;
}

/** A running dashboard. */
export interface Dashboard {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The per-process token state-changing requests carry. */
  readonly token: string;
  readonly pipelines: readonly PipelineEntry[];
  /** Bound to an address other machines can reach. */
  readonly exposed: boolean;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
} as const;

function statusOf(e: SluiceError): number {
  switch (e.code) {
    case 'UI_HOST_REJECTED':
    case 'UI_ORIGIN_REJECTED':
    case 'UI_TOKEN_INVALID':
      return 403;
    case 'UI_NOT_FOUND':
    case 'UPDATE_NOT_FOUND':
    case 'TABLE_OR_VIEW_NOT_FOUND':
    case 'DELTA_VERSION_NOT_FOUND':
      return 404;
    case 'PIPELINE_ALREADY_RUNNING':
    case 'UI_NO_RUNNING_UPDATE':
      return 409;
    default:
      return e.domain === 'user' ? 400 : 500;
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  type = 'application/json; charset=utf-8',
): void {
  const data = Buffer.isBuffer(body)
    ? body
    : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': type,
    'Content-Length': data.length,
    'Cache-Control': 'no-store',
  });
  res.end(data);
}

function sendError(res: ServerResponse, e: unknown): void {
  if (e instanceof InvalidPipelineError) {
    const errors = e.errors.map(errorJson);
    const first = errors[0] ?? { code: 'INTERNAL', message: e.message };
    send(res, 422, {
      error: { ...first, message: `${e.message}: ${first.message}` },
      errors,
    } satisfies ErrorAnswer);
    return;
  }
  const err = toSluiceError(e);
  send(res, statusOf(err), { error: errorJson(err) } satisfies ErrorAnswer);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new SluiceError('USAGE', 'the request body is larger than 64 KB');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new SluiceError('USAGE', 'the request body is not JSON');
  }
}

/**
 * The page: its token, the session (the pipelines shown) and a preload of the first pipeline's
 * graph, so the browser fetches the graph while it loads the script instead of after it ran.
 */
function page(token: string, title: string, session: SessionJson): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const first = session.pipelines[0];
  const preload = first
    ? `<link rel="preload" href="/api/p/${encodeURIComponent(first.id)}/graph" as="fetch" crossorigin="anonymous">\n`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="sluice-token" content="${token}"><meta name="sluice-session" content="${esc(JSON.stringify(session))}"><title>${esc(title)}</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%232563eb'/%3E%3C/svg%3E">
${preload}<link rel="stylesheet" href="/assets/app.css"></head>
<body><div id="app"></div><script type="module" src="/assets/app.js"></script></body></html>`;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(e);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/**
 * Starts the dashboard for the pipeline(s) in `options.dir` and resolves once it listens.
 * @throws SluiceError PIPELINE_SPEC_NOT_FOUND, UI_PORT_IN_USE
 */
export async function startDashboard(options: DashboardOptions = {}): Promise<Dashboard> {
  tracePhase('dashboard starting');
  const cwd = options.cwd ?? process.cwd();
  const host = options.host ?? '127.0.0.1';
  const contexts = await findPipelines(
    options.dir,
    cwd,
    options.bundle ?? {},
    options.pollMs ?? 100,
    options.version,
  );
  const token = newToken();
  const title = contexts.length === 1 ? `${contexts[0]!.monitor.pipeline} · sluice` : 'sluice';
  const session: SessionJson = {
    version: options.version ?? '',
    pipelines: contexts.map((c) => ({ id: c.id, name: c.monitor.pipeline, folder: c.folder })),
  };
  const byId = new Map<string, PipelineContext>(contexts.map((c) => [c.id, c]));
  let assets: Promise<UiAssets> | undefined;
  let policy: RequestPolicy | undefined;
  const streams = new Set<ServerResponse>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    checkRequest(req, policy!);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    tracePhase(`request ${req.method} ${path}`);
    if (req.method === 'GET' && (path === '/' || path === '/index.html')) {
      send(res, 200, page(token, title, session), 'text/html; charset=utf-8');
      return;
    }
    if (req.method === 'GET' && path.startsWith('/assets/')) {
      assets ??= loadUiAssets();
      const file = (await assets).files.get(path.slice('/assets/'.length));
      if (!file) throw new SluiceError('UI_NOT_FOUND', `no asset ${path}`);
      send(res, 200, file.body, file.type);
      return;
    }
    if (req.method === 'GET' && path === '/api/session') {
      send(res, 200, session);
      return;
    }
    const m = /^\/api\/p\/([^/]+)\/(.*)$/.exec(path);
    const ctx = m ? byId.get(decodeURIComponent(m[1]!)) : undefined;
    if (!m || !ctx) throw new SluiceError('UI_NOT_FOUND', `nothing is served at ${path}`);
    const rest = m[2]!.split('/').filter(Boolean);
    if (req.method === 'GET' && rest.length === 1 && rest[0] === 'live') {
      openLiveFeed(ctx, req, res, streams);
      return;
    }
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    const result = await answer(ctx, {
      method: req.method ?? 'GET',
      path: rest,
      query: url.searchParams,
      body,
    });
    send(res, req.method === 'POST' ? 202 : 200, result);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) res.end();
      else sendError(res, e);
    });
  });
  server.keepAliveTimeout = 5000;
  let port: number;
  try {
    port = await bind(server, host, options.port);
  } catch (e) {
    await Promise.all(contexts.map((c) => c.close()));
    throw e;
  }
  policy = { hosts: allowedHosts(host, port), token };
  tracePhase('listening');
  // The page's script and styles are read now: a page opened as soon as the URL is printed asks
  // for them first. (A failure is answered to the request that asks, as before.)
  assets = loadUiAssets();
  assets.catch(() => {
    assets = undefined;
  });
  // Warm up in the background: the first page finds the graph validated and the log summarized.
  // The event log is read first: its DuckDB queries run on DuckDB's threads while validation
  // (JavaScript, on this one) runs — or, when the graph cache holds the graph of these sources,
  // instead of it. The latest update and the graph are what the first page shows; the rest of
  // every update's summary (Updates, Data quality) waits for both (and is saved for the next
  // start, see saveEventIndex). A cached graph is validated again last, a few seconds later:
  // validating holds this thread for a second or more, which the first page must not wait for.
  for (const c of contexts) {
    const latest = c.status();
    const graph = c.validation();
    void latest.then(() => tracePhase('first status'));
    void graph.then(() => tracePhase('graph ready'));
    void c.monitor.events().then(() => tracePhase('event log index open'));
    void Promise.allSettled([latest, graph])
      .then(() => new Promise((r) => setTimeout(r, SUMMARIZE_AFTER_MS).unref()))
      .then(() => c.monitor.events())
      .then((index) => index.complete())
      .then(() => tracePhase('index complete'))
      .then(() => c.saveEventIndex())
      .then(() => tracePhase('caches saved'))
      .catch(() => {})
      .then(() => new Promise((r) => setTimeout(r, REVALIDATE_AFTER_MS).unref()))
      .then(() => c.revalidate());
  }
  const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shown}:${port}/`,
    host,
    port,
    token,
    pipelines: session.pipelines,
    exposed: !isLoopback(host),
    async close() {
      for (const s of streams) s.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(contexts.map((c) => c.close()));
    },
  };
}

async function bind(server: Server, host: string, wanted: number | undefined): Promise<number> {
  const tries = wanted === undefined ? 10 : 1;
  const first = wanted ?? DEFAULT_PORT;
  for (let i = 0; ; i++) {
    try {
      return await listen(server, host, first + i);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' && i + 1 < tries) continue;
      if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES')
        throw new SluiceError(
          'UI_PORT_IN_USE',
          code === 'EADDRINUSE'
            ? `port ${first + i} on ${host} is in use${tries > 1 ? ` (so were the ${tries - 1} before it)` : ''}; pick another with --port`
            : `cannot listen on ${host}:${first + i} (${code})`,
          { params: { host, port: first + i, errno: code }, cause: e },
        );
      throw e;
    }
  }
}

function openLiveFeed(
  ctx: PipelineContext,
  req: IncomingMessage,
  res: ServerResponse,
  streams: Set<ServerResponse>,
): void {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
  });
  res.flushHeaders();
  streams.add(res);
  const unsubscribe = ctx.subscribe({
    send(event, data) {
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
  });
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  const end = () => {
    clearInterval(heartbeat);
    unsubscribe();
    streams.delete(res);
  };
  req.on('close', end);
  res.on('close', end);
  // The current state at once: the page shows it without waiting for a change.
  void ctx
    .status()
    .then((s) => res.write(`event: status\ndata: ${JSON.stringify(s)}\n\n`))
    .catch((e: unknown) =>
      res.write(`event: failure\ndata: ${JSON.stringify(errorJson(toSluiceError(e)))}\n\n`),
    );
}
