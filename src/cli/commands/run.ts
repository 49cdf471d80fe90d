import {
  type EngineEvent,
  type FlowResult,
  formatError,
  runPipeline,
  type UpdateResult,
} from '../../index.ts';
import { parseCliArgs } from '../args.ts';
import { type CliCommand, EXIT } from '../command.ts';
import { formatCount, formatDuration, textTable } from '../format.ts';
import { PIPELINE_OPTIONS, PIPELINE_USAGE, pipelineSelection } from '../pipeline-args.ts';
import { ProgressView } from '../progress.ts';

const USAGE = `Usage: sluice run [dir] [options]

Runs an update of the pipeline in dir (default: found from the current folder): every streaming
table processes what is new since its checkpoint, every materialized view is brought up to date.

Options:
  --full-refresh a,b    reset and recompute these datasets (only these run)
  --full-refresh-all    reset and recompute every dataset
  --refresh a,b         update only these datasets, incrementally
  --continuous          keep polling sources until Ctrl-C / SIGTERM
  --format text|json    json: print the update result as one JSON object`;

const list = (v: string | undefined) =>
  v
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'run an update of a pipeline',
  usage: `${USAGE}\n\nPipeline selection:\n${PIPELINE_USAGE.join('\n')}`,
  async run(args, io) {
    const { values, positionals } = parseCliArgs(args, {
      'full-refresh': { type: 'string' },
      'full-refresh-all': { type: 'boolean' },
      refresh: { type: 'string' },
      continuous: { type: 'boolean' },
      format: { type: 'string' },
      ...PIPELINE_OPTIONS,
    });
    const selected = pipelineSelection(values, positionals[0], io.cwd);
    if (positionals.length > 1) {
      io.stderr.write(`USAGE: expected at most one pipeline folder, got ${positionals.length}\n`);
      return EXIT.usage;
    }
    const format = values.format ?? 'text';
    if (format !== 'text' && format !== 'json') {
      io.stderr.write(`USAGE: --format must be text or json, got '${format}'\n`);
      return EXIT.usage;
    }
    const view = format === 'text' ? new ProgressView(io.stdout) : undefined;
    const outcome = await runPipeline(selected.dir, {
      cwd: io.cwd,
      bundle: selected.bundle,
      ...(values.refresh !== undefined ? { refresh: list(values.refresh) } : {}),
      ...(values['full-refresh'] !== undefined ? { fullRefresh: list(values['full-refresh']) } : {}),
      ...(values['full-refresh-all'] ? { fullRefreshAll: true } : {}),
      ...(values.continuous ? { continuous: true } : {}),
      ...(io.signal ? { signal: io.signal } : {}),
      listeners: view ? [(e: EngineEvent) => view.onEvent(e)] : [],
      onValidated: (v) => {
        if (view) {
          view.header(v.pipeline, v.warnings.map(formatError));
        }
      },
    });
    if (outcome.kind === 'invalid') {
      for (const e of outcome.errors) io.stderr.write(`${formatError(e)}\n`);
      io.stderr.write(
        `pipeline is invalid: ${outcome.errors.length} error${outcome.errors.length === 1 ? '' : 's'}\n`,
      );
      return EXIT.failed;
    }
    const result = outcome.result;
    view?.finish();
    if (format === 'json') io.stdout.write(`${JSON.stringify(resultJson(result), null, 2)}\n`);
    else io.stdout.write(summary(result));
    if (result.error) io.stderr.write(`${formatError(result.error)}\n`);
    for (const f of result.flows) if (f.error) io.stderr.write(`${formatError(f.error)}\n`);
    // CANCELED (a stop requested with Ctrl-C / SIGTERM, honoured after the running batches
    // committed) is a clean end, like COMPLETED.
    return result.state === 'FAILED' ? EXIT.failed : EXIT.ok;
  },
};

const countRows = (n: number) => `${formatCount(n)} row${n === 1 ? '' : 's'}`;

function resultJson(r: UpdateResult): unknown {
  return {
    ...r,
    error: r.error?.toJSON(),
    flows: r.flows.map((f) => ({ ...f, error: f.error?.toJSON() })),
  };
}

function flowRow(f: FlowResult): (string | number)[] {
  return [
    f.dataset,
    f.flow === f.dataset ? '' : f.flow,
    f.state,
    f.metrics.num_output_rows,
    f.metrics.num_batches,
    formatDuration(f.durationMs),
    f.error
      ? f.error.code
      : f.skippedBecause
        ? `upstream ${f.skippedBecause} failed`
        : f.metrics.num_upserted_rows !== undefined
          ? `${countRows(f.metrics.num_upserted_rows)} upserted, ${countRows(f.metrics.num_deleted_rows ?? 0)} deleted`
          : (f.planning?.technique ?? ''),
  ];
}

/** The end-of-update report: flows, then the data-quality table with pass rates. */
export function summary(r: UpdateResult): string {
  const lines: string[] = [''];
  lines.push(
    textTable(['dataset', 'flow', 'state', 'rows out', 'batches', 'time', 'note'], r.flows.map(flowRow)),
  );
  const quality = r.flows.filter((f) => f.dataQuality && f.dataQuality.expectations.length > 0);
  if (quality.length > 0) {
    lines.push('', 'Data quality:');
    const rows: (string | number)[][] = [];
    for (const f of quality) {
      for (const e of f.dataQuality!.expectations) {
        const total = e.passed_records + e.failed_records;
        rows.push([
          e.dataset,
          e.name,
          e.action === 'warn'
            ? 'warn'
            : e.action === 'drop'
              ? 'drop row'
              : e.action === 'fail'
                ? 'fail update'
                : 'quarantine',
          e.passed_records,
          e.failed_records,
          total === 0 ? '-' : `${((100 * e.passed_records) / total).toFixed(2)}%`,
        ]);
      }
    }
    lines.push(textTable(['dataset', 'expectation', 'action', 'passed', 'failed', 'pass rate'], rows));
    for (const f of quality) {
      const dq = f.dataQuality!;
      if (dq.dropped_records > 0 || dq.quarantined_records > 0) {
        lines.push(
          `${f.dataset}: ${countRows(dq.dropped_records)} dropped, ${countRows(dq.quarantined_records)} quarantined${dq.quarantined_records > 0 ? ` (in ${f.dataset}_quarantine)` : ''}`,
        );
      }
    }
  }
  const warned = r.flows.flatMap((f) => f.warnings ?? []);
  if (warned.length > 0) {
    lines.push('', 'Warnings:');
    for (const w of warned) lines.push(`  ${formatError(w)}`);
  }
  const ms = Date.parse(r.endedAt) - Date.parse(r.startedAt);
  lines.push('', `Update ${r.updateId.slice(0, 8)} ${r.state} in ${formatDuration(ms)}`, '');
  return lines.join('\n');
}
