import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { runPipeline } from '../../src/index.ts';
import { firedAlerts, UpdateNotifier } from '../../src/observers/index.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { writeEventPipeline } from './event-pipeline.ts';

interface Hook {
  path: string;
  body: Record<string, unknown>;
}
const hooks: Hook[] = [];
const mails: { from: string; to: string[]; raw: string }[] = [];
let hookServer: Server;
let smtp: SMTPServer;
let hookBase = '';
let smtpPort = 0;
let closedPort = 0;
let flaky = 0;

before(async () => {
  hookServer = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.url === '/flaky' && flaky++ === 0) {
        res.writeHead(503).end();
        return;
      }
      hooks.push({ path: req.url ?? '', body: JSON.parse(body) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
  hookBase = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}`;
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, cb) {
      let raw = '';
      stream.on('data', (d) => (raw += d));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
        });
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  // A port that refuses connections: bind, read the port, close.
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closedPort = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
});

after(async () => {
  hookServer.close();
  await new Promise<void>((r) => smtp.close(() => r()));
});

test('alert mapping: success, failure, fatal failure, flow failure', () => {
  assert.deepEqual(firedAlerts('COMPLETED', false, 0), ['on-update-success']);
  assert.deepEqual(firedAlerts('FAILED', false, 2), ['on-update-failure', 'on-flow-failure']);
  assert.deepEqual(firedAlerts('FAILED', true, 0), ['on-update-failure', 'on-update-fatal-failure']);
  assert.deepEqual(firedAlerts('CANCELED', false, 0), []);
});

test('a failed flow notifies the on-flow-failure webhook and email only; an unreachable webhook does not fail the update', async () => {
  hooks.length = 0;
  mails.length = 0;
  const dir = writeEventPipeline(join(tmpDir('notify'), 'p'), {
    extraSpec: `notifications:
  - alerts: [on-update-success]
    webhook_urls: ["${hookBase}/success"]
    email_recipients: [success@example.com]
  - alerts: [on-update-fatal-failure]
    webhook_urls: ["${hookBase}/fatal"]
  - alerts: [on-flow-failure]
    webhook_urls: ["${hookBase}/flow", "http://127.0.0.1:${closedPort}/nobody"]
    email_recipients: [oncall@example.com, data-team@example.com]
smtp:
  host: 127.0.0.1
  port: ${smtpPort}
  from: sluice@example.com
`,
  });
  const outcome = await runPipeline(dir, { cwd: dir });
  assert.equal(outcome.kind, 'ran');
  if (outcome.kind !== 'ran') return;
  assert.equal(outcome.result.state, 'FAILED');
  assert.equal(outcome.result.error, undefined); // the flow failed, not the update as a whole
  assert.deepEqual(
    hooks.map((h) => h.path),
    ['/flow'],
  );
  const body = hooks[0]!.body;
  assert.equal(body.pipeline, 'Event Streaming Pipeline');
  assert.equal(body.update_id, outcome.result.updateId);
  assert.equal(body.state, 'FAILED');
  assert.deepEqual(body.alerts, ['on-flow-failure']);
  assert.deepEqual(
    (body.failed_flows as { flow: string; error_code: string }[]).map((f) => [f.flow, f.error_code]),
    [['gold_amounts', 'EXPECTATION_VIOLATION']],
  );
  assert.match(String(body.summary), /gold_amounts.*EXPECTATION_VIOLATION/);
  assert.doesNotMatch(String(body.summary), /https?:/);
  assert.equal(mails.length, 1);
  assert.equal(mails[0]!.from, 'sluice@example.com');
  assert.deepEqual(mails[0]!.to.sort(), ['data-team@example.com', 'oncall@example.com']);
  assert.match(mails[0]!.raw, /Subject: \[sluice\] Pipeline 'Event Streaming Pipeline' update FAILED/);
  assert.match(mails[0]!.raw, /gold_amounts/);
  assert.match(mails[0]!.raw, /EXPECTATION_VIOLATION/);
});

test('webhooks are retried with backoff; fatal failures fire on-update-fatal-failure', async () => {
  hooks.length = 0;
  flaky = 0;
  const reports: { ok: boolean; attempts: number; target: string }[] = [];
  const notifier = new UpdateNotifier(
    {
      name: 'p',
      notifications: [
        { alerts: ['on-update-fatal-failure'], webhookUrls: [`${hookBase}/flaky`], emailRecipients: [] },
        {
          alerts: ['on-flow-failure', 'on-update-success'],
          webhookUrls: [`${hookBase}/never`],
          emailRecipients: [],
        },
      ],
    },
    { backoffMs: 10, onDelivery: (r) => reports.push(r) },
  );
  await notifier.listener({ kind: 'update_created', updateId: 'u1', cause: 'USER_ACTION', refresh: {} });
  const { SluiceError } = await import('../../src/errors/index.ts');
  await notifier.listener({
    kind: 'update_state',
    updateId: 'u1',
    state: 'FAILED',
    error: new SluiceError('TABLE_NOT_RESETTABLE', 'no reset'),
  });
  assert.deepEqual(
    reports.map((r) => [r.ok, r.attempts, r.target]),
    [[true, 2, `${hookBase}/flaky`]],
  );
  assert.deepEqual(
    hooks.map((h) => [h.path, h.body.alerts, (h.body.error as { code: string }).code]),
    [['/flaky', ['on-update-fatal-failure'], 'TABLE_NOT_RESETTABLE']],
  );
});

test('a successful update notifies on-update-success; the unreachable webhook is only a warning', async () => {
  hooks.length = 0;
  mails.length = 0;
  const dir = writeEventPipeline(join(tmpDir('notify-ok'), 'p'), {
    failing: false,
    extraSpec: `notifications:
  - alerts: [on-update-success]
    webhook_urls: ["http://127.0.0.1:${closedPort}/down", "${hookBase}/success"]
  - alerts: [on-update-failure, on-flow-failure]
    webhook_urls: ["${hookBase}/failure"]
    email_recipients: [oncall@example.com]
smtp: {host: 127.0.0.1, port: ${smtpPort}}
`,
  });
  const outcome = await runPipeline(dir, { cwd: dir });
  assert.equal(outcome.kind === 'ran' && outcome.result.state, 'COMPLETED');
  assert.deepEqual(
    hooks.map((h) => [h.path, h.body.state, h.body.failed_flows]),
    [['/success', 'COMPLETED', []]],
  );
  assert.equal(mails.length, 0);
});
