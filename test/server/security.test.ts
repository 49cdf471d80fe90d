import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Dashboard, startDashboard } from '../../src/server/index.ts';
import { copyExample, rawRequest } from './server-helpers.ts';

let dashboard: Dashboard;
let id: string;

before(async () => {
  dashboard = await startDashboard({ dir: copyExample('ui-security'), port: 0 });
  id = dashboard.pipelines[0]!.id;
});
after(() => dashboard.close());

test('binds 127.0.0.1 by default and serves the page to its own address', async () => {
  assert.equal(dashboard.host, '127.0.0.1');
  assert.equal(dashboard.exposed, false);
  const r = await rawRequest(dashboard.url);
  assert.equal(r.status, 200);
  assert.match(r.body, new RegExp(`<meta name="sluice-token" content="${dashboard.token}">`));
  assert.match(String(r.headers['content-security-policy']), /default-src 'self'/);
  const local = await rawRequest(dashboard.url, { headers: { Host: `localhost:${dashboard.port}` } });
  assert.equal(local.status, 200);
});

test('a request whose Host is not the served address is rejected (DNS rebinding)', async () => {
  for (const host of [
    `evil.example:${dashboard.port}`,
    'evil.example',
    `127.0.0.1:${dashboard.port + 1}`,
    '',
  ]) {
    const r = await rawRequest(`${dashboard.url}api/session`, { headers: { Host: host } });
    assert.equal(r.status, 403, host);
    assert.equal(r.json().error?.code, 'UI_HOST_REJECTED');
    assert.doesNotMatch(r.body, new RegExp(dashboard.token));
  }
});

test('a request from another origin is rejected, also when it carries the token', async () => {
  for (const origin of ['http://evil.example', `https://127.0.0.1:${dashboard.port}`, 'null']) {
    const r = await rawRequest(`${dashboard.url}api/p/${id}/updates`, {
      method: 'POST',
      headers: { Origin: origin, 'X-Sluice-Token': dashboard.token, 'Content-Type': 'application/json' },
      body: '{}',
    });
    assert.equal(r.status, 403, origin);
    assert.equal(r.json().error?.code, 'UI_ORIGIN_REJECTED');
  }
  const site = await rawRequest(`${dashboard.url}api/p/${id}/graph`, {
    headers: { 'Sec-Fetch-Site': 'cross-site' },
  });
  assert.equal(site.status, 403);
  assert.equal(site.json().error?.code, 'UI_ORIGIN_REJECTED');
  const same = await rawRequest(`${dashboard.url}api/session`, {
    headers: { Origin: `http://127.0.0.1:${dashboard.port}` },
  });
  assert.equal(same.status, 200);
});

test('state-changing requests need the per-process token', async () => {
  const missing = await rawRequest(`${dashboard.url}api/p/${id}/updates`, { method: 'POST', body: '{}' });
  assert.equal(missing.status, 403);
  assert.equal(missing.json().error?.code, 'UI_TOKEN_INVALID');
  const wrong = await rawRequest(`${dashboard.url}api/p/${id}/stop`, {
    method: 'POST',
    headers: { 'X-Sluice-Token': 'f'.repeat(64) },
  });
  assert.equal(wrong.status, 403);
  assert.equal(wrong.json().error?.code, 'UI_TOKEN_INVALID');
  // With the token the request is served: nothing runs, so stopping is refused with its own code.
  const stop = await rawRequest(`${dashboard.url}api/p/${id}/stop`, {
    method: 'POST',
    headers: { 'X-Sluice-Token': dashboard.token },
  });
  assert.equal(stop.status, 409);
  assert.equal(stop.json().error?.code, 'UI_NO_RUNNING_UPDATE');
  const bad = await rawRequest(`${dashboard.url}api/p/${id}/updates`, {
    method: 'POST',
    headers: { 'X-Sluice-Token': dashboard.token },
    body: '{"refresh": ["silver_events"], "fullRefresh": ["silver_events"]}',
  });
  assert.equal(bad.status, 400);
  assert.equal(bad.json().error?.code, 'CONFLICTING_PIPELINE_REFRESH_OPTIONS');
});

test('nothing outside the pipeline is served: no file paths, unknown names are UI_NOT_FOUND', async () => {
  for (const path of [
    '/assets/../package.json',
    '/assets/%2e%2e/%2e%2e/package.json',
    '/package.json',
    `/api/p/${id}/tables/..%2F..%2Fsystem%2Fevent_log`,
    `/api/p/${id}/tables/%2Fetc%2Fpasswd/rows`,
    `/api/p/${id}/nothing`,
    '/api/p/other/graph',
  ]) {
    const r = await rawRequest(`${dashboard.url.slice(0, -1)}${path}`);
    assert.equal(r.status, 404, path);
    assert.equal(r.json().error?.code, 'UI_NOT_FOUND', path);
  }
  const source = await rawRequest(`${dashboard.url}api/p/${id}/source?dataset=..%2F..%2Fpackage.json`);
  assert.equal(source.status, 404);
  assert.equal(source.json().error?.code, 'UI_NOT_FOUND');
});

test('a port in use is UI_PORT_IN_USE', async () => {
  await assert.rejects(
    startDashboard({ dir: copyExample('ui-port'), port: dashboard.port }),
    (e: Error & { code?: string }) => {
      assert.equal(e.code, 'UI_PORT_IN_USE');
      return true;
    },
  );
});
