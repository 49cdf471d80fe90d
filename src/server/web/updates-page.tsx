/**
 * The updates page: the history (state, trigger, start, duration, rows, errors) and one
 * update's timeline — each flow's span, its batches with rows, retries, skips and the error
 * with its code and file:line.
 */

import { useState } from 'preact/hooks';
import type { FlowStatusJson, StatusJson, UpdateStatusJson, UpdatesJson } from '../dashboard-types.ts';
import { count, duration, shortId, time } from './format.ts';
import { Empty, ErrorBox, Fact, Pager, StateBadge, stateTone, useApi } from './ui.tsx';
import { href, type PipelineView } from './view.ts';

const PAGE = 50;

function trigger(u: {
  cause: string | null;
  fullRefresh: boolean;
  fullRefreshSelection: readonly string[];
  refreshSelection: readonly string[];
}): string {
  const parts = [u.cause ?? '–'];
  if (u.fullRefresh) parts.push('full refresh (all)');
  else if (u.fullRefreshSelection.length) parts.push(`full refresh: ${u.fullRefreshSelection.join(', ')}`);
  if (u.refreshSelection.length) parts.push(`refresh: ${u.refreshSelection.join(', ')}`);
  return parts.join(' · ');
}

export function UpdatesPage({ view }: { view: PipelineView }) {
  const [offset, setOffset] = useState(0);
  const list = useApi<UpdatesJson>(`${view.base}/updates?offset=${offset}&limit=${PAGE}`, view.tick);
  const selected = view.route.arg ?? list.data?.updates[0]?.updateId;
  return (
    <div class="split-page">
      <section class="list-pane">
        <div class="pane-head">
          <h2>Updates</h2>
          <span class="muted">{list.data ? `${count(list.data.total)} recorded` : ''}</span>
        </div>
        {list.error ? <ErrorBox error={list.error} /> : null}
        {list.data && list.data.total === 0 ? <Empty>No update recorded yet.</Empty> : null}
        <div class="scroll">
          <table class="grid rows-clickable" data-testid="updates-table">
            <thead>
              <tr>
                <th>state</th>
                <th>update</th>
                <th>started</th>
                <th class="num">duration</th>
                <th class="num">rows</th>
                <th class="num">errors</th>
              </tr>
            </thead>
            <tbody>
              {(list.data?.updates ?? []).map((u) => (
                <tr
                  key={u.updateId}
                  class={u.updateId === selected ? 'selected' : ''}
                  onClick={() => {
                    location.hash = href(view.id, 'updates', u.updateId);
                  }}
                >
                  <td>
                    <StateBadge state={u.state} />
                  </td>
                  <td>
                    <a href={href(view.id, 'updates', u.updateId)} class="mono">
                      {shortId(u.updateId)}
                    </a>
                    <div class="muted small">{trigger(u)}</div>
                    {u.errorCode ? <div class="bad small mono">{u.errorCode}</div> : null}
                  </td>
                  <td>{time(u.startTime)}</td>
                  <td class="num">
                    {u.durationMs === null
                      ? u.state && ['COMPLETED', 'FAILED', 'CANCELED'].includes(u.state)
                        ? '–'
                        : 'running'
                      : duration(u.durationMs)}
                  </td>
                  <td class="num">{count(u.rowsWritten)}</td>
                  <td class={`num ${u.errors > 0 ? 'bad strong' : ''}`} title={u.errorCode ?? ''}>
                    {count(u.errors)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {list.data && list.data.total > PAGE ? (
          <Pager offset={offset} limit={PAGE} total={list.data.total} onChange={setOffset} />
        ) : null}
      </section>
      <section class="detail-pane">
        {selected ? <UpdateTimeline view={view} updateId={selected} /> : <Empty>Select an update.</Empty>}
      </section>
    </div>
  );
}

function UpdateTimeline({ view, updateId }: { view: PipelineView; updateId: string }) {
  const isLive = view.status?.update?.updateId === updateId;
  const fetched = useApi<StatusJson>(isLive ? null : `${view.base}/updates/${encodeURIComponent(updateId)}`);
  const update = isLive ? view.status!.update! : fetched.data?.update;
  if (fetched.error) return <ErrorBox error={fetched.error} />;
  if (!update) return <Empty>Loading update {shortId(updateId)}…</Empty>;
  return <Timeline update={update} />;
}

function Timeline({ update }: { update: UpdateStatusJson }) {
  const start = update.startTime ? Date.parse(update.startTime) : Date.now();
  const flowEnd = (f: FlowStatusJson) =>
    f.transitions.length ? Date.parse(f.transitions.at(-1)!.at) : start;
  const end = update.endTime
    ? Date.parse(update.endTime)
    : Math.max(Date.now(), ...update.flows.map(flowEnd));
  const span = Math.max(1, end - start);
  const pos = (t: number) => `${Math.max(0, Math.min(100, ((t - start) / span) * 100))}%`;
  const flows = [...update.flows].sort((a, b) =>
    (a.transitions[0]?.at ?? '').localeCompare(b.transitions[0]?.at ?? ''),
  );
  return (
    <div class="timeline" data-testid="timeline">
      <div class="pane-head">
        <h2>
          Update <span class="mono">{shortId(update.updateId)}</span>
        </h2>
        <StateBadge state={update.state} />
      </div>
      <div class="facts">
        <Fact label="started">{time(update.startTime)}</Fact>
        <Fact label="duration">{duration(end - start)}</Fact>
        <Fact label="trigger">{trigger(update)}</Fact>
        <Fact label="rows written">{count(update.flows.reduce((n, f) => n + (f.rowsWritten ?? 0), 0))}</Fact>
        <Fact label="flows">{count(update.flows.length)}</Fact>
      </div>
      {update.error ? <ErrorBox error={update.error} title="The update failed" /> : null}
      <div class="axis">
        <span>0</span>
        <span>{duration(span / 2)}</span>
        <span>{duration(span)}</span>
      </div>
      {flows.map((f) => {
        const active = f.transitions.find((t) => t.state !== 'QUEUED');
        const from = active ? Date.parse(active.at) : start;
        const to = ['COMPLETED', 'FAILED', 'SKIPPED', 'STOPPED', 'EXCLUDED', 'IDLE'].includes(f.state)
          ? flowEnd(f)
          : end;
        return (
          <div
            key={f.flow}
            class="tl-row"
            data-testid="timeline-flow"
            data-flow={f.flow}
            data-state={f.state}
          >
            <div class="tl-label">
              <span class="tl-name" title={f.flow}>
                {f.flow}
              </span>
              <StateBadge state={f.state} />
            </div>
            <div class="tl-track">
              <div
                class={`tl-bar tone-${stateTone(f.state)}`}
                style={{ left: pos(from), width: `max(3px, calc(${pos(to)} - ${pos(from)}))` }}
              />
              {f.batches.map((b) => (
                <span
                  key={b.batchId}
                  class="tl-batch"
                  style={{ left: pos(Date.parse(b.at)) }}
                  title={`batch ${b.batchId}: ${count(b.rows)} rows${b.tableVersion !== null ? `, table version ${b.tableVersion}` : ''}`}
                />
              ))}
            </div>
            <div class="tl-info">
              {f.rowsWritten !== null ? `${count(f.rowsWritten)} rows` : ''}
              {f.numBatches !== null ? ` · ${f.numBatches} batch${f.numBatches === 1 ? '' : 'es'}` : ''}
              {f.durationMs !== null ? ` · ${duration(f.durationMs)}` : ''}
              {f.retries > 0 ? (
                <span class="warn-text">
                  {' '}
                  · {f.retries} retr{f.retries === 1 ? 'y' : 'ies'}
                </span>
              ) : null}
              {f.technique ? <span class="muted"> · {f.technique}</span> : null}
              {f.skippedBecause ? <span class="warn-text"> · upstream {f.skippedBecause} failed</span> : null}
            </div>
            {f.error ? (
              <div class="tl-error">
                <ErrorBox error={f.error} />
              </div>
            ) : null}
            {f.warnings.map((w, i) => (
              <div key={i} class="tl-error warn-text small">
                {w.code}: {w.message}
              </div>
            ))}
          </div>
        );
      })}
      {flows.length === 0 ? <Empty>No flow ran in this update.</Empty> : null}
    </div>
  );
}
