/**
 * The shell: pipeline picker, the shown update and the controls in the header, the page tabs,
 * hash routing (`#/<pipeline>/<page>/<arg>`), and the live feed every page reads.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { GraphJson, SessionJson, StatusJson } from '../dashboard-types.ts';
import { embeddedSession } from './api.ts';
import { Controls } from './controls.tsx';
import { EventsPage } from './events-page.tsx';
import { duration, shortId, time } from './format.ts';
import { GraphPage } from './graph-page.tsx';
import { QualityPage } from './quality-page.tsx';
import { TablesPage } from './tables-page.tsx';
import { ErrorBox, Loading, StateBadge, useApi } from './ui.tsx';
import { UpdatesPage } from './updates-page.tsx';
import { href, PAGES, type PageName, type PipelineView, parseHash, type Route } from './view.ts';

function useHashRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

/**
 * The live feed of one pipeline: the latest update's state, as the server pushes it, and a count
 * of the moments the graph may have changed since the page loaded: the server said it did, or
 * another update than the one first shown began (an update validates the pipeline again).
 */
function useLiveStatus(base: string | undefined): {
  status: StatusJson | undefined;
  connected: boolean;
  tick: number;
  graphs: number;
} {
  const [status, setStatus] = useState<StatusJson | undefined>(undefined);
  const [connected, setConnected] = useState(false);
  const [tick, setTick] = useState(0);
  const [graphs, setGraphs] = useState(0);
  useEffect(() => {
    if (!base) return;
    setStatus(undefined);
    const source = new EventSource(`${base}/live`);
    let shownUpdate: string | undefined;
    source.addEventListener('status', (e) => {
      const next = JSON.parse((e as MessageEvent<string>).data) as StatusJson;
      const id = next.update?.updateId;
      if (shownUpdate !== undefined && id !== undefined && id !== shownUpdate) setGraphs((n) => n + 1);
      shownUpdate = id ?? shownUpdate;
      setStatus(next);
      setTick((n) => n + 1);
    });
    source.addEventListener('graph', () => setGraphs((n) => n + 1));
    source.onopen = () => setConnected(true);
    source.onerror = () => setConnected(false);
    return () => source.close();
  }, [base]);
  return { status, connected, tick, graphs };
}

export function App() {
  const route = useHashRoute();
  // The page carries the session; asked for only when it does not.
  const embedded = useMemo(embeddedSession, []);
  const fetched = useApi<SessionJson>(embedded ? null : '/api/session');
  const session = { data: embedded ?? fetched.data, error: fetched.error };
  const pipelines = session.data?.pipelines ?? [];
  const current = pipelines.find((p) => p.id === route.pipeline) ?? pipelines[0];
  const base = current ? `/api/p/${encodeURIComponent(current.id)}` : undefined;
  const live = useLiveStatus(base);
  // The graph is validated again by the server when a file changed; fetched again for each new
  // update and when the server says it changed (not when the first status arrives).
  const graph = useApi<GraphJson>(base ? `${base}/graph` : null, live.graphs);

  useEffect(() => {
    const name = graph.data?.pipeline.name;
    if (name) document.title = `${name} · sluice`;
  }, [graph.data?.pipeline.name]);

  const view = useMemo<PipelineView | undefined>(
    () =>
      current && base
        ? { id: current.id, base, graph: graph.data, status: live.status, tick: live.tick, route }
        : undefined,
    [current, base, graph.data, live.status, live.tick, route],
  );

  if (session.error) return <ErrorBox error={session.error} title="The dashboard server did not answer" />;
  if (!session.data) return <Loading />;
  const page = route.page;
  const update = live.status?.update ?? null;
  return (
    <div class="shell">
      <header class="topbar">
        <div class="brand">sluice</div>
        <div class="pipeline-name">
          {pipelines.length > 1 ? (
            <select
              aria-label="Pipeline"
              value={current?.id}
              onChange={(e) => {
                location.hash = href((e.target as HTMLSelectElement).value, page);
              }}
            >
              {pipelines.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          ) : (
            <span class="title">{current?.name}</span>
          )}
          <span class="folder" title="pipeline folder">
            {current?.folder}
          </span>
        </div>
        <div class="update-pill" data-testid="update-pill">
          <span
            class={`live-dot ${live.connected ? 'on' : ''}`}
            title={live.connected ? 'live' : 'reconnecting'}
          />
          {update ? (
            <>
              <StateBadge state={update.state} />
              <a class="muted" href={current ? href(current.id, 'updates', update.updateId) : '#'}>
                update {shortId(update.updateId)}
              </a>
              <span class="muted">
                {update.running
                  ? `running since ${time(update.startTime)}`
                  : `${time(update.startTime)} · ${duration(update.endTime && update.startTime ? Date.parse(update.endTime) - Date.parse(update.startTime) : null)}`}
              </span>
            </>
          ) : (
            <span class="muted">no update yet</span>
          )}
        </div>
        {view ? <Controls view={view} /> : null}
      </header>
      <nav class="tabs">
        {PAGES.map((p) => (
          <a
            key={p.name}
            class={`tab ${p.name === page ? 'active' : ''}`}
            href={current ? href(current.id, p.name) : '#'}
            data-testid={`tab-${p.name}`}
          >
            {p.label}
          </a>
        ))}
        {graph.data?.stale ? (
          <span class="tab-note" data-testid="graph-stale">
            sources changed · validating…
          </span>
        ) : graph.data && !graph.data.valid ? (
          <span class="tab-note bad">{graph.data.errors.length} validation error(s)</span>
        ) : null}
      </nav>
      <main class="content">
        {graph.error ? <ErrorBox error={graph.error} title="The pipeline could not be validated" /> : null}
        {view ? <Page name={page} view={view} /> : null}
      </main>
    </div>
  );
}

function Page({ name, view }: { name: PageName; view: PipelineView }) {
  switch (name) {
    case 'graph':
      return <GraphPage view={view} />;
    case 'updates':
      return <UpdatesPage view={view} />;
    case 'quality':
      return <QualityPage view={view} />;
    case 'tables':
      return <TablesPage view={view} />;
    case 'events':
      return <EventsPage view={view} />;
  }
}
