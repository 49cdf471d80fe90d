import type { CliCommand } from '../command.ts';

export const validateCommand: CliCommand = {
  name: 'validate',
  summary: '(validate: not implemented yet)',
  usage: 'sluice validate',
  async run(_args, io) {
    io.stderr.write('USAGE: sluice validate is not implemented yet\n');
    return 2;
  },
};
