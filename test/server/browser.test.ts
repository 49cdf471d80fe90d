/**
 * The dashboard in a real headless Chromium (Debian's `chromium`, driven by playwright-core):
 * the example pipeline's graph, pass rates equal to the CLI summary's, the quarantine browser
 * against `sluice query`, an update started from the page followed live, a failing update's
 * code and file:line; forged requests (a rebinding host name, another origin, no token) refused.
 * Screenshots of each page go to .tmp/ui-screenshots/.
 */
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Browser, chromium, type Page } from 'playwright-core';
import { query } from '../../src/index.ts';
import { type Dashboard, startDashboard } from '../../src/server/index.ts';
import { runCli } from '../helpers/cli.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { chromiumPath, copyExample, screenshotDir, writeFailingPipeline } from './server-helpers.ts';

const executable = chromiumPath();
const SKIP = executable
  ? false
  : "no Chromium on this machine (install Debian's: apt-get install -y chromium; CI installs it)";
const TERMINAL = ['COMPLETED', 'FAILED', 'SKIPPED', 'STOPPED', 'EXCLUDED', 'IDLE'];

function summaryPassRates(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  const section = stdout.slice(stdout.indexOf('Data quality:'));
  for (const m of section.matchAll(
    /^(\w+)\s+(\w+)\s+(?:warn|drop row|fail update|quarantine)\s+[\d,]+\s+[\d,]+\s+(\S+)$/gm,
  ))
    out.set(`${m[1]}.${m[2]}`, m[3]!);
  return out;
}

/**
 * Waits until `expression` is true in the page. Polls from here through page.evaluate (the
 * DevTools protocol, which the page's CSP does not govern): Playwright's waitForFunction
 * compiles its predicate inside the page, which the dashboard's `script-src 'self'` forbids.
 */
async function waitUntil(page: Page, expression: string, timeout = 30_000): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await page.evaluate(expression)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${expression}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(screenshotDir(), `${name}.png`) });
}

