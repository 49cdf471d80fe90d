/**
 * The dashboard's request checks. The server binds 127.0.0.1 by default, and still:
 * - every request's `Host` must name the address it serves (a DNS-rebinding page reaches
 *   127.0.0.1 under its own host name, and is refused);
 * - a request a browser marks as coming from another origin (`Origin`, `Sec-Fetch-Site`) is
 *   refused, so no other site can read or drive it;
 * - a state-changing request (anything but GET/HEAD) must carry the per-process token in
 *   `X-Sluice-Token`; the token is only in the page this server serves, which no other origin
 *   can read.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';
import { SluiceError } from '../index.ts';

/** The header a state-changing request carries the token in. */
export const TOKEN_HEADER = 'x-sluice-token';

/** A fresh per-process token (256 random bits, hex). */
export function newToken(): string {
  return randomBytes(32).toString('hex');
}

/** Whether `host` is a loopback address or name (binding there reaches only this machine). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * The `Host` values the server answers to: the bound address and, for loopback, `localhost`;
 * bound to every interface (`0.0.0.0`, `::`), this machine's addresses and name.
 */
export function allowedHosts(bound: string, port: number): Set<string> {
  const names = new Set<string>([bound]);
  if (isLoopback(bound)) {
    names.add('localhost');
    names.add('127.0.0.1');
  }
  if (bound === '0.0.0.0' || bound === '::') {
    names.add('localhost');
    names.add('127.0.0.1');
    names.add(hostname());
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(a.address);
  }
  return new Set([...names].map((n) => hostPort(n, port).toLowerCase()));
}

/** What a request is checked against. */
export interface RequestPolicy {
  readonly hosts: ReadonlySet<string>;
  readonly token: string;
}

function tokenMatches(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Checks a request; returns nothing when it may be served.
 * @throws SluiceError UI_HOST_REJECTED, UI_ORIGIN_REJECTED, UI_TOKEN_INVALID
 */
export function checkRequest(req: IncomingMessage, policy: RequestPolicy): void {
  const host = (req.headers.host ?? '').toLowerCase();
  if (!policy.hosts.has(host))
    throw new SluiceError(
      'UI_HOST_REJECTED',
      `Host '${req.headers.host ?? ''}' is not an address sluice ui serves (${[...policy.hosts].join(', ')})`,
      { params: { host: req.headers.host ?? null } },
    );
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let originHost: string | undefined;
    try {
      const u = new URL(origin);
      originHost = u.protocol === 'http:' ? u.host.toLowerCase() : undefined;
    } catch {
      originHost = undefined;
    }
    if (!originHost || !policy.hosts.has(originHost))
      throw new SluiceError('UI_ORIGIN_REJECTED', `requests from ${origin} are not accepted`, {
        params: { origin },
      });
  }
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site')
    throw new SluiceError('UI_ORIGIN_REJECTED', `a ${site} request is not accepted`, {
      params: { secFetchSite: site },
    });
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    const given = req.headers[TOKEN_HEADER];
    if (typeof given !== 'string' || !tokenMatches(given, policy.token))
      throw new SluiceError(
        'UI_TOKEN_INVALID',
        given === undefined
          ? `a ${method} request needs the page's token (header X-Sluice-Token)`
          : 'the X-Sluice-Token header does not carry this server’s token',
        { params: { method } },
      );
  }
}
