/** Small building blocks every page uses: state badges, coded errors, pagers, data loading. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { ErrorJson } from '../dashboard-types.ts';
import { asError, getJson } from './api.ts';
import { count } from './format.ts';

/** The colour family of a flow or update state. */
export function stateTone(state: string | null | undefined): string {
  switch (state) {
    case 'COMPLETED':
      return 'ok';
    case 'FAILED':
      return 'bad';
    case 'RUNNING':
    case 'STARTING':
    case 'PLANNING':
    case 'INITIALIZING':
    case 'SETTING_UP_TABLES':
    case 'CREATED':
      return 'run';
    case 'QUEUED':
      return 'wait';
    case 'STOPPING':
    case 'STOPPED':
    case 'CANCELED':
      return 'warn';
    case 'IDLE':
      return 'idle';
    default:
      return 'off';
  }
}

export function StateBadge({ state }: { state: string | null | undefined }) {
  return <span class={`badge tone-${stateTone(state)}`}>{state ?? 'NO STATE'}</span>;
}

/** `file:line[:col]` of a coded error. */
export function where(e: ErrorJson): string | null {
  const l = e.location;
  return l ? `${l.file}:${l.line}${l.column !== undefined ? `:${l.column}` : ''}` : null;
}

/** A coded error: the code, the message, and where in the user's sources. */
export function ErrorBox({ error, title }: { error: ErrorJson; title?: string }) {
  const loc = where(error);
  return (
    <div class="error-box" role="alert">
      {title ? <div class="error-title">{title}</div> : null}
      <div>
        <code class="error-code">{error.code}</code>
        {loc ? <code class="error-loc">{loc}</code> : null}
        {error.dataset ? <span class="muted"> dataset {error.dataset}</span> : null}
      </div>
      <div class="error-message">{error.message}</div>
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

export function Loading() {
  return <div class="loading">Loading…</div>;
}

/** `1–50 of 1,234` with previous / next. */
export function Pager(props: {
  offset: number;
  limit: number;
  total: number;
  onChange: (offset: number) => void;
}) {
  const { offset, limit, total } = props;
  const last = Math.min(total, offset + limit);
  return (
    <div class="pager">
      <span class="muted">
        {total === 0 ? 'no rows' : `${count(offset + 1)}–${count(last)} of ${count(total)}`}
      </span>
      <button
        type="button"
        class="btn small"
        disabled={offset === 0}
        onClick={() => props.onChange(Math.max(0, offset - limit))}
      >
        ‹ Previous
      </button>
      <button
        type="button"
        class="btn small"
        disabled={last >= total}
        onClick={() => props.onChange(offset + limit)}
      >
        Next ›
      </button>
    </div>
  );
}

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: ErrorJson | undefined;
  readonly loading: boolean;
  reload(): void;
}

/**
 * Fetches `path` (none when null) and again whenever it or `tick` changes; the last data stays
 * shown while a reload runs, so live refreshes do not flicker (and, with `keepWhileLoading`,
 * while another path loads, so changing a filter does not blank the list).
 */
export function useApi<T>(path: string | null, tick: unknown = 0, keepWhileLoading = false): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ErrorJson | undefined>(undefined);
  const [loading, setLoading] = useState(false);
  const [again, setAgain] = useState(0);
  const lastPath = useRef<string | null>(null);
  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    if (lastPath.current !== path && !keepWhileLoading) setData(undefined);
    lastPath.current = path;
    setLoading(true);
    getJson<T>(path, controller.signal)
      .then((d) => {
        setData(d);
        setError(undefined);
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setError(asError(e));
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [path, tick, again]);
  const reload = useCallback(() => setAgain((n) => n + 1), []);
  return { data, error, loading, reload };
}

/** A label and a value, in the key facts rows of panels. */
export function Fact({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="fact">
      <div class="fact-label">{label}</div>
      <div class="fact-value">{children}</div>
    </div>
  );
}
