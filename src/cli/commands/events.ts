import { setTimeout as sleep } from 'node:timers/promises';
import {
  EVENT_LEVELS,
  EVENT_TYPES,
  type EventLogRow,
  PipelineEventLog,
  SluiceError,
  TERMINAL_UPDATE_STATES,
  timelineLine,
  timelineSummary,
} from '../../index.ts';
import { parseCliArgs } from '../args.ts';
import { type CliCommand, type CliIO, EXIT } from '../command.ts';
import { PIPELINE_OPTIONS, PIPELINE_USAGE, pipelineSelection } from '../pipeline-args.ts';

const USAGE = `Usage: sluice events [--pipeline dir] [--update ID|latest] [--type T] [--level L] [--follow] [--format table|json]

Shows an update's events from the pipeline's event log: update and flow states, batches,
planning decisions, a data-quality summary and the errors with their codes.

Options:
  --pipeline dir        the pipeline folder (default: found from the current folder)
  --update ID|latest    the update (an id or a unique prefix; default: latest)
  --type T              only these event types, comma-separated (${EVENT_TYPES.join(', ')});
                        dataset_definition and flow_definition are shown only when asked for
  --level L             only these levels, comma-separated (${EVENT_LEVELS.join(', ')})
  --follow              keep printing new events until the update ends (exit 1 if it FAILED)
  --format table|json   json: an array of events (with --follow: one JSON object per line)`;

const POLL_MS = 300;
const DEFINITIONS = ['dataset_definition', 'flow_definition'];

function list(v: string | undefined): string[] | undefined {
  const items = v
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items?.length ? items : undefined;
}

function jsonEvent(r: EventLogRow): unknown {
  let details: unknown = r.details;
  try {
    details = JSON.parse(r.details);
  } catch {
    // keep the text
  }
  return { ...r, details };
}

function terminalState(rows: readonly EventLogRow[], updateId: string): string | undefined {
  for (const r of rows) {
    if (r.event_type !== 'update_progress' || r.origin.update_id !== updateId) continue;
    const state = (JSON.parse(r.details) as { update_progress?: { state?: string } }).update_progress?.state;
    if (state && TERMINAL_UPDATE_STATES.has(state)) return state;
  }
  return undefined;
}

export const eventsCommand: CliCommand = {
  name: 'events',
  summary: "show an update's event timeline (states, flows, data quality, errors)",
  usage: `${USAGE}\n\nPipeline selection:\n${PIPELINE_USAGE.join('\n')}`,
  async run(args, io) {
    const { values, positionals } = parseCliArgs(
      args,
      {
        ...PIPELINE_OPTIONS,
        update: { type: 'string', short: 'u' },
        type: { type: 'string' },
        level: { type: 'string' },
        follow: { type: 'boolean', short: 'f' },
        format: { type: 'string' },
      },
      true,
    );
    if (positionals.length > 1)
      throw new SluiceError('USAGE', `expected at most one pipeline folder, got ${positionals.length}`);
    const format = values.format ?? 'table';
    if (format !== 'table' && format !== 'json')
      throw new SluiceError('USAGE', `--format must be table or json (got '${format}')`);
    const types = list(values.type);
    const levels = list(values.level)?.map((l) => l.toUpperCase());
    for (const t of types ?? []) {
      if (!(EVENT_TYPES as readonly string[]).includes(t))
        throw new SluiceError(
          'USAGE',
          `--type: unknown event type '${t}' (one of ${EVENT_TYPES.join(', ')})`,
        );
    }
    for (const l of levels ?? []) {
      if (!(EVENT_LEVELS as readonly string[]).includes(l))
        throw new SluiceError('USAGE', `--level: unknown level '${l}' (one of ${EVENT_LEVELS.join(', ')})`);
    }
    const selected = pipelineSelection(values, positionals[0], io.cwd);
    const log = await PipelineEventLog.open(selected.dir, { cwd: io.cwd, ...selected.bundle });
    try {
      return await showEvents(io, log, {
        update: values.update,
        follow: values.follow ?? false,
        format,
        types,
        levels,
      });
    } finally {
      await log.close();
    }
  },
};

async function showEvents(
  io: CliIO,
  log: PipelineEventLog,
  o: {
    readonly update: string | undefined;
    readonly follow: boolean;
    readonly format: string;
    readonly types: string[] | undefined;
    readonly levels: string[] | undefined;
  },
): Promise<number> {
  let updateId: string;
  for (;;) {
    try {
      updateId = await log.resolveUpdate(o.update);
      break;
    } catch (e) {
      // --follow before the first update: wait for one to start.
      if (!(o.follow && e instanceof SluiceError && e.code === 'EVENT_LOG_NOT_FOUND')) throw e;
      if (io.signal?.aborted) return EXIT.ok;
      await sleep(POLL_MS);
    }
  }
  const shown = (r: EventLogRow) =>
    (o.types ? o.types.includes(r.event_type) : !DEFINITIONS.includes(r.event_type)) &&
    (!o.levels || o.levels.includes(r.level));

  const all = await log.read({ updateId });
  if (o.follow) return followUpdate(io, log, updateId, all, shown, o.format);
  const rows = all.filter(shown);
  if (o.format === 'json') {
    io.stdout.write(`${JSON.stringify(rows.map(jsonEvent))}\n`);
    return EXIT.ok;
  }
  io.stdout.write(`Pipeline '${log.pipeline}' update ${updateId}\n`);
  io.stdout.write(`${[...rows.map(timelineLine), ...timelineSummary(all)].join('\n')}\n`);
  return EXIT.ok;
}

async function followUpdate(
  io: CliIO,
  log: PipelineEventLog,
  updateId: string,
  initial: EventLogRow[],
  shown: (r: EventLogRow) => boolean,
  format: string,
): Promise<number> {
  const all = [...initial];
  const print = (rows: readonly EventLogRow[]) => {
    for (const r of rows.filter(shown))
      io.stdout.write(`${format === 'json' ? JSON.stringify(jsonEvent(r)) : timelineLine(r)}\n`);
  };
  if (format !== 'json') io.stdout.write(`Pipeline '${log.pipeline}' update ${updateId} (following)\n`);
  print(all);
  let version = await log.version();
  let gone = 0;
  let state = terminalState(all, updateId);
  while (state === undefined) {
    // Ctrl-C / SIGTERM ends following cleanly.
    if (io.signal?.aborted) return EXIT.ok;
    await sleep(POLL_MS);
    const v = await log.version();
    if (v !== version) {
      version = v;
      const fresh = await log.read({ updateId, afterSequence: all.at(-1)?.sequence ?? -1 });
      all.push(...fresh);
      print(fresh);
      state = terminalState(fresh, updateId);
      continue;
    }
    // No new events: if no live process holds the update, it ended abnormally (the next
    // update will record it); give the writer a few polls to flush before giving up.
    gone = (await log.isRunning(updateId)) ? 0 : gone + 1;
    if (gone >= 5) {
      io.stderr.write(
        `update ${updateId} is no longer running and recorded no final state: it ended abnormally\n`,
      );
      return EXIT.failed;
    }
  }
  if (format !== 'json') io.stdout.write(`${timelineSummary(all).join('\n')}\n`);
  return state === 'FAILED' ? EXIT.failed : EXIT.ok;
}
