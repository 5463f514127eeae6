import type { Command } from './command.js';

export const command: Command = {
  name: 'start',
  summary: 'Run everything on this machine: broker, exchanges, processor, API and dashboard',
  usage: '[--data-dir ./data] [--rate 100] [--port 8080] [--brokers HOST:PORT] [--mysql-url URL]',
  description:
    'One process: the embedded Kafka-protocol broker (or --brokers), the simulated exchanges SE1, SE2 and CRX (each\n' +
    'its own producer, event time following the wall clock), the processor, and the HTTP API with the dashboard.\n' +
    'Prints the URLs, then a live status line. MySQL: --mysql-url, else a private mariadbd under <data>/mysql when\n' +
    'one is installed, else off. Ctrl-C stops cleanly; the next start resumes where it stopped (docs/deploy.md).',
  async run(config) {
    const { runStart } = await import('./start/run.js');
    return runStart(config);
  },
};
