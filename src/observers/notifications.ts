/**
 * Update notifications (spec `notifications: [{alerts, email_recipients, webhook_urls}]`).
 *
 * Alert mapping (Lakeflow's names; an update fires every alert that applies):
 * - `on-update-success`: the update ended COMPLETED.
 * - `on-update-failure`: the update ended FAILED, for any reason (failed flows or an update-level error).
 * - `on-update-fatal-failure`: the update ended FAILED because of an error that stopped the
 *   update as a whole (the terminal `update_state` carries `error`, i.e. `UpdateResult.error`),
 *   not merely because some flows failed.
 * - `on-flow-failure`: at least one flow ended FAILED in the update.
 * A CANCELED update fires nothing.
 *
 * Each target (webhook URL, email recipient) receives at most one message per update, sent
 * when the update reaches its terminal state and naming every alert it matched. Delivery is
 * bounded (retries with backoff, per-try timeouts) and never fails the update: outcomes go to
 * `onDelivery`.
 */

import type { EngineEvent, EngineListener, UpdateState } from '../engine/index.ts';
import type { NotificationAlert, PipelineSpec } from '../spec/index.ts';
import { sendEmail, smtpSettings } from './notifications-email.ts';
import { type DeliveryOutcome, postWebhook, type RetryPolicy } from './notifications-webhook.ts';

export interface FailedFlow {
  readonly flow: string;
  readonly dataset: string;
  readonly error_code: string | null;
  readonly message: string | null;
}

/** The JSON body of a webhook (and the facts of an email). Link-free by design. */
export interface NotificationPayload {
  readonly pipeline: string;
  readonly update_id: string;
  readonly state: UpdateState;
  readonly alerts: readonly NotificationAlert[];
  readonly started_at: string | null;
  readonly ended_at: string;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly failed_flows: readonly FailedFlow[];
  readonly summary: string;
}

export interface DeliveryReport extends DeliveryOutcome {
  readonly channel: 'webhook' | 'email';
  /** Webhook URL or email recipients joined by ', '. */
  readonly target: string;
  readonly alerts: readonly NotificationAlert[];
}

export interface NotifierOptions extends RetryPolicy {
  /** Called once per delivery attempt series (success or final failure). */
  readonly onDelivery?: (report: DeliveryReport) => void;
  readonly env?: NodeJS.ProcessEnv;
}

/** Which alerts an update outcome fires (see the module comment). */
export function firedAlerts(state: UpdateState, fatal: boolean, failedFlows: number): NotificationAlert[] {
  const out: NotificationAlert[] = [];
  if (state === 'COMPLETED') out.push('on-update-success');
  if (state === 'FAILED') {
    out.push('on-update-failure');
    if (fatal) out.push('on-update-fatal-failure');
  }
  if (failedFlows > 0) out.push('on-flow-failure');
  return out;
}

/** A one-paragraph, link-free summary of an update's outcome. */
export function summarize(p: Omit<NotificationPayload, 'summary' | 'alerts'>): string {
  const head = `Pipeline '${p.pipeline}' update ${p.update_id} ${p.state}`;
  const parts: string[] = [];
  if (p.error) parts.push(`the update failed with ${p.error.code}: ${p.error.message}`);
  if (p.failed_flows.length > 0) {
    parts.push(
      `${p.failed_flows.length} flow${p.failed_flows.length === 1 ? '' : 's'} failed: ${p.failed_flows
        .map((f) => `'${f.flow}' (dataset '${f.dataset}') with ${f.error_code ?? 'an unknown error'}`)
        .join('; ')}`,
    );
  }
  return parts.length ? `${head}: ${parts.join('; ')}.` : `${head}.`;
}

function emailText(p: NotificationPayload): string {
  const lines = [p.summary, '', `Pipeline: ${p.pipeline}`, `Update: ${p.update_id}`, `State: ${p.state}`];
  if (p.started_at) lines.push(`Started: ${p.started_at}`);
  lines.push(`Ended: ${p.ended_at}`, `Alerts: ${p.alerts.join(', ')}`);
  if (p.error) lines.push('', `Update error: ${p.error.code}: ${p.error.message}`);
  if (p.failed_flows.length > 0) {
    lines.push('', 'Failed flows:');
    for (const f of p.failed_flows)
      lines.push(`  - ${f.flow} (dataset ${f.dataset}): ${f.error_code ?? '?'}: ${f.message ?? ''}`);
  }
  lines.push('', 'Inspect with: sluice events --update ' + p.update_id);
  return `${lines.join('\n')}\n`;
}

