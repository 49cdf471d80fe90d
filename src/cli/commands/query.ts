import type { CliCommand } from '../command.ts';

export const queryCommand: CliCommand = {
  name: 'query',
  summary: '(query: not implemented yet)',
  usage: 'sluice query',
  async run(_args, io) {
    io.stderr.write('USAGE: sluice query is not implemented yet\n');
    return 2;
  },
};
