/**
 * The graph page: the dataflow graph with each dataset's state in the shown update (live), rows
 * written and data-quality pass rate; click a dataset for its details.
 */
import type { DatasetJson, FlowStatusJson, TableJson, UpdateStatusJson } from '../dashboard-types.ts';
import { ACTION_LABEL, count, duration, KIND_LABEL, passRate, rate } from './format.ts';
import { GraphCanvas, type Placed } from './graph-canvas.tsx';
import { Empty, ErrorBox, Fact, StateBadge, stateTone, useApi, where } from './ui.tsx';
import { href, type PipelineView } from './view.ts';

const STATE_ORDER = [
  'FAILED',
  'RUNNING',
  'STARTING',
  'PLANNING',
  'QUEUED',
  'STOPPED',
  'SKIPPED',
  'COMPLETED',
  'IDLE',
  'EXCLUDED',
];

/** A dataset's flows in an update, folded: the most telling state, rows and counts summed. */
export interface DatasetState {
  readonly state: string | null;
  readonly rows: number | null;
  readonly flows: readonly FlowStatusJson[];
  /** Lowest pass rate over its expectations, as 0..1. */
  readonly minRate: number | null;
}

export function datasetState(name: string, update: UpdateStatusJson | null | undefined): DatasetState {
  const flows = (update?.flows ?? []).filter((f) => f.dataset === name);
  if (flows.length === 0) return { state: null, rows: null, flows, minRate: null };
  const state = flows.map((f) => f.state).sort((a, b) => STATE_ORDER.indexOf(a) - STATE_ORDER.indexOf(b))[0]!;
  const rows = flows.some((f) => f.rowsWritten !== null)
    ? flows.reduce((n, f) => n + (f.rowsWritten ?? 0), 0)
    : null;
  let minRate: number | null = null;
  for (const f of flows)
    for (const x of f.dataQuality?.expectations ?? []) {
      const r = rate(x.passed, x.failed);
      if (r !== null && (minRate === null || r < minRate)) minRate = r;
    }
  return { state, rows, flows, minRate };
}

function DatasetCard({
  d,
  s,
  selected,
  link,
}: {
  d: DatasetJson;
  s: DatasetState;
  selected: boolean;
  link: string;
}) {
  const tone = d.failed ? 'bad' : stateTone(s.state);
  return (
    <a
      class={`node card tone-${tone} ${selected ? 'selected' : ''} ${s.state === 'RUNNING' ? 'pulse' : ''}`}
      data-testid="node"
      data-dataset={d.name}
      data-state={s.state ?? ''}
      href={link}
    >
      <div class="card-head">
        <span class="card-name" title={d.name}>
          {d.name}
        </span>
      </div>
      <div class="card-kind">
        <span class={`kind kind-${d.kind}`}>{KIND_LABEL[d.kind]}</span>
        {d.failed ? (
          <span class="badge tone-bad">REFUSED</span>
        ) : s.state ? (
          <span class={`state tone-${tone}`}>{s.state}</span>
        ) : null}
      </div>
      <div class="card-metrics">
        <span title="rows written in this update">{s.rows === null ? '–' : `${count(s.rows)} rows`}</span>
        {d.expectations.length > 0 ? (
          <span
            class={`dq ${s.minRate !== null && s.minRate < 0.95 ? 'dq-low' : ''}`}
            title="lowest expectation pass rate"
          >
            {s.minRate === null
              ? `${d.expectations.length} rule${d.expectations.length === 1 ? '' : 's'}`
              : `DQ ${(s.minRate * 100).toFixed(2)}%`}
          </span>
        ) : null}
      </div>
    </a>
  );
}

export function GraphPage({ view }: { view: PipelineView }) {
  const graph = view.graph;
  if (!graph) return <Empty>Validating the pipeline…</Empty>;
  const update = view.status?.update ?? null;
  const selected = view.route.arg;
  const renderNode = (n: Placed) => {
    if (n.kind === 'source') {
      const s = graph.sources.find((x) => x.id === n.id)!;
      return (
        <div class="node source" title={`${s.format} files at ${s.path}`}>
          <span class="source-format">{s.format}</span>
          <span class="source-path">{s.path}</span>
        </div>
      );
    }
    const d = graph.datasets.find((x) => x.name === n.id)!;
    return (
      <DatasetCard
        d={d}
        s={datasetState(d.name, update)}
        selected={d.name === selected}
        link={href(view.id, 'graph', d.name)}
      />
    );
  };
  const flowsRunning = new Set(
    (update?.flows ?? []).filter((f) => f.state === 'RUNNING').map((f) => f.dataset),
  );
  return (
    <div class="graph-page">
      <div class="graph-main">
        {graph.datasets.length === 0 ? (
          <Empty>The pipeline defines no datasets.</Empty>
        ) : (
          <GraphCanvas
            graph={graph}
            renderNode={renderNode}
            edgeClass={(e) => (flowsRunning.has(e.to) ? 'active' : '')}
            onBackground={() => {
              if (selected) location.hash = href(view.id, 'graph');
            }}
          />
        )}
      </div>
      <aside class="side-panel">
        {selected && graph.datasets.some((d) => d.name === selected) ? (
          <DatasetDetails view={view} d={graph.datasets.find((d) => d.name === selected)!} update={update} />
        ) : (
          <UpdateSummary view={view} update={update} />
        )}
      </aside>
    </div>
  );
}

