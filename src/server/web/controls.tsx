/**
 * Start, refresh, full refresh and stop. The server applies the same checks as `sluice run`
 * (the lock, refresh options, protected tables) and a refusal is shown with its code. A full
 * refresh asks first, naming every table it truncates.
 */
import { useState } from 'preact/hooks';
import type { DatasetJson, ErrorJson, StartRequest } from '../dashboard-types.ts';
import { asError, postJson } from './api.ts';
import { KIND_LABEL } from './format.ts';
import { ErrorBox } from './ui.tsx';
import type { PipelineView } from './view.ts';

type Dialog = 'refresh' | 'full' | undefined;

function storedDatasets(view: PipelineView): DatasetJson[] {
  return (view.graph?.datasets ?? []).filter((d) => d.table !== null && !d.failed);
}

export function Controls({ view }: { view: PipelineView }) {
  const [dialog, setDialog] = useState<Dialog>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ title: string; error: ErrorJson } | undefined>(undefined);
  const [menu, setMenu] = useState(false);
  const running = view.status?.running ?? null;
  // The lock holder's update has ended and its process is finishing (writing its last events,
  // releasing the lock): nothing is left to stop.
  const shown = view.status?.update;
  const ending = running !== null && shown?.updateId === running.updateId && !shown.running;

  const start = async (request: StartRequest) => {
    setBusy(true);
    setError(undefined);
    setMenu(false);
    try {
      await postJson(`${view.base}/updates`, request);
      setDialog(undefined);
    } catch (e) {
      setError({ title: 'The update did not start', error: asError(e) });
    } finally {
      setBusy(false);
    }
  };
  const stop = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await postJson(`${view.base}/stop`, {});
    } catch (e) {
      setError({ title: 'The update was not stopped', error: asError(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="controls">
      <div class="split">
        <button
          type="button"
          class="btn primary"
          data-testid="start"
          disabled={busy || running !== null || view.graph?.runnable === false}
          onClick={() => start({})}
        >
          ▶ Start
        </button>
        <button
          type="button"
          class="btn primary caret"
          aria-label="More ways to start"
          disabled={busy || running !== null}
          onClick={() => setMenu(!menu)}
        >
          ▾
        </button>
        {menu ? (
          <div class="menu">
            <button type="button" onClick={() => start({})}>
              Run one update
            </button>
            <button type="button" onClick={() => start({ continuous: true })}>
              Run continuously
            </button>
          </div>
        ) : null}
      </div>
      <button
        type="button"
        class="btn"
        disabled={busy || running !== null}
        onClick={() => setDialog('refresh')}
      >
        Refresh…
      </button>
      <button
        type="button"
        class="btn"
        data-testid="full-refresh"
        disabled={busy || running !== null}
        onClick={() => setDialog('full')}
      >
        Full refresh…
      </button>
      <button
        type="button"
        class="btn danger"
        data-testid="stop"
        disabled={busy || running === null || ending}
        onClick={stop}
      >
        ■ Stop
      </button>
      {error ? (
        <div class="toast" data-testid="control-error">
          <button type="button" class="close" aria-label="Dismiss" onClick={() => setError(undefined)}>
            ×
          </button>
          <ErrorBox error={error.error} title={error.title} />
        </div>
      ) : null}
      {dialog ? (
        <SelectDialog
          kind={dialog}
          datasets={storedDatasets(view)}
          busy={busy}
          onCancel={() => setDialog(undefined)}
          onConfirm={(names, all) =>
            start(
              dialog === 'refresh'
                ? { refresh: names }
                : all
                  ? { fullRefreshAll: true }
                  : { fullRefresh: names },
            )
          }
        />
      ) : null}
    </div>
  );
}

function SelectDialog(props: {
  kind: 'refresh' | 'full';
  datasets: DatasetJson[];
  busy: boolean;
  onCancel: () => void;
  onConfirm: (names: string[], all: boolean) => void;
}) {
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set());
  const full = props.kind === 'full';
  const all = chosen.size === props.datasets.length && props.datasets.length > 0;
  const picked = props.datasets.filter((d) => chosen.has(d.name));
  const blocked = picked.filter((d) => d.properties['pipelines.reset.allowed']?.toLowerCase() === 'false');
  const toggle = (name: string) => {
    const next = new Set(chosen);
    if (next.has(name)) next.delete(name);
    else next.add(name);
    setChosen(next);
  };
  return (
    <div class="modal-backdrop">
      <div
        class="modal"
        role="dialog"
        aria-modal="true"
        aria-label={full ? 'Full refresh' : 'Refresh datasets'}
      >
        <h2>{full ? 'Full refresh' : 'Refresh selected datasets'}</h2>
        <p class="muted">
          {full
            ? 'A full refresh truncates each chosen table, resets its checkpoints and recomputes it from all of its input.'
            : 'Only the chosen datasets run, incrementally; the others are EXCLUDED from the update.'}
        </p>
        <div class="pick-actions">
          <button
            type="button"
            class="btn small"
            onClick={() => setChosen(new Set(props.datasets.map((d) => d.name)))}
          >
            Select all
          </button>
          <button type="button" class="btn small" onClick={() => setChosen(new Set())}>
            Clear
          </button>
        </div>
        <div class="pick-list">
          {props.datasets.map((d) => (
            <label key={d.name} class="pick">
              <input type="checkbox" checked={chosen.has(d.name)} onChange={() => toggle(d.name)} />
              <span class="pick-name">{d.name}</span>
              <span class="muted">{KIND_LABEL[d.kind]}</span>
            </label>
          ))}
        </div>
        {full && picked.length > 0 ? (
          <div class="truncate-list" data-testid="truncate-list">
            <div class="strong">This will truncate:</div>
            <ul>
              {picked.map((d) => (
                <li key={d.name}>
                  <code>{d.table}</code>
                  {d.quarantineTable ? (
                    <>
                      {' '}
                      and <code>{d.quarantineTable}</code>
                    </>
                  ) : null}
                  {d.properties['pipelines.reset.allowed']?.toLowerCase() === 'false' ? (
                    <span class="bad"> — refused: pipelines.reset.allowed = false</span>
                  ) : null}
                </li>
              ))}
            </ul>
            {blocked.length > 0 ? (
              <div class="bad">The server refuses protected tables with TABLE_NOT_RESETTABLE.</div>
            ) : null}
          </div>
        ) : null}
        <div class="modal-actions">
          <button type="button" class="btn" onClick={props.onCancel}>
            Cancel
          </button>
          <button
            type="button"
            class={`btn ${full ? 'danger' : 'primary'}`}
            data-testid="confirm"
            disabled={props.busy || picked.length === 0}
            onClick={() =>
              props.onConfirm(
                picked.map((d) => d.name),
                full && all,
              )
            }
          >
            {full
              ? `Truncate and recompute ${picked.length} table${picked.length === 1 ? '' : 's'}`
              : `Refresh ${picked.length} dataset${picked.length === 1 ? '' : 's'}`}
          </button>
        </div>
      </div>
    </div>
  );
}
