/**
 * Webhook delivery: an HTTP(S) POST of a JSON body, retried with exponential backoff on
 * network errors, timeouts, 408, 429 and 5xx; other 4xx answers are final. Bounded: at most
 * `attempts` tries, each limited by `timeoutMs`. Never throws: the outcome is returned.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Tries in total (default 3). */
  readonly attempts?: number;
  /** Pause before the 2nd try; doubled for each further one (default 200 ms). */
  readonly backoffMs?: number;
  /** Per-try limit (default 5000 ms). */
  readonly timeoutMs?: number;
}

export interface DeliveryOutcome {
  readonly ok: boolean;
  readonly attempts: number;
  /** HTTP status of the last answer, when there was one. */
  readonly status?: number;
  /** Why the last try failed. */
  readonly error?: string;
}

function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** POSTs `body` as JSON to `url` (see the module comment). */
export async function postWebhook(
  url: string,
  body: unknown,
  policy: RetryPolicy = {},
): Promise<DeliveryOutcome> {
  const attempts = Math.max(1, policy.attempts ?? 3);
  const backoff = policy.backoffMs ?? 200;
  const text = JSON.stringify(body);
  let last: DeliveryOutcome = { ok: false, attempts: 0 };
  for (let i = 1; i <= attempts; i++) {
    if (i > 1) await sleep(backoff * 2 ** (i - 2));
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'sluice-notifications' },
        body: text,
        signal: AbortSignal.timeout(policy.timeoutMs ?? 5000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true, attempts: i, status: res.status };
      last = { ok: false, attempts: i, status: res.status, error: `HTTP ${res.status}` };
      if (!retryable(res.status)) return last;
    } catch (e) {
      const cause = (e as Error & { cause?: { code?: string; message?: string } }).cause;
      last = { ok: false, attempts: i, error: cause?.code ?? cause?.message ?? (e as Error).message };
    }
  }
  return last;
}