/** Sends the configured notifications for one update. Use `listener` as an EngineListener. */
export class UpdateNotifier {
  readonly listener: EngineListener = (e) => this.onEvent(e);
  readonly #spec: Pick<PipelineSpec, 'name' | 'notifications' | 'smtp'>;
  readonly #options: NotifierOptions;
  readonly #failed = new Map<string, FailedFlow>();
  #startedAt: string | null = null;
  #done = false;

  constructor(spec: Pick<PipelineSpec, 'name' | 'notifications' | 'smtp'>, options: NotifierOptions = {}) {
    this.#spec = spec;
    this.#options = options;
  }

  async onEvent(e: EngineEvent): Promise<void> {
    if (e.kind === 'update_created') {
      this.#startedAt = new Date().toISOString();
      return;
    }
    if (e.kind === 'flow_state' && e.state === 'FAILED') {
      const err = e.error ?? e.result?.error;
      this.#failed.set(e.flow, {
        flow: e.flow,
        dataset: e.dataset,
        error_code: err?.code ?? null,
        message: err?.message ?? null,
      });
      return;
    }
    if (
      e.kind === 'update_state' &&
      (e.state === 'COMPLETED' || e.state === 'FAILED' || e.state === 'CANCELED')
    ) {
      if (this.#done) return;
      this.#done = true;
      await this.notify(
        e.updateId,
        e.state,
        e.error ? { code: e.error.code, message: e.error.message } : null,
      );
    }
  }

  /** Sends the notifications an update outcome fires; resolves when every delivery ended. */
  async notify(
    updateId: string,
    state: UpdateState,
    error: NotificationPayload['error'],
  ): Promise<DeliveryReport[]> {
    const failedFlows = [...this.#failed.values()];
    const fired = new Set(firedAlerts(state, error !== null, failedFlows.length));
    const webhooks = new Map<string, Set<NotificationAlert>>();
    const emails = new Map<string, Set<NotificationAlert>>();
    for (const n of this.#spec.notifications) {
      const matched = n.alerts.filter((a) => fired.has(a));
      if (matched.length === 0) continue;
      for (const url of n.webhookUrls)
        for (const a of matched) webhooks.set(url, (webhooks.get(url) ?? new Set()).add(a));
      for (const to of n.emailRecipients)
        for (const a of matched) emails.set(to, (emails.get(to) ?? new Set()).add(a));
    }
    if (webhooks.size === 0 && emails.size === 0) return [];
    const base = {
      pipeline: this.#spec.name,
      update_id: updateId,
      state,
      started_at: this.#startedAt,
      ended_at: new Date().toISOString(),
      error,
      failed_flows: failedFlows,
    };
    const payload = (alerts: readonly NotificationAlert[]): NotificationPayload => ({
      ...base,
      alerts,
      summary: summarize(base),
    });
    const jobs: Promise<DeliveryReport>[] = [];
    for (const [url, alerts] of webhooks) {
      const a = [...alerts];
      jobs.push(
        postWebhook(url, payload(a), this.#options).then((o) => ({
          ...o,
          channel: 'webhook',
          target: url,
          alerts: a,
        })),
      );
    }
    // Recipients with the same alert set share one message.
    const byAlerts = new Map<string, { to: string[]; alerts: NotificationAlert[] }>();
    for (const [to, alerts] of emails) {
      const a = [...alerts].sort();
      const key = a.join(',');
      const group = byAlerts.get(key) ?? { to: [], alerts: a };
      group.to.push(to);
      byAlerts.set(key, group);
    }
    const smtp = smtpSettings(this.#spec.smtp, this.#options.env);
    for (const { to, alerts } of byAlerts.values()) {
      const p = payload(alerts);
      jobs.push(
        sendEmail(
          smtp,
          { to, subject: `[sluice] Pipeline '${p.pipeline}' update ${p.state}`, text: emailText(p) },
          this.#options,
        ).then((o) => ({ ...o, channel: 'email', target: to.join(', '), alerts })),
      );
    }
    const reports = await Promise.all(jobs);
    for (const r of reports) {
      try {
        this.#options.onDelivery?.(r);
      } catch {
        // a reporting callback must not break delivery
      }
    }
    return reports;
  }
}
