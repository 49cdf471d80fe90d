import { readFileSync } from 'node:fs';
import { formatError, SluiceError, toSluiceError } from '../errors/index.ts';
import { type CliCommand, type CliIO, EXIT } from './command.ts';
import { eventsCommand } from './commands/events.ts';
import { initCommand } from './commands/init.ts';
import { queryCommand } from './commands/query.ts';
import { runCommand } from './commands/run.ts';
import { validateCommand } from './commands/validate.ts';

const COMMANDS: readonly CliCommand[] = [initCommand, validateCommand, runCommand, queryCommand, eventsCommand];

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
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

export function findCommand(name: string): CliCommand | undefined {
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
  const command = findCommand(first);
  if (!command) {
    out.stderr.write(`USAGE: unknown command '${first}'. Run 'sluice --help' to see the commands.\n`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out.stdout.write(`${command.usage}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, out);
  } catch (e) {
    const err = toSluiceError(e);
    out.stderr.write(`${formatError(err)}\n`);
    if (err.code === 'INTERNAL' && process.env.SLUICE_DEBUG) out.stderr.write(`${(e as Error).stack}\n`);
    return err instanceof SluiceError && err.code === 'USAGE' ? EXIT.usage : EXIT.failed;
  }
}
