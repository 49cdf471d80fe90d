// Benchmark: the dashboard (`sluice ui`) on a 200-dataset pipeline with 1,000 updates in its event
// log (~1.6 M events, one commit per update). Goals: `sluice ui` prints its URL in < 1 s; first
// meaningful paint (all 200 datasets drawn with their states) ≤ 1 s; live latency (an event
// committed to the log by another process → shown in the page) ≤ 500 ms.
// Run: `npm run bench -- ui [updates] [--fresh]` (needs Debian's chromium; data is kept in
// bench/.data/ui between runs).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { EventLogWriter, type NewEvent } from '../src/events/index.ts';
import { maintainPipeline, Session } from '../src/index.ts';
import { startDashboard } from '../src/server/index.ts';

const DOMAINS = 10;
const CHAIN = 14;
const MVS = 5;
const ROOT = new URL('..', import.meta.url).pathname;

interface Flow {
  readonly name: string;
  readonly expectations: readonly string[];
}

/** 10 domains × (bronze + 14 chained streaming tables + 5 fan-in MVs) = 200 datasets. */
function generatePipeline(dir: string): Flow[] {
  mkdirSync(join(dir, 'transformations'), { recursive: true });
  writeFileSync(
    join(dir, 'spark-pipeline.yml'),
    'name: bench_ui\nlibraries:\n  - glob:\n      include: transformations/**\n',
  );
  const flows: Flow[] = [];
  for (let d = 0; d < DOMAINS; d++) {
    const parts: string[] = [];
    parts.push(`CREATE OR REFRESH STREAMING TABLE bronze_${d} (
  CONSTRAINT has_id EXPECT (id IS NOT NULL)
)
AS SELECT * FROM STREAM read_files('data/d${d}', format => 'json', schema => 'id BIGINT, v DOUBLE');
`);
    flows.push({ name: `bronze_${d}`, expectations: ['has_id'] });
    for (let i = 1; i <= CHAIN; i++) {
      const prev = i === 1 ? `bronze_${d}` : `s_${d}_${i - 1}`;
      parts.push(`CREATE OR REFRESH STREAMING TABLE s_${d}_${i} (
  CONSTRAINT valid_id EXPECT (id > 0) ON VIOLATION DROP ROW
)
AS SELECT id, v + ${i} AS v FROM STREAM(${prev});
`);
      flows.push({ name: `s_${d}_${i}`, expectations: ['valid_id'] });
    }
    for (let k = 0; k < MVS; k++) {
      const a = `s_${d}_${CHAIN}`;
      const b = `s_${(d + 1 + k) % DOMAINS}_${CHAIN}`;
      parts.push(`CREATE OR REFRESH MATERIALIZED VIEW mv_${d}_${k} AS
SELECT a.id, count(*) AS n, sum(b.v) AS total FROM ${a} a JOIN ${b} b ON a.id = b.id GROUP BY a.id;
`);
      flows.push({ name: `mv_${d}_${k}`, expectations: [] });
    }
    writeFileSync(join(dir, 'transformations', `domain_${String(d).padStart(2, '0')}.sql`), parts.join('\n'));
  }
  return flows;
}

/** The flow names of the generated pipeline (one flow per dataset). */
function generatePipelineFlows(): string[] {
  const out: string[] = [];
  for (let d = 0; d < DOMAINS; d++) {
    out.push(`bronze_${d}`);
    for (let i = 1; i <= CHAIN; i++) out.push(`s_${d}_${i}`);
    for (let k = 0; k < MVS; k++) out.push(`mv_${d}_${k}`);
  }
  return out;
}

