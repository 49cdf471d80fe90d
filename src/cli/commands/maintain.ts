import { formatError, type MaintenanceReport, maintainPipeline, type TableMaintenance } from '../../index.ts';
import { parseCliArgs } from '../args.ts';
import { type CliCommand, EXIT } from '../command.ts';
import { formatCount, formatDuration, textTable } from '../format.ts';
import { PIPELINE_OPTIONS, PIPELINE_USAGE, pipelineSelection } from '../pipeline-args.ts';

const USAGE = `Usage: sluice maintain [dir] [options]

Maintains the Delta tables of the pipeline in dir (default: found from the current folder) now,
as updates do by themselves: compacts small files (a rewrite readers of the table's changes
skip), deletes log files older than delta.logRetentionDuration (default 30 days) behind a
checkpoint, vacuums files unreferenced for longer than delta.deletedFileRetentionDuration
(default 7 days) and removes stale temp files of interrupted writes. Takes the pipeline lock:
it waits for no update and fails while one runs.

Options:
  --dry-run             say what would be compacted and deleted; change nothing
  --table a,b           only these tables (name, schema.name, or event_log)
  --format text|json    json: print the report as one JSON object`;

const files = (n: number) => `${formatCount(n)} file${n === 1 ? '' : 's'}`;

function mib(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

function row(t: TableMaintenance): string[] {
  const c = t.compaction;
  const compacted =
    c && c.filesRemoved > 0
      ? `${files(c.filesRemoved)} → ${formatCount(c.filesAdded)}`
      : t.skipped.some((s) => s.startsWith('compaction'))
        ? 'skipped'
        : '-';
  const live = c
    ? `${formatCount(c.filesBefore)} → ${formatCount(c.filesBefore - c.filesRemoved + c.filesAdded)}`
    : '';
  const log = t.logCleanup && t.logCleanup.files.length > 0 ? files(t.logCleanup.files.length) : '-';
  const vac =
    t.vacuum && t.vacuum.files.length > 0 ? `${files(t.vacuum.files.length)} (${mib(t.vacuum.bytes)})` : '-';
  return [t.table, live, compacted, log, vac, t.errors.length > 0 ? 'FAILED' : ''];
}

/** The text report: one line per table, temp files, a closing line. */
export function maintenanceSummary(r: MaintenanceReport): string {
  const verb = r.dryRun ? 'would remove' : 'removed';
  const lines = [
    '',
    textTable(
      ['table', 'live files', 'compacted', `log files ${verb}`, r.dryRun ? 'would vacuum' : 'vacuumed'],
      r.tables.map(row),
    ),
  ];
  if (r.temps && r.temps.files.length > 0)
    lines.push('', `Stale temp files ${verb}: ${files(r.temps.files.length)}`);
  if (r.tables.some((t) => t.skipped.length > 0)) {
    lines.push('', 'Skipped:');
    for (const t of r.tables) for (const s of t.skipped) lines.push(`  ${t.table}: ${s}`);
  }
  lines.push(
    '',
    `${r.dryRun ? 'Dry run: nothing changed. ' : ''}${r.tables.length} table${r.tables.length === 1 ? '' : 's'} in ${formatDuration(r.durationMs)}${r.errors.length > 0 ? `, ${r.errors.length} failed step${r.errors.length === 1 ? '' : 's'}` : ''}`,
    '',
  );
  return lines.join('\n');
}

export const maintainCommand: CliCommand = {
  name: 'maintain',
  summary: 'compact, clean up the logs of and vacuum the tables of a pipeline now',
  usage: `${USAGE}\n\nPipeline selection:\n${PIPELINE_USAGE.join('\n')}`,
  async run(args, io) {
    const { values, positionals } = parseCliArgs(args, {
      'dry-run': { type: 'boolean' },
      table: { type: 'string' },
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
    const tables = values.table
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const report = await maintainPipeline(selected.dir, {
      bundle: selected.bundle,
      cwd: io.cwd,
      ...(values['dry-run'] ? { dryRun: true } : {}),
      ...(tables ? { tables } : {}),
    });
    if (format === 'json') {
      io.stdout.write(
        `${JSON.stringify(
          {
            ...report,
            errors: report.errors.map((e) => e.toJSON()),
            tables: report.tables.map((t) => ({ ...t, errors: t.errors.map((e) => e.toJSON()) })),
          },
          null,
          2,
        )}\n`,
      );
    } else io.stdout.write(maintenanceSummary(report));
    for (const e of report.errors) io.stderr.write(`${formatError(e)}\n`);
    return report.errors.length > 0 ? EXIT.failed : EXIT.ok;
  },
};
