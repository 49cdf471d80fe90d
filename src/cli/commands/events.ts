import type { CliCommand } from '../command.ts';

export const eventsCommand: CliCommand = {
  name: 'events',
  summary: '(events: not implemented yet)',
  usage: 'sluice events',
  async run(_args, io) {
    io.stderr.write('USAGE: sluice events is not implemented yet\n');
    return 2;
  },
};
