import type { CliCommand } from '../command.ts';

export const runCommand: CliCommand = {
  name: 'run',
  summary: '(run: not implemented yet)',
  usage: 'sluice run',
  async run(_args, io) {
    io.stderr.write('USAGE: sluice run is not implemented yet\n');
    return 2;
  },
};