test('the dashboard in Chromium', { skip: SKIP, timeout: 180_000 }, async (t) => {
  const dir = copyExample('ui-browser');
  const run = await runCli(['run', dir]);
  assert.equal(run.code, 0, run.stderr);
  const printed = summaryPassRates(run.stdout);
  const dashboard: Dashboard = await startDashboard({ dir, port: 0, pollMs: 50 });
  // rebind.test resolves to 127.0.0.1, as a DNS-rebinding attacker's name would.
  const browser: Browser = await chromium.launch({
    executablePath: executable!,
    args: ['--no-sandbox', '--host-resolver-rules=MAP rebind.test 127.0.0.1'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const id = dashboard.pipelines[0]!.id;
  const go = (hash: string) => page.goto(`${dashboard.url}#/${id}/${hash}`);
  try {
    await t.test('the graph shows the 5 datasets and their edges', async () => {
      const requests: string[] = [];
      const onRequest = (r: { url(): string }) => requests.push(new URL(r.url()).pathname);
      page.on('request', onRequest);
      await go('graph');
      await page.waitForSelector('[data-testid="node"][data-state="COMPLETED"]');
      page.off('request', onRequest);
      // The page carries the session and preloads the graph: no round trip waits for another.
      assert.deepEqual(
        requests.filter((r) => r.startsWith('/api/')),
        [`/api/p/${id}/graph`, `/api/p/${id}/live`],
      );
      const nodes = await page.$$eval('[data-testid="node"]', (els) =>
        els.map((e) => e.getAttribute('data-dataset')).sort(),
      );
      assert.deepEqual(nodes, [
        'bronze_events',
        'quarantine_events',
        'silver_event_hourly_stats',
        'silver_events',
        'validated_events',
      ]);
      const edges = await page.$$eval('path.edge', (els) =>
        els.map((e) => `${e.getAttribute('data-from')}→${e.getAttribute('data-to')}`).sort(),
      );
      assert.deepEqual(edges, [
        'bronze_events→quarantine_events',
        'bronze_events→silver_events',
        'bronze_events→validated_events',
        'files:json:data/events→bronze_events',
        'silver_events→silver_event_hourly_stats',
      ]);
      assert.equal(
        await page.locator('path.edge.batch').count(),
        1,
        'the materialized view reads silver_events as a batch',
      );
      await shot(page, 'graph');
      await page.click('[data-dataset="silver_events"]');
      await page.waitForSelector('[data-testid="dataset-details"] >> text=valid_timestamp');
      await shot(page, 'graph-details');
    });

    await t.test('the data quality page shows the pass rates the CLI summary printed', async () => {
      await go('quality');
      await page.waitForSelector('[data-testid="pass-rate"]');
      const shown = await page.$$eval('tr[data-expectation]', (rows) =>
        rows.map((r) => [
          r.getAttribute('data-expectation'),
          r.querySelector('[data-testid="pass-rate"]')?.textContent?.trim(),
        ]),
      );
      assert.deepEqual(new Map(shown as [string, string][]), printed);
      await shot(page, 'quality');
    });

    await t.test('the quarantine browser shows the rows sluice query returns', async () => {
      for (const rule of ['valid_user_id', 'event_id_not_null']) {
        await page.click(`[data-rule="${rule}"]`);
        const expected = await query(
          `SELECT event_id, _batch_id FROM validated_events_quarantine WHERE array_contains(_violations, '${rule}')`,
          { pipeline: dir, cwd: dir },
        );
        await page.waitForSelector(`[data-testid="quarantine-total"] >> text=violating ${rule}`);
        const total = await page.textContent('[data-testid="quarantine-total"]');
        assert.match(total ?? '', new RegExp(`^${expected.rows.length} quarantined rows violating ${rule}`));
        const grid = await page.$$eval('[data-testid="quarantine-browser"] table tbody tr', (trs) =>
          trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
        );
        const header = await page.$$eval('[data-testid="quarantine-browser"] table thead th', (ths) =>
          ths.map((th) => th.childNodes[0]?.textContent ?? ''),
        );
        const col = (name: string) => header.indexOf(name);
        assert.ok(col('_violations') >= 0 && col('_batch_id') >= 0 && col('_source') >= 0, header.join(','));
        assert.deepEqual(
          grid.map((r) => `${r[col('event_id')]}|${r[col('_batch_id')]}`).sort(),
          expected.rows.map((r) => `${r.event_id ?? 'NULL'}|${r._batch_id}`).sort(),
        );
        assert.ok(grid.every((r) => r[col('_violations')]!.includes(rule)));
      }
      await page.locator('[data-testid="quarantine-browser"]').scrollIntoViewIfNeeded();
      await shot(page, 'quarantine');
    });

    await t.test('an update started from the page changes the states live, without a reload', async () => {
      copyFileSync(
        join(dir, 'data', 'events', 'events-000000001.json'),
        join(dir, 'data', 'events', 'events-copy.json'),
      );
      await go('graph');
      await page.waitForSelector('[data-testid="node"][data-state="COMPLETED"]');
      // In the page: every state a node takes, in order (and a marker a reload would lose).
      await page.evaluate(`
        window.__marker = 1;
        window.__seen = [];
        new MutationObserver((ms) => {
          for (const m of ms) {
            const el = m.target;
            if (el.getAttribute && el.getAttribute('data-testid') === 'node')
              window.__seen.push(el.getAttribute('data-dataset') + ':' + el.getAttribute('data-state'));
          }
        }).observe(document.body, { attributes: true, attributeFilter: ['data-state'], subtree: true });
      `);
      const before = await page.textContent('[data-testid="update-pill"]');
      await page.click('[data-testid="start"]');
      await page
        .waitForSelector('.card.pulse, [data-testid="node"][data-state="RUNNING"]', { timeout: 30_000 })
        .catch(() => {});
      await shot(page, 'graph-running');
      await waitUntil(
        page,
        `(() => {
          const pill = document.querySelector('[data-testid="update-pill"]')?.textContent ?? '';
          const states = [...document.querySelectorAll('[data-testid="node"]')].map((e) => e.getAttribute('data-state') ?? '');
          return pill.includes('COMPLETED') && states.every((s) => ${JSON.stringify(TERMINAL)}.includes(s));
        })()`,
        60_000,
      );
      const after = await page.textContent('[data-testid="update-pill"]');
      assert.notEqual(after, before, 'the header shows the new update');
      const { seen, marker } = (await page.evaluate(
        '({ seen: window.__seen, marker: window.__marker })',
      )) as {
        seen: string[];
        marker: number;
      };
      assert.equal(marker, 1, 'the page was not reloaded');
      const bronze = seen.filter((s) => s.startsWith('bronze_events:')).map((s) => s.split(':')[1]);
      assert.ok(
        bronze.some((s) => !TERMINAL.includes(s!)),
        `bronze_events went through a running state: ${bronze.join(', ')}`,
      );
      assert.equal(bronze.at(-1), 'COMPLETED');
      assert.equal(await page.getAttribute('[data-dataset="bronze_events"]', 'data-state'), 'COMPLETED');
      assert.equal(
        await page.isDisabled('[data-testid="stop"]'),
        true,
        'nothing is left to stop once it ended',
      );
      await shot(page, 'graph-after-update');
    });

    await t.test('updates, tables, event log and the full-refresh confirmation render', async () => {
      await go('updates');
      await page.waitForSelector('[data-testid="timeline-flow"]');
      assert.equal(await page.locator('[data-testid="updates-table"] tbody tr').count(), 2);
      await shot(page, 'updates');
      await go('tables/silver.silver_events');
      await page.waitForSelector('[data-testid="schema-table"]');
      await shot(page, 'tables');
      await page.click('button.subtab >> text=History');
      await page.waitForSelector('[data-testid="history-table"]');
      await shot(page, 'tables-history');
      await page.click('button.subtab >> text=Preview');
      await page.waitForSelector('[data-testid="data-grid"]');
      await shot(page, 'tables-preview');
      await page.click('button.subtab >> text=Definition');
      await page.waitForSelector('[data-testid="definition"] .code-line.hl');
      assert.match(
        (await page.textContent('.code-line.hl')) ?? '',
        /CREATE OR REFRESH STREAMING TABLE silver_events/,
      );
      await shot(page, 'tables-definition');
      await go('events');
      await page.waitForSelector('[data-testid="events-table"] tbody tr');
      await page.fill('input[aria-label="Search messages"]', 'committed batch');
      await waitUntil(
        page,
        `(() => {
          const rows = [...document.querySelectorAll('[data-testid="events-table"] tbody tr')];
          return rows.length === 8 && rows.every((tr) => tr.textContent.includes('committed batch'));
        })()`,
      );
      await shot(page, 'events');
      await page.click('[data-testid="full-refresh"]');
      await page.click('label.pick >> text=bronze_events');
      await page.click('label.pick >> text=validated_events');
      const truncated = (await page.textContent('[data-testid="truncate-list"]')) ?? '';
      assert.match(truncated, /silver\.bronze_events/);
      assert.match(truncated, /silver\.validated_events_quarantine/);
      await shot(page, 'full-refresh-dialog');
      await page.click('.modal button >> text=Cancel');
    });

    await t.test(
      'forged requests from the browser are rejected: rebinding, another origin, no token',
      async () => {
        const port = new URL(dashboard.url).port;
        const api = `${dashboard.url}api/p/${id}`;
        const updatesBefore = ((await (await fetch(`${api}/updates`)).json()) as { total: number }).total;
        // DNS rebinding: the dashboard reached under another name is refused.
        const rebound = await page.goto(`http://rebind.test:${port}/`);
        assert.equal(rebound?.status(), 403);
        assert.match((await rebound?.text()) ?? '', /UI_HOST_REJECTED/);
        await shot(page, 'rejected-rebinding');
        // Another origin (a page served on another port): its reads and its writes are refused.
        const other = createServer((_req, res) => {
          res.writeHead(200, { 'Content-Type': 'text/html' });
          res.end('<!doctype html><title>elsewhere</title>');
        });
        await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
        try {
          await page.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`);
          const outcome = (await page.evaluate(`(async () => {
          const read = await fetch(${JSON.stringify(`${api}/updates`)}).then(() => 'read', (e) => e.name);
          const write = await fetch(${JSON.stringify(`${api}/updates`)}, {
            method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: '{}',
          }).then((r) => r.type, (e) => e.name);
          return { read, write };
        })()`)) as { read: string; write: string };
          assert.equal(outcome.read, 'TypeError', 'the cross-origin read fails');
          assert.equal(outcome.write, 'opaque');
        } finally {
          await new Promise((resolve) => other.close(resolve));
        }
        // The dashboard's own page without the token: refused with the code, readable there.
        await go('graph');
        await page.waitForSelector('[data-testid="node"]');
        const noToken = (await page.evaluate(`fetch(${JSON.stringify(`/api/p/${id}/updates`)}, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}',
      }).then(async (r) => [r.status, (await r.json()).error.code])`)) as [number, string];
        assert.deepEqual(noToken, [403, 'UI_TOKEN_INVALID']);
        await sleep(300);
        const updatesAfter = ((await (await fetch(`${api}/updates`)).json()) as { total: number }).total;
        assert.equal(updatesAfter, updatesBefore, 'no forged request started an update');
      },
    );

    await t.test('a failing update shows its error code and file:line', async () => {
      const failing = writeFailingPipeline(join(tmpDir('ui-browser-fail'), 'failing'));
      const other = await startDashboard({ dir: failing, port: 0 });
      try {
        await page.goto(`${other.url}#/${other.pipelines[0]!.id}/graph`);
        await page.waitForSelector('[data-testid="node"]');
        await page.click('[data-testid="start"]');
        await page.waitForSelector('[data-dataset="checked"][data-state="FAILED"]', { timeout: 60_000 });
        const summary = (await page.textContent('[data-testid="update-summary"]')) ?? '';
        assert.match(summary, /EXPECTATION_VIOLATION/);
        assert.match(summary, /transformations\/a\.sql:5:3/);
        await shot(page, 'failure-graph');
        await page.goto(`${other.url}#/${other.pipelines[0]!.id}/updates`);
        await page.waitForSelector('[data-testid="timeline-flow"][data-flow="checked"] .error-code');
        const row = (await page.textContent('[data-testid="timeline-flow"][data-flow="checked"]')) ?? '';
        assert.match(row, /EXPECTATION_VIOLATION/);
        assert.match(row, /transformations\/a\.sql:5:3/);
        const skipped = (await page.textContent('[data-testid="timeline-flow"][data-flow="doubled"]')) ?? '';
        assert.match(skipped, /SKIPPED/);
        assert.match(skipped, /upstream checked failed/);
        await shot(page, 'failure-timeline');
      } finally {
        await other.close();
      }
    });
    assert.deepEqual(errors, [], 'no script error on any page');
  } finally {
    await browser.close();
    await dashboard.close();
  }
});
