import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatError, isMemoryLimit, packageRoot, SluiceError, toSluiceError } from '../index.ts';
import { type CliCommand, type CliIO, EXIT } from './command.ts';

/**
 * The commands, each loaded only when used: `sluice --version` or `sluice validate` never pay for
 * the modules (and native libraries) another command needs.
 */
interface CommandEntry {
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly summary: string;
  load(): Promise<CliCommand>;
}

const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'init',
    summary: 'create a pipeline folder with a spec, SQL and TypeScript datasets and sample data',
    load: async () => (await import('./commands/init.ts')).initCommand,
  },
  {
    name: 'validate',
    aliases: ['dry-run'],
    summary: 'check a pipeline and print its dataflow graph (alias: dry-run)',
    load: async () => (await import('./commands/validate.ts')).validateCommand,
  },
  {
    name: 'run',
    summary: 'run an update of a pipeline',
    load: async () => (await import('./commands/run.ts')).runCommand,
  },
  {
    name: 'query',
    summary:
      'run read-only SQL over a pipeline (tables, event_log, system.lakeflow.*) or Delta tables by path',
    load: async () => (await import('./commands/query.ts')).queryCommand,
  },
  {
    name: 'maintain',
    summary: 'compact, clean up the logs of and vacuum the tables of a pipeline now',
    load: async () => (await import('./commands/maintain.ts')).maintainCommand,
  },
  {
    name: 'events',
    summary: "show an update's event timeline (states, flows, data quality, errors)",
    load: async () => (await import('./commands/events.ts')).eventsCommand,
  },
  {
    name: 'lint',
    summary: 'check pipelines, bundles, SQL and Python against the streaming golden rules (ST-01…ST-06)',
    load: async () => (await import('./commands/lint.ts')).lintCommand,
  },
  {
    name: 'ui',
    summary: 'serve the live pipeline dashboard (graph, updates, data quality, tables, event log)',
    load: async () => (await import('./commands/ui.ts')).uiCommand,
  },
  {
    name: 'export',
    summary: 'write the pipeline as a Databricks Asset Bundle or an open-source Spark pipeline project',
    load: async () => (await import('./commands/export.ts')).exportCommand,
  },
];

function version(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'sluice — declarative streaming pipelines on your laptop (Lakeflow SQL, Delta Lake, DuckDB)',
    '',
    'Usage: sluice <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Options:',
    '  --version  print the version',
    '  --help     print this help, or `sluice <command> --help` for a command',
    '',
  ].join('\n');
}

function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name || c.aliases?.includes(name));
}

/** Runs the CLI; never throws. Errors print one coded line on stderr. */
export async function main(argv: readonly string[], io: Partial<CliIO> = {}): Promise<number> {
  const out: CliIO = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), ...io };
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    out.stdout.write(helpText());
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === '--version' || first === '-v') {
    out.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const entry = findCommand(first);
  if (!entry) {
    out.stderr.write(`USAGE: unknown command '${first}'. Run 'sluice --help' to see the commands.\n`);
    return EXIT.usage;
  }
  const limit = process.env.SLUICE_MEMORY_LIMIT;
  if (limit?.trim() && !isMemoryLimit(limit)) {
    out.stderr.write(
      `${formatError(new SluiceError('INVALID_ENVIRONMENT', `SLUICE_MEMORY_LIMIT=${JSON.stringify(limit)} is not a size; write it like 600MB or 4GB`, { params: { variable: 'SLUICE_MEMORY_LIMIT', value: limit } }))}\n`,
    );
    return EXIT.usage;
  }
  try {
    const command = await entry.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      out.stdout.write(`${command.usage}\n`);
      return EXIT.ok;
    }
    return await command.run(rest, out);
  } catch (e) {
    const err = toSluiceError(e);
    out.stderr.write(`${formatError(err)}\n`);
    if (err.code === 'INTERNAL' && process.env.SLUICE_DEBUG) out.stderr.write(`${(e as Error).stack}\n`);
    return err instanceof SluiceError && err.code === 'USAGE' ? EXIT.usage : EXIT.failed;
  }
}
