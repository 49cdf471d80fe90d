import { relative, resolve } from 'node:path';
import { initPipeline } from '../../index.ts';
import { parseCliArgs } from '../args.ts';
import { type CliCommand, EXIT } from '../command.ts';

const USAGE = `Usage: sluice init [dir] [--name <pipeline name>]

Creates a pipeline in [dir] (default: the working directory): spark-pipeline.yml, a SQL file
with a bronze and a silver streaming table, a TypeScript materialized view, and sample data.
Refuses to touch a folder that already has a pipeline spec.`;

export const initCommand: CliCommand = {
  name: 'init',
  summary: 'create a pipeline folder with a spec, SQL and TypeScript datasets and sample data',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCliArgs(args, { name: { type: 'string' } });
    if (positionals.length > 1) {
      io.stderr.write(`USAGE: expected at most one folder, got ${positionals.length}\n${USAGE}\n`);
      return EXIT.usage;
    }
    const dir = resolve(io.cwd, positionals[0] ?? '.');
    const written = await initPipeline(dir, values.name);
    const shown = relative(io.cwd, dir) || '.';
    io.stdout.write(
      `Created pipeline in ${shown}:\n${written.map((f) => `  ${f}`).join('\n')}\n\nNext: sluice validate ${shown === '.' ? '' : shown}\n`,
    );
    return EXIT.ok;
  },
};