function UpdateSummary({ view, update }: { view: PipelineView; update: UpdateStatusJson | null }) {
  const graph = view.graph!;
  const counts = new Map<string, number>();
  for (const f of update?.flows ?? []) counts.set(f.state, (counts.get(f.state) ?? 0) + 1);
  const failures = (update?.flows ?? []).filter((f) => f.error);
  return (
    <div class="panel-body" data-testid="update-summary">
      <h2>{graph.pipeline.name}</h2>
      <div class="facts">
        <Fact label="datasets">{count(graph.datasets.length)}</Fact>
        <Fact label="edges">{count(graph.edges.filter((e) => !e.source).length)}</Fact>
        <Fact label="storage">
          <code>{graph.pipeline.storage}</code>
        </Fact>
      </div>
      {graph.errors.map((e) => (
        <ErrorBox key={`${e.code}${e.dataset}`} error={e} />
      ))}
      <h3>{update ? 'Latest update' : 'No update yet'}</h3>
      {update ? (
        <>
          <div class="facts">
            <Fact label="state">
              <StateBadge state={update.state} />
            </Fact>
            <Fact label="update">
              <a href={href(view.id, 'updates', update.updateId)}>{update.updateId.slice(0, 8)}</a>
            </Fact>
            <Fact label="rows written">
              {count(update.flows.reduce((n, f) => n + (f.rowsWritten ?? 0), 0))}
            </Fact>
          </div>
          <div class="state-counts">
            {[...counts.entries()].map(([state, n]) => (
              <span key={state} class="state-count">
                <StateBadge state={state} /> {n} flow{n === 1 ? '' : 's'}
              </span>
            ))}
          </div>
          {update.error ? <ErrorBox error={update.error} title="The update failed" /> : null}
          {failures.map((f) => (
            <ErrorBox key={f.flow} error={f.error!} title={`${f.flow} failed`} />
          ))}
        </>
      ) : (
        <p class="muted">
          Start an update with ▶ Start, or run `sluice run` in a terminal: this page follows it live.
        </p>
      )}
    </div>
  );
}

function DatasetDetails({
  view,
  d,
  update,
}: {
  view: PipelineView;
  d: DatasetJson;
  update: UpdateStatusJson | null;
}) {
  const s = datasetState(d.name, update);
  const table = useApi<TableJson>(
    d.table ? `${view.base}/tables/${encodeURIComponent(d.table)}?history=0` : null,
    view.tick,
  );
  const columns =
    table.data?.columns ?? d.columns.map((c) => ({ name: c.name, type: c.type ?? '', nullable: true }));
  return (
    <div class="panel-body" data-testid="dataset-details">
      <h2 class="break">{d.name}</h2>
      <div class="card-kind">
        <span class={`kind kind-${d.kind}`}>{KIND_LABEL[d.kind]}</span>
        <StateBadge state={d.failed ? 'FAILED' : s.state} />
      </div>
      {d.comment ? <p class="muted">{d.comment}</p> : null}
      <div class="facts">
        <Fact label="rows written">{count(s.rows)}</Fact>
        <Fact label="batches">
          {count(s.flows.reduce((n, f) => n + (f.numBatches ?? f.batches.length), 0))}
        </Fact>
        <Fact label="duration">{duration(s.flows.reduce((n, f) => n + (f.durationMs ?? 0), 0) || null)}</Fact>
        {table.data ? <Fact label="table rows">{count(table.data.numRows)}</Fact> : null}
      </div>
      {s.flows.map((f) => (
        <div key={f.flow}>
          {f.technique ? (
            <p class="muted small">
              {f.technique}: {f.planningReason}
            </p>
          ) : null}
          {f.skippedBecause ? (
            <p class="warn-text">Skipped: upstream flow {f.skippedBecause} failed.</p>
          ) : null}
          {f.error ? <ErrorBox error={f.error} title={`Flow ${f.flow} failed`} /> : null}
        </div>
      ))}
      {d.expectations.length > 0 ? (
        <>
          <h3>Expectations</h3>
          <table class="grid compact">
            <thead>
              <tr>
                <th>rule</th>
                <th>action</th>
                <th class="num">pass rate</th>
              </tr>
            </thead>
            <tbody>
              {d.expectations.map((x) => {
                const c = s.flows
                  .flatMap((f) => f.dataQuality?.expectations ?? [])
                  .find((e) => e.name === x.name);
                return (
                  <tr key={x.name} title={x.expression}>
                    <td class="break">
                      {x.name}
                      {c && c.failed > 0 ? <div class="bad small">{count(c.failed)} failed</div> : null}
                    </td>
                    <td>
                      <span class={`action action-${x.action}`}>{ACTION_LABEL[x.action]}</span>
                    </td>
                    <td class="num strong">{c ? passRate(c.passed, c.failed) : '–'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      ) : null}
      <h3>Schema</h3>
      {columns.length === 0 ? (
        <p class="muted small">{d.table ? 'Not stored yet.' : 'Views are computed where they are read.'}</p>
      ) : (
        <table class="grid compact">
          <tbody>
            {columns.map((c) => (
              <tr key={c.name}>
                <td>{c.name}</td>
                <td class="type">{c.type}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="links">
        {d.table ? <a href={href(view.id, 'tables', d.table)}>Table, history and rows →</a> : null}
        {d.quarantineTable ? <a href={href(view.id, 'quality', d.name)}>Quarantined rows →</a> : null}
        {d.location ? (
          <span class="muted small">defined at {where({ code: '', message: '', location: d.location })}</span>
        ) : null}
      </div>
    </div>
  );
}
