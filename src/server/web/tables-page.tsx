/**
 * Tables: every stored table (datasets and quarantine tables) with its schema, Delta history
 * (versions, operations, metrics), rows at any version, and the definition it comes from.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { RowsJson, SourceFileJson, TableJson, TableListJson } from '../dashboard-types.ts';
import { DataGrid } from './data-grid.tsx';
import { bytes, count, KIND_LABEL, time } from './format.ts';
import { Empty, ErrorBox, Fact, Pager, useApi } from './ui.tsx';
import { href, type PipelineView } from './view.ts';

type Tab = 'schema' | 'history' | 'rows' | 'definition';
const PAGE = 50;

export function TablesPage({ view }: { view: PipelineView }) {
  const list = useApi<TableListJson>(`${view.base}/tables`, view.status?.update?.state);
  const tables = list.data?.tables ?? [];
  const selected = tables.find((t) => t.name === view.route.arg) ?? tables[0];
  return (
    <div class="split-page">
      <section class="list-pane narrow">
        <div class="pane-head">
          <h2>Tables</h2>
          <span class="muted">{count(tables.length)}</span>
        </div>
        {list.error ? <ErrorBox error={list.error} /> : null}
        {list.data && tables.length === 0 ? <Empty>No table is stored yet: run an update.</Empty> : null}
        <ul class="table-list" data-testid="table-list">
          {tables.map((t) => (
            <li key={t.name}>
              <a class={t.name === selected?.name ? 'active' : ''} href={href(view.id, 'tables', t.name)}>
                <span class="mono">{t.name}</span>
                <span class="muted small">{t.kind ? KIND_LABEL[t.kind] : 'not in the pipeline'}</span>
              </a>
            </li>
          ))}
        </ul>
      </section>
      <section class="detail-pane">
        {selected ? (
          <TableDetail
            key={selected.name}
            view={view}
            name={selected.name}
            dataset={selected.dataset}
            kind={selected.kind}
          />
        ) : null}
      </section>
    </div>
  );
}

function TableDetail(props: {
  view: PipelineView;
  name: string;
  dataset: string | null;
  kind: string | null;
}) {
  const { view, name } = props;
  const [tab, setTab] = useState<Tab>('schema');
  const [version, setVersion] = useState<number | undefined>(undefined);
  const info = useApi<TableJson>(
    `${view.base}/tables/${encodeURIComponent(name)}${version !== undefined ? `?version=${version}` : ''}`,
    view.status?.update?.state,
  );
  const t = info.data;
  const ownDataset = props.kind !== 'quarantine' ? props.dataset : null;
  return (
    <div class="table-detail">
      <div class="pane-head">
        <h2 class="mono">{name}</h2>
        <span class="muted">{props.kind ? KIND_LABEL[props.kind] : ''}</span>
      </div>
      {info.error ? <ErrorBox error={info.error} /> : null}
      {t ? (
        <div class="facts">
          <Fact label="version">
            <select
              aria-label="Version"
              value={version ?? ''}
              onChange={(e) => {
                const v = (e.target as HTMLSelectElement).value;
                setVersion(v === '' ? undefined : Number(v));
              }}
            >
              <option value="">latest</option>
              {t.history.map((h) => (
                <option key={h.version} value={h.version}>
                  {h.version} · {h.operation ?? ''}
                </option>
              ))}
            </select>
          </Fact>
          <Fact label="rows">{count(t.numRows)}</Fact>
          <Fact label="files">{count(t.numFiles)}</Fact>
          <Fact label="size">{bytes(t.sizeBytes)}</Fact>
          <Fact label="committed">{time(t.timestamp)}</Fact>
        </div>
      ) : null}
      <div class="subtabs" role="tablist">
        {(['schema', 'history', 'rows', 'definition'] as const)
          .filter((x) => x !== 'definition' || props.dataset)
          .map((x) => (
            <button
              type="button"
              role="tab"
              key={x}
              class={`subtab ${tab === x ? 'on' : ''}`}
              onClick={() => setTab(x)}
            >
              {x === 'rows' ? 'Preview' : x[0]!.toUpperCase() + x.slice(1)}
            </button>
          ))}
      </div>
      {t && tab === 'schema' ? <Schema t={t} /> : null}
      {t && tab === 'history' ? (
        <History
          t={t}
          onPick={(v) => {
            setVersion(v);
            setTab('rows');
          }}
        />
      ) : null}
      {tab === 'rows' ? <Preview view={view} name={name} version={version} /> : null}
      {tab === 'definition' && props.dataset ? (
        <Definition view={view} dataset={ownDataset ?? props.dataset} />
      ) : null}
    </div>
  );
}

function Schema({ t }: { t: TableJson }) {
  const props = Object.entries(t.properties);
  return (
    <div class="scroll">
      <table class="grid" data-testid="schema-table">
        <thead>
          <tr>
            <th>column</th>
            <th>type</th>
            <th>nullable</th>
          </tr>
        </thead>
        <tbody>
          {t.columns.map((c) => (
            <tr key={c.name}>
              <td class="mono">{c.name}</td>
              <td class="type">{c.type}</td>
              <td>{c.nullable ? 'yes' : 'no'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.length > 0 ? (
        <>
          <h3>Table properties</h3>
          <table class="grid compact">
            <tbody>
              {props.map(([k, v]) => (
                <tr key={k}>
                  <td class="mono">{k}</td>
                  <td class="mono">{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </div>
  );
}

function metrics(m: Readonly<Record<string, unknown>>): string {
  return Object.entries(m)
    .slice(0, 4)
    .map(
      ([k, v]) =>
        `${k
          .replace(/^num/, '')
          .replace(/([A-Z])/g, ' $1')
          .trim()
          .toLowerCase()} ${String(v)}`,
    )
    .join(' · ');
}

function History({ t, onPick }: { t: TableJson; onPick: (version: number) => void }) {
  return (
    <div class="scroll">
      <table class="grid rows-clickable" data-testid="history-table">
        <thead>
          <tr>
            <th class="num">version</th>
            <th>time</th>
            <th>operation</th>
            <th class="num">files +/−</th>
            <th class="num">rows added</th>
            <th>batch</th>
            <th>metrics</th>
          </tr>
        </thead>
        <tbody>
          {t.history.map((h) => (
            <tr key={h.version} onClick={() => onPick(h.version)} title="show the rows at this version">
              <td class="num mono">{h.version}</td>
              <td>{time(h.timestamp)}</td>
              <td>
                <span class="op">{h.operation ?? '–'}</span>
              </td>
              <td class="num">
                +{h.filesAdded} / −{h.filesRemoved}
              </td>
              <td class="num">{count(h.rowsAdded)}</td>
              <td class="muted small">{h.txn ? `${h.txn.appId} #${h.txn.version}` : ''}</td>
              <td class="muted small">{metrics(h.operationMetrics)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Preview({ view, name, version }: { view: PipelineView; name: string; version: number | undefined }) {
  const [offset, setOffset] = useState(0);
  const rows = useApi<RowsJson>(
    `${view.base}/tables/${encodeURIComponent(name)}/rows?offset=${offset}&limit=${PAGE}${version !== undefined ? `&version=${version}` : ''}`,
    view.status?.update?.state,
  );
  if (rows.error) return <ErrorBox error={rows.error} />;
  if (!rows.data) return <Empty>Loading rows…</Empty>;
  return (
    <div class="preview">
      <div class="muted small">
        version {rows.data.version} · {count(rows.data.total)} rows
      </div>
      {rows.data.total === 0 ? (
        <Empty>The table is empty at this version.</Empty>
      ) : (
        <DataGrid data={rows.data} />
      )}
      {rows.data.total > PAGE ? (
        <Pager offset={offset} limit={PAGE} total={rows.data.total} onChange={setOffset} />
      ) : null}
    </div>
  );
}

function Definition({ view, dataset }: { view: PipelineView; dataset: string }) {
  const src = useApi<SourceFileJson>(`${view.base}/source?dataset=${encodeURIComponent(dataset)}`);
  const mark = useRef<HTMLDivElement>(null);
  useEffect(() => mark.current?.scrollIntoView({ block: 'center' }), [src.data]);
  if (src.error) return <ErrorBox error={src.error} />;
  if (!src.data) return <Empty>Loading the definition…</Empty>;
  const lines = src.data.text.split('\n');
  return (
    <div class="source-view" data-testid="definition">
      <div class="muted small mono">
        {src.data.file}:{src.data.line}
      </div>
      <pre class="code">
        {lines.map((l, i) => (
          <div
            key={i}
            ref={i + 1 === src.data!.line ? mark : undefined}
            class={`code-line ${i + 1 === src.data!.line ? 'hl' : ''}`}
          >
            <span class="ln">{i + 1}</span>
            <span class={l.trimStart().startsWith('--') || l.trimStart().startsWith('//') ? 'comment' : ''}>
              {l || ' '}
            </span>
          </div>
        ))}
      </pre>
    </div>
  );
}
