/** Talking to the dashboard server: JSON GETs, token-carrying POSTs, and coded errors. */
import type { ErrorAnswer, ErrorJson, SessionJson } from '../dashboard-types.ts';

/** An API call that failed: the server's coded error. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: ErrorJson,
    readonly errors: readonly ErrorJson[] = [],
  ) {
    super(`${error.code}: ${error.message}`);
  }
}

/** The session the page was served with (`<meta name="sluice-session">`), if it carries one. */
export function embeddedSession(): SessionJson | undefined {
  const text = document.querySelector('meta[name="sluice-session"]')?.getAttribute('content');
  if (!text) return undefined;
  try {
    return JSON.parse(text) as SessionJson;
  } catch {
    return undefined;
  }
}

function token(): string {
  return document.querySelector('meta[name="sluice-token"]')?.getAttribute('content') ?? '';
}

async function parse<T>(r: Response): Promise<T> {
  const body = (await r.json().catch(() => null)) as unknown;
  if (!r.ok) {
    const a = body as ErrorAnswer | null;
    throw new ApiError(
      r.status,
      a?.error ?? { code: 'INTERNAL', message: `HTTP ${r.status}` },
      a?.errors ?? [],
    );
  }
  return body as T;
}

/** GET `path` (under the server root) as JSON. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return parse<T>(await fetch(path, { signal, headers: { Accept: 'application/json' } }));
}

/** POST `body` as JSON with the page's token. */
export async function postJson<T>(path: string, body: unknown): Promise<T> {
  return parse<T>(
    await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Sluice-Token': token() },
      body: JSON.stringify(body),
    }),
  );
}

/** Builds a query string, leaving out empty values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** Any thrown value as a coded error the page can show. */
export function asError(e: unknown): ErrorJson {
  if (e instanceof ApiError) return e.error;
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}
