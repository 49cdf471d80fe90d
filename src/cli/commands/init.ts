import type { CliCommand } from '../command.ts';

export const initCommand: CliCommand = {
  name: 'init',
  summary: '(init: not implemented yet)',
  usage: 'sluice init',
  async run(_args, io) {
    io.stderr.write('USAGE: sluice init is not implemented yet\n');
    return 2;
  },
};
