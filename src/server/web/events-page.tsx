/**
 * The event log, filtered by level, event type, dataset and text, paged by the server (a
 * DuckDB query per page; the log is never shipped whole). Click an event for its details.
 */
import { useEffect, useState } from 'preact/hooks';
import type { EventJson, EventsJson } from '../dashboard-types.ts';
import { qs } from './api.ts';
import { shortId, time } from './format.ts';
import { Empty, ErrorBox, Loading, Pager, useApi } from './ui.tsx';
import type { PipelineView } from './view.ts';

const LEVELS = ['INFO', 'WARN', 'ERROR', 'METRICS'] as const;
const TYPES = [
  'create_update',
  'update_progress',
  'flow_progress',
  'planning_information',
  'dataset_definition',
  'flow_definition',
];
const PAGE = 100;

function prettyDetails(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function EventsPage({ view }: { view: PipelineView }) {
  const [levels, setLevels] = useState<readonly string[]>([]);
  const [type, setType] = useState('');
  const [dataset, setDataset] = useState('');
  const [text, setText] = useState('');
  const [typed, setTyped] = useState('');
  const [update, setUpdate] = useState(view.route.arg ?? '');
  const [offset, setOffset] = useState(0);
  const [open, setOpen] = useState<number | undefined>(undefined);
  useEffect(() => {
    const t = setTimeout(() => setText(typed), 250);
    return () => clearTimeout(t);
  }, [typed]);
  useEffect(() => setOffset(0), [levels, type, dataset, text, update]);
  const path = `${view.base}/events${qs({ level: levels.join(','), type, dataset, text, update, offset, limit: PAGE })}`;
  const page = useApi<EventsJson>(path, view.tick, true);
  const datasets = (view.graph?.datasets ?? []).map((d) => d.name);
  const toggle = (l: string) =>
    setLevels(levels.includes(l) ? levels.filter((x) => x !== l) : [...levels, l]);
  return (
    <div class="events-page">
      <div class="filters" data-testid="event-filters">
        <fieldset class="chips" aria-label="Levels">
          {LEVELS.map((l) => (
            <button
              type="button"
              key={l}
              class={`chip-btn level-${l} ${levels.includes(l) ? 'on' : ''}`}
              onClick={() => toggle(l)}
            >
              {l}
            </button>
          ))}
        </fieldset>
        <select
          aria-label="Event type"
          value={type}
          onChange={(e) => setType((e.target as HTMLSelectElement).value)}
        >
          <option value="">all event types</option>
          {TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        <select
          aria-label="Dataset"
          value={dataset}
          onChange={(e) => setDataset((e.target as HTMLSelectElement).value)}
        >
          <option value="">all datasets</option>
          {datasets.map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
        </select>
        <input
          type="search"
          aria-label="Search messages"
          placeholder="search messages and error codes"
          value={typed}
          onInput={(e) => setTyped((e.target as HTMLInputElement).value)}
        />
        <input
          type="search"
          aria-label="Update id"
          class="narrow-input"
          placeholder="update id"
          value={update}
          onInput={(e) => setUpdate((e.target as HTMLInputElement).value.trim())}
        />
      </div>
      {page.error ? <ErrorBox error={page.error} /> : null}
      {!page.data && !page.error ? <Loading /> : null}
      {page.data && page.data.total === 0 ? <Empty>No event matches.</Empty> : null}
      {page.data && page.data.total > 0 ? (
        <>
          <div class={`scroll events-scroll ${page.loading ? 'stale' : ''}`}>
            <table class="grid events rows-clickable" data-testid="events-table">
              <thead>
                <tr>
                  <th>time</th>
                  <th>level</th>
                  <th>type</th>
                  <th>flow</th>
                  <th>message</th>
                  <th>update</th>
                </tr>
              </thead>
              <tbody>
                {page.data.rows.map((r) => (
                  <EventRow
                    key={r.sequence}
                    r={r}
                    open={open === r.sequence}
                    onToggle={() => setOpen(open === r.sequence ? undefined : r.sequence)}
                  />
                ))}
              </tbody>
            </table>
          </div>
          <Pager offset={offset} limit={PAGE} total={page.data.total} onChange={setOffset} />
        </>
      ) : null}
    </div>
  );
}

function EventRow({ r, open, onToggle }: { r: EventJson; open: boolean; onToggle: () => void }) {
  return (
    <>
      <tr class={open ? 'selected' : ''} onClick={onToggle} data-level={r.level}>
        <td class="nowrap">{time(r.timestamp)}</td>
        <td>
          <span class={`level level-${r.level}`}>{r.level}</span>
        </td>
        <td class="muted nowrap">{r.eventType}</td>
        <td class="nowrap">{r.flow ?? ''}</td>
        <td class="message">
          {r.error ? <code class="error-code">{r.error.code}</code> : null} {r.message}
        </td>
        <td class="mono muted">{r.updateId ? shortId(r.updateId) : ''}</td>
      </tr>
      {open ? (
        <tr class="details-row">
          <td colSpan={6}>
            <div class="muted small">
              sequence {r.sequence}
              {r.batchId !== null ? ` · batch ${r.batchId}` : ''} · {r.timestamp}
            </div>
            {r.error ? <div class="error-message">{r.error.message}</div> : null}
            <pre class="code small">{prettyDetails(r.details)}</pre>
          </td>
        </tr>
      ) : null}
    </>
  );
}
