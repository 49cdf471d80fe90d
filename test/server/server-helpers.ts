/** Helpers of the dashboard tests: pipelines to serve, raw HTTP requests, the local Chromium. */
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { StatusJson } from '../../src/server/dashboard-types.ts';
import { ROOT, tmpDir } from '../helpers/tmp.ts';

/** A fresh copy of examples/events (without its storage) in a temp folder. */
export function copyExample(prefix = 'ui'): string {
  const dir = join(tmpDir(prefix), 'events');
  cpSync(join(ROOT, 'examples', 'events'), dir, {
    recursive: true,
    filter: (src) => !src.includes(`${join('events', '.sluice')}`),
  });
  return dir;
}

/**
 * A pipeline whose second dataset fails its FAIL UPDATE expectation (transformations/a.sql:5),
 * so the third, which reads it, is SKIPPED.
 */
export function writeFailingPipeline(dir: string): string {
  mkdirSync(join(dir, 'transformations'), { recursive: true });
  writeFileSync(
    join(dir, 'spark-pipeline.yml'),
    'name: failing\nlibraries:\n  - glob:\n      include: transformations/**\n',
  );
  writeFileSync(
    join(dir, 'transformations', 'a.sql'),
    [
      'CREATE OR REFRESH MATERIALIZED VIEW numbers',
      'AS SELECT id FROM range(5) AS t(id);',
      '',
      'CREATE OR REFRESH MATERIALIZED VIEW checked (',
      '  CONSTRAINT positive EXPECT (id > 0) ON VIOLATION FAIL UPDATE',
      ')',
      'AS SELECT id FROM numbers;',
      '',
      'CREATE OR REFRESH MATERIALIZED VIEW doubled',
      'AS SELECT id * 2 AS id FROM checked;',
      '',
    ].join('\n'),
  );
  return dir;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  json(): { error?: { code: string; message: string } } & Record<string, unknown>;
}

/** An HTTP request with exactly the headers given (Host included), as a forging client sends it. */
export function rawRequest(
  url: string,
  o: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method: o.method ?? 'GET',
        headers: { Host: u.host, ...o.headers },
        setHost: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json: () => JSON.parse(body) as ReturnType<RawResponse['json']>,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

/** Debian's chromium (or CHROMIUM_PATH), or undefined when this machine has none. */
export function chromiumPath(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((p): p is string => p !== undefined && p !== '' && existsSync(p));
}

/** Where the page screenshots go (git-ignored; kept as test artifacts). */
export function screenshotDir(): string {
  const dir = join(ROOT, '.tmp', 'ui-screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Reads server-sent `status` events until `done` says so (or the time is up). */
export async function watchLive(
  url: string,
  done: (s: StatusJson) => boolean,
  ms = 60_000,
): Promise<StatusJson[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  const seen: StatusJson[] = [];
  try {
    const r = await fetch(url, { signal: controller.signal });
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const data = /^event: status\ndata: (.*)$/s.exec(block)?.[1];
        if (!data) continue;
        const s = JSON.parse(data) as StatusJson;
        seen.push(s);
        if (done(s)) return seen;
      }
    }
  } catch (e) {
    if (!controller.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return seen;
}