/** The events one update of the pipeline records (as the event recorder writes them). */
function updateEvents(flows: readonly Flow[], u: number, start: number): NewEvent[] {
  const updateId = `00000000-0000-4000-8000-${String(u).padStart(12, '0')}`;
  let t = start;
  const at = () => {
    t += 2;
    return new Date(t).toISOString();
  };
  const origin = (flow: string | null, batch: number | null = null) => ({
    pipeline_name: 'bench_ui',
    pipeline_id: 'bench',
    update_id: updateId,
    flow_name: flow,
    dataset_name: flow,
    batch_id: batch,
  });
  const ev = (
    type: NewEvent['event_type'],
    flow: string | null,
    message: string,
    details: unknown,
    level: NewEvent['level'] = 'INFO',
  ): NewEvent => ({
    origin: origin(flow),
    timestamp: at(),
    message,
    level,
    error: null,
    details: JSON.stringify(details),
    event_type: type,
  });
  const out: NewEvent[] = [
    ev('create_update', null, `Update ${u} started by USER_ACTION.`, {
      create_update: {
        cause: 'USER_ACTION',
        full_refresh: false,
        full_refresh_selection: [],
        refresh_selection: [],
      },
    }),
  ];
  for (const f of flows)
    out.push(
      ev('dataset_definition', f.name, `Dataset '${f.name}' defined.`, {
        dataset_definition: { dataset_type: 'STREAMING_TABLE', expectations: f.expectations },
      }),
    );
  for (const f of flows)
    out.push(
      ev('flow_definition', f.name, `Flow '${f.name}' defined.`, {
        flow_definition: { output_dataset: f.name },
      }),
    );
  for (const s of ['CREATED', 'INITIALIZING', 'SETTING_UP_TABLES', 'RUNNING'])
    out.push(ev('update_progress', null, `Update ${u} is ${s}.`, { update_progress: { state: s } }));
  for (const f of flows)
    out.push(
      ev('flow_progress', f.name, `Flow '${f.name}' is QUEUED.`, { flow_progress: { status: 'QUEUED' } }),
    );
  for (const f of flows) {
    for (const s of ['PLANNING', 'STARTING', 'RUNNING'])
      out.push(ev('flow_progress', f.name, `Flow '${f.name}' is ${s}.`, { flow_progress: { status: s } }));
    const rows = 100 + ((u * 7 + f.name.length) % 50);
    out.push({
      ...ev(
        'flow_progress',
        f.name,
        `Flow '${f.name}' committed batch ${u}: ${rows} rows.`,
        {
          flow_progress: {
            status: 'RUNNING',
            metrics: { num_output_rows: rows },
            batch_id: u,
            table_version: u + 1,
          },
        },
        'METRICS',
      ),
      origin: origin(f.name, u),
    });
    const failed = (u + f.name.length) % 9;
    out.push(
      ev('flow_progress', f.name, `Flow '${f.name}' has COMPLETED.`, {
        flow_progress: {
          status: 'COMPLETED',
          metrics: {
            num_input_rows: rows + failed,
            num_output_rows: rows,
            num_output_bytes: rows * 40,
            num_batches: 1,
            num_files: 1,
          },
          duration_ms: 40,
          ...(f.expectations.length
            ? {
                data_quality: {
                  dropped_records: failed,
                  quarantined_records: 0,
                  expectations: f.expectations.map((x) => ({
                    name: x,
                    dataset: f.name,
                    passed_records: rows,
                    failed_records: failed,
                  })),
                },
              }
            : {}),
        },
      }),
    );
  }
  out.push(
    ev('update_progress', null, `Update ${u} is COMPLETED.`, { update_progress: { state: 'COMPLETED' } }),
  );
  return out;
}

async function generate(dir: string, updates: number): Promise<{ flows: Flow[]; events: number }> {
  rmSync(dir, { recursive: true, force: true });
  const flows = generatePipeline(dir);
  const session = new Session();
  const writer = await EventLogWriter.open(session.db, join(dir, '.sluice'));
  let events = 0;
  const t0 = Date.now() - updates * 60_000;
  const started = performance.now();
  for (let u = 0; u < updates; u++) {
    const rows = updateEvents(flows, u, t0 + u * 60_000).map((e) => writer.stamp(e));
    events += rows.length;
    await writer.write(rows);
    if ((u + 1) % 100 === 0)
      console.log(
        `  wrote ${u + 1} updates (${events.toLocaleString('en-US')} events, ${((performance.now() - started) / 1000).toFixed(0)} s)`,
      );
  }
  await writer.close();
  await session.close();
  // Every update ends with automatic maintenance, which compacts the event log's small files;
  // the generated log gets the same (one commit per update left it at one file per update).
  const report = await maintainPipeline(dir, { cwd: dir });
  const log = report.tables.find((t) => t.table === 'event_log');
  console.log(`  compacted the event log: ${JSON.stringify(log?.compaction ?? log ?? {})}`.slice(0, 200));
  writeFileSync(join(dir, 'bench.json'), JSON.stringify({ updates, events }));
  return { flows, events };
}

