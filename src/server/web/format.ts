/** Formatting numbers, times and durations the way the CLI prints them. */

const COUNT = new Intl.NumberFormat('en-US');

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : COUNT.format(n);
}

/** `1.2 s`, `436 ms`, `3 min 04 s`, `2 h 05 min`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** Pass rate as the CLI summary prints it: `99.50%`; `–` without rows. */
export function passRate(passed: number, failed: number): string {
  const total = passed + failed;
  return total === 0 ? '–' : `${((100 * passed) / total).toFixed(2)}%`;
}

export function rate(passed: number, failed: number): number | null {
  const total = passed + failed;
  return total === 0 ? null : passed / total;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Local time `HH:MM:SS`, with the date when not today. */
export function time(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const t = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return t;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${t}`;
}

/** `5 s ago`, `3 min ago`, … */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export const shortId = (id: string) => id.slice(0, 8);

export const KIND_LABEL: Readonly<Record<string, string>> = {
  streaming_table: 'streaming table',
  materialized_view: 'materialized view',
  temporary_view: 'temporary view',
  persisted_view: 'view',
  quarantine: 'quarantine table',
};

export const ACTION_LABEL: Readonly<Record<string, string>> = {
  warn: 'warn',
  drop: 'drop row',
  fail: 'fail update',
  quarantine: 'quarantine',
};

/** A cell value of a table preview as text. */
export function cell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
