import type { Command } from './command.js';

export const command: Command = {
  name: 'start',
  summary: 'Run everything on this machine: broker, exchanges, processor, API and dashboard',
  async run() {
    process.stderr.write('ticklake start: not yet wired (see issue "One command runs it all")\n');
    return 0;
  },
};
