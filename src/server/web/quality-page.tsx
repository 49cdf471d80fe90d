/**
 * Data quality: each expectation's pass rate over the last updates (chart and table, with its
 * action), and the quarantine browser — quarantined rows filtered by rule, with `_violations`,
 * `_batch_id` and `_source`.
 */
import { useState } from 'preact/hooks';
import type { QualityJson, RowsJson } from '../dashboard-types.ts';
import { DataGrid } from './data-grid.tsx';
import { ACTION_LABEL, count, passRate, rate } from './format.ts';
import { PassRateChart } from './pass-rate-chart.tsx';
import { Empty, ErrorBox, Pager, useApi } from './ui.tsx';
import { href, type PipelineView } from './view.ts';

const PAGE = 50;

function Sparkline({ history }: { history: QualityJson['expectations'][number]['history'] }) {
  const w = 120;
  const h = 22;
  const n = history.length;
  const bw = n > 0 ? w / n : w;
  return (
    <svg width={w} height={h} class="spark" aria-hidden="true">
      {history.map((x, i) => {
        const r = x ? rate(x.passed, x.failed) : null;
        if (r === null) return null;
        const bh = Math.max(2, r * h);
        return (
          <rect
            key={i}
            x={i * bw + 0.5}
            y={h - bh}
            width={Math.max(1, bw - 1)}
            height={bh}
            class={r < 0.95 ? 'spark-low' : 'spark-ok'}
          />
        );
      })}
    </svg>
  );
}

export function QualityPage({ view }: { view: PipelineView }) {
  const [last, setLast] = useState(20);
  const quality = useApi<QualityJson>(`${view.base}/quality?updates=${last}`, view.status?.update?.state);
  const q = quality.data;
  const quarantined = (view.graph?.datasets ?? []).filter((d) => d.quarantineTable);
  return (
    <div class="page-scroll">
      <section class="card-section">
        <div class="pane-head">
          <h2>Expectations</h2>
          <label class="muted">
            over the last{' '}
            <select value={last} onChange={(e) => setLast(Number((e.target as HTMLSelectElement).value))}>
              {[10, 20, 50, 100].map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>{' '}
            updates
          </label>
        </div>
        {quality.error ? <ErrorBox error={quality.error} /> : null}
        {q && q.expectations.length === 0 ? <Empty>The pipeline declares no expectations.</Empty> : null}
        {q && q.updates.length > 0 && q.expectations.length > 0 ? (
          <>
            <PassRateChart quality={q} />
            {q.expectations.length > 10 ? (
              <div class="muted small chart-note">
                The chart shows the 10 expectations with the lowest pass rate over these updates; the table
                lists all {q.expectations.length}.
              </div>
            ) : null}
          </>
        ) : null}
        {q && q.expectations.length > 0 ? (
          <table class="grid" data-testid="expectations-table">
            <thead>
              <tr>
                <th>dataset</th>
                <th>expectation</th>
                <th>action</th>
                <th class="num">passed</th>
                <th class="num">failed</th>
                <th class="num">pass rate</th>
                <th>last {q.updates.length} updates</th>
              </tr>
            </thead>
            <tbody>
              {q.expectations.map((e) => {
                const latest = [...e.history].reverse().find((h) => h !== null) ?? null;
                const r = latest ? rate(latest.passed, latest.failed) : null;
                return (
                  <tr key={`${e.dataset}.${e.name}`} data-expectation={`${e.dataset}.${e.name}`}>
                    <td>{e.dataset}</td>
                    <td title={e.expression ?? ''}>
                      {e.name}
                      {e.expression ? <div class="muted small mono">{e.expression}</div> : null}
                    </td>
                    <td>
                      {e.action ? (
                        <span class={`action action-${e.action}`}>{ACTION_LABEL[e.action]}</span>
                      ) : (
                        '–'
                      )}
                    </td>
                    <td class="num">{latest ? count(latest.passed) : '–'}</td>
                    <td class={`num ${latest && latest.failed > 0 ? 'bad' : ''}`}>
                      {latest ? count(latest.failed) : '–'}
                    </td>
                    <td class={`num strong ${r !== null && r < 0.95 ? 'bad' : ''}`} data-testid="pass-rate">
                      {latest ? passRate(latest.passed, latest.failed) : '–'}
                    </td>
                    <td>
                      <Sparkline history={e.history} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : null}
      </section>
      {quarantined.length > 0 ? <QuarantineBrowser view={view} /> : null}
    </div>
  );
}

function QuarantineBrowser({ view }: { view: PipelineView }) {
  const datasets = (view.graph?.datasets ?? []).filter((d) => d.quarantineTable);
  const dataset = datasets.find((d) => d.name === view.route.arg) ?? datasets[0]!;
  const [rule, setRule] = useState<string>('');
  const [offset, setOffset] = useState(0);
  const rules = dataset.expectations.filter((x) => x.action === 'quarantine');
  const activeRule = rules.some((r) => r.name === rule) ? rule : '';
  const rows = useApi<RowsJson>(
    `${view.base}/quarantine?dataset=${encodeURIComponent(dataset.name)}&rule=${encodeURIComponent(activeRule)}&offset=${offset}&limit=${PAGE}`,
    view.status?.update?.state,
  );
  return (
    <section class="card-section" data-testid="quarantine-browser">
      <div class="pane-head">
        <h2>Quarantine</h2>
        {datasets.length > 1 ? (
          <select
            aria-label="Dataset"
            value={dataset.name}
            onChange={(e) => {
              setOffset(0);
              location.hash = href(view.id, 'quality', (e.target as HTMLSelectElement).value);
            }}
          >
            {datasets.map((d) => (
              <option key={d.name} value={d.name}>
                {d.name}
              </option>
            ))}
          </select>
        ) : (
          <span class="muted">
            <code>{dataset.quarantineTable}</code>
          </span>
        )}
      </div>
      <fieldset class="chips" aria-label="Filter by rule">
        <button
          type="button"
          class={`chip-btn ${activeRule === '' ? 'on' : ''}`}
          onClick={() => {
            setRule('');
            setOffset(0);
          }}
        >
          all rules
        </button>
        {rules.map((r) => (
          <button
            type="button"
            key={r.name}
            data-rule={r.name}
            class={`chip-btn ${activeRule === r.name ? 'on' : ''}`}
            title={r.expression}
            onClick={() => {
              setRule(r.name);
              setOffset(0);
            }}
          >
            {r.name}
          </button>
        ))}
      </fieldset>
      {rows.error ? <ErrorBox error={rows.error} /> : null}
      {rows.data ? (
        <>
          <div class="muted small" data-testid="quarantine-total">
            {count(rows.data.total)} quarantined row{rows.data.total === 1 ? '' : 's'}
            {activeRule ? ` violating ${activeRule}` : ''}
            {rows.data.version >= 0 ? ` · table version ${rows.data.version}` : ''}
          </div>
          {rows.data.total > 0 ? (
            <DataGrid data={rows.data} highlight={['_violations', '_batch_id', '_source']} lead />
          ) : (
            <Empty>No quarantined rows.</Empty>
          )}
          {rows.data.total > PAGE ? (
            <Pager offset={offset} limit={PAGE} total={rows.data.total} onChange={setOffset} />
          ) : null}
        </>
      ) : null}
    </section>
  );
}