function newest(dir: string): number {
  let m = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    m = Math.max(m, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return m;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(0)} ms`;

/**
 * Waits until `expression` is true in the page, polling through page.evaluate every 10 ms
 * (Playwright's waitForFunction compiles its predicate in the page, which the dashboard's CSP
 * forbids). The poll adds at most ~10 ms to a measured latency.
 */
async function waitUntil(page: Page, expression: string, timeout = 30_000): Promise<void> {
  const deadline = performance.now() + timeout;
  while (!(await page.evaluate(expression))) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `sluice ui` as a user starts it: until it prints its URL. */
async function cliStart(dir: string): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'sluice.js'), 'ui', dir, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
      if (out.includes('sluice ui: http')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`sluice ui exited with ${code}: ${out}`)));
  });
  const t = performance.now() - t0;
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  return t;
}

export async function run(args: readonly string[] = []): Promise<void> {
  const updates = Number(args.find((a) => /^\d+$/.test(a)) ?? 1000);
  const dir = join(ROOT, 'bench', '.data', 'ui');
  const marker = join(dir, 'bench.json');
  let events: number;
  if (
    !args.includes('--fresh') &&
    existsSync(marker) &&
    (JSON.parse(readFileSync(marker, 'utf8')) as { updates: number }).updates === updates
  ) {
    events = (JSON.parse(readFileSync(marker, 'utf8')) as { events: number }).events;
    console.log(`ui: reusing ${dir} (${updates} updates, ${events.toLocaleString('en-US')} events)`);
  } else {
    console.log(`ui: writing a 200-dataset pipeline with ${updates} updates in its event log…`);
    ({ events } = await generate(dir, updates));
  }
  const executablePath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (!executablePath) throw new Error("needs Debian's chromium (apt-get install -y chromium)");

  if (
    (statSync(join(ROOT, 'dist', 'sluice.cjs'), { throwIfNoEntry: false })?.mtimeMs ?? 0) <
    newest(join(ROOT, 'src'))
  )
    console.log(
      'note: dist/sluice.cjs is older than src/: sluice runs from the sources through tsx (slow start); `npm run bench` builds first',
    );
  const cli = [await cliStart(dir), await cliStart(dir), await cliStart(dir)];
  console.log(
    `sluice ui start (bundled CLI, to the printed URL): median ${ms(median(cli))} (${cli.map(ms).join(', ')})`,
  );

  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const painted = `document.querySelectorAll('[data-testid="node"][data-state="COMPLETED"]').length >= 200`;

  // Cold: the server just started (nothing validated or summarized yet) and the page opens at once.
  const t0 = performance.now();
  const dashboard = await startDashboard({ dir, port: 0, pollMs: 100 });
  const listening = performance.now() - t0;
  const id = dashboard.pipelines[0]!.id;
  await page.goto(`${dashboard.url}#/${id}/graph`);
  await waitUntil(page, painted);
  const cold = performance.now() - t0;
  console.log(
    `cold: listening after ${ms(listening)}; 200 datasets painted with their states ${ms(cold)} after the server started (validating 200 datasets and summarizing ${updates} updates)`,
  );

  const paints: number[] = [];
  for (let i = 0; i < 5; i++) {
    await page.goto('about:blank');
    await page.goto(`${dashboard.url}#/${id}/graph`);
    await waitUntil(page, painted);
    paints.push(Number(await page.evaluate('performance.now()')));
  }
  console.log(
    `first meaningful paint (200 datasets with their states, from navigation; server warm): median ${ms(median(paints))}, max ${ms(Math.max(...paints))} (goal ≤ 1000 ms; each: ${paints.map(ms).join(', ')})`,
  );

  // Live: another writer appends an update's events; the page must show each state change.
  // In the page: when each node's state changed (epoch ms), by `dataset:state`.
  await page.evaluate(`
    window.__shown = {};
    new MutationObserver((ms) => {
      for (const m of ms) {
        const el = m.target;
        if (el.getAttribute && el.getAttribute('data-testid') === 'node')
          window.__shown[el.getAttribute('data-dataset') + ':' + el.getAttribute('data-state')] = performance.timeOrigin + performance.now();
      }
    }).observe(document.body, { attributes: true, attributeFilter: ['data-state'], subtree: true });
  `);
  const session = new Session();
  const writer = await EventLogWriter.open(session.db, join(dir, '.sluice'));
  const flows = [
    'bronze_0',
    's_3_7',
    'mv_9_4',
    's_5_14',
    'bronze_8',
    's_1_2',
    'mv_2_1',
    's_7_9',
    'bronze_4',
    's_9_13',
  ];
  const all = generatePipelineFlows();
  const u = Number((JSON.parse(readFileSync(marker, 'utf8')) as { live?: number }).live ?? 0) + updates;
  const updateId = `00000000-0000-4000-8000-${String(u).padStart(12, '0')}`;
  const now = () => new Date().toISOString();
  const base0 = {
    pipeline_name: 'bench_ui',
    pipeline_id: 'bench',
    update_id: updateId,
    dataset_name: null,
    batch_id: null,
  };
  await writer.write([
    writer.stamp({
      origin: { ...base0, flow_name: null },
      timestamp: now(),
      message: 'start',
      level: 'INFO',
      error: null,
      details: '{"create_update":{"cause":"USER_ACTION"}}',
      event_type: 'create_update',
    }),
    writer.stamp({
      origin: { ...base0, flow_name: null },
      timestamp: now(),
      message: 'running',
      level: 'INFO',
      error: null,
      details: '{"update_progress":{"state":"RUNNING"}}',
      event_type: 'update_progress',
    }),
    ...all.map((f) =>
      writer.stamp({
        origin: { ...base0, flow_name: f, dataset_name: f },
        timestamp: now(),
        message: `${f} QUEUED`,
        level: 'INFO',
        error: null,
        details: '{"flow_progress":{"status":"QUEUED"}}',
        event_type: 'flow_progress',
      }),
    ),
  ]);
  await new Promise((r) => setTimeout(r, 800));
  const latencies: number[] = [];
  for (const flow of flows) {
    for (const state of ['RUNNING', 'COMPLETED']) {
      await writer.write([
        writer.stamp({
          origin: { ...base0, flow_name: flow, dataset_name: flow },
          timestamp: now(),
          message: `${flow} ${state}`,
          level: 'INFO',
          error: null,
          details: JSON.stringify({ flow_progress: { status: state } }),
          event_type: 'flow_progress',
        }),
      ]);
      const committed = Date.now();
      const key = `${flow}:${state}`;
      await waitUntil(page, `window.__shown[${JSON.stringify(key)}] !== undefined`, 10_000);
      const shown = Number(await page.evaluate(`window.__shown[${JSON.stringify(key)}]`));
      latencies.push(shown - committed);
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  // End the update like the engine does (every flow COMPLETED), so the next run paints the same graph.
  await writer.write([
    ...all.map((f) =>
      writer.stamp({
        origin: { ...base0, flow_name: f, dataset_name: f },
        timestamp: now(),
        message: `${f} COMPLETED`,
        level: 'INFO',
        error: null,
        details: '{"flow_progress":{"status":"COMPLETED"}}',
        event_type: 'flow_progress',
      }),
    ),
    writer.stamp({
      origin: { ...base0, flow_name: null },
      timestamp: now(),
      message: 'completed',
      level: 'INFO',
      error: null,
      details: '{"update_progress":{"state":"COMPLETED"}}',
      event_type: 'update_progress',
    }),
  ]);
  await writer.close();
  await session.close();
  const kept = JSON.parse(readFileSync(marker, 'utf8')) as { live?: number };
  writeFileSync(marker, JSON.stringify({ ...kept, live: (kept.live ?? 0) + 1 }));
  console.log(
    `live latency (event committed by another process → shown): median ${ms(median(latencies))}, max ${ms(Math.max(...latencies))} over ${latencies.length} changes (goal ≤ 500 ms; poll interval 100 ms)`,
  );
  await browser.close();
  await dashboard.close();
  console.log(`(${events.toLocaleString('en-US')} events in the log)`);
}
