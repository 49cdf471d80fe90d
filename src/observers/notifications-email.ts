/**
 * Email delivery through an SMTP server with nodemailer. The server comes from the spec's
 * `smtp` block; each field the spec leaves out is read from the environment:
 * SLUICE_SMTP_HOST, SLUICE_SMTP_PORT (default 587, or 465 when secure), SLUICE_SMTP_FROM
 * (default `sluice@<host>`), SLUICE_SMTP_SECURE (`true` = implicit TLS), SLUICE_SMTP_USER,
 * SLUICE_SMTP_PASSWORD (keep passwords out of the spec). Without `secure`, STARTTLS is used when
 * the server offers it. Never throws: the outcome is returned.
 */
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SmtpSpec } from '../spec/index.ts';
import type { DeliveryOutcome, RetryPolicy } from './notifications-webhook.ts';

export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  readonly from: string;
  readonly secure: boolean;
  readonly user?: string;
  readonly password?: string;
}

/** The SMTP server to use, or undefined when neither the spec nor the environment names a host. */
export function smtpSettings(
  spec: SmtpSpec | undefined,
  env: NodeJS.ProcessEnv = process.env,
): SmtpSettings | undefined {
  const host = spec?.host ?? env.SLUICE_SMTP_HOST;
  if (!host) return undefined;
  const secure = spec?.secure ?? /^(1|true|yes)$/i.test(env.SLUICE_SMTP_SECURE ?? '');
  const envPort = Number(env.SLUICE_SMTP_PORT);
  const port = spec?.port ?? (Number.isInteger(envPort) && envPort > 0 ? envPort : secure ? 465 : 587);
  const user = spec?.user ?? env.SLUICE_SMTP_USER;
  const password = spec?.password ?? env.SLUICE_SMTP_PASSWORD;
  return {
    host,
    port,
    from: spec?.from ?? env.SLUICE_SMTP_FROM ?? `sluice@${host}`,
    secure,
    ...(user ? { user } : {}),
    ...(password !== undefined ? { password } : {}),
  };
}

export interface EmailMessage {
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
}

/** Sends one message to all recipients; retried like webhooks (connection errors and 4xx replies). */
export async function sendEmail(
  settings: SmtpSettings | undefined,
  message: EmailMessage,
  policy: RetryPolicy = {},
): Promise<DeliveryOutcome> {
  if (!settings) {
    return {
      ok: false,
      attempts: 0,
      error: 'no SMTP server configured (spec smtp.host or SLUICE_SMTP_HOST)',
    };
  }
  const timeout = policy.timeoutMs ?? 5000;
  // Loaded on first use (most updates send no email): nodemailer is large and CommonJS.
  const nodemailer = createRequire(import.meta.url)('nodemailer') as typeof import('nodemailer');
  const transport = nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    ...(settings.user ? { auth: { user: settings.user, pass: settings.password ?? '' } } : {}),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  const attempts = Math.max(1, policy.attempts ?? 3);
  let last: DeliveryOutcome = { ok: false, attempts: 0 };
  try {
    for (let i = 1; i <= attempts; i++) {
      if (i > 1) await sleep((policy.backoffMs ?? 200) * 2 ** (i - 2));
      try {
        await transport.sendMail({
          from: settings.from,
          to: [...message.to],
          subject: message.subject,
          text: message.text,
        });
        return { ok: true, attempts: i };
      } catch (e) {
        const err = e as Error & { code?: string; responseCode?: number };
        last = {
          ok: false,
          attempts: i,
          ...(err.responseCode !== undefined ? { status: err.responseCode } : {}),
          error: err.code ? `${err.code}: ${err.message}` : err.message,
        };
        // 5xx SMTP replies are permanent (bad recipient, auth refused): do not retry.
        if (err.responseCode !== undefined && err.responseCode >= 500) return last;
      }
    }
    return last;
  } finally {
    transport.close();
  }
}
