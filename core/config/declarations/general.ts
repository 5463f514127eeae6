/**
 * Settings every command (or most) takes: where the data lives, logging.
 */
import { declare } from '../setting.js';

export const GENERAL_SETTINGS = declare([
  {
    name: 'dataDir',
    flag: '--data-dir',
    env: 'TICKLAKE_DATA_DIR',
    type: 'string',
    default: './data',
    help: 'Where ticklake start keeps its data; its run file (ticklake.json) names the lake unless --lake-dir is given',
    commandHelp: {
      start:
        'Root of all local data: broker log, exchange checkpoints, processor state, lake, private MySQL, and the run file ticklake.json that tells the other commands where this start runs',
      produce:
        'Where ticklake start keeps its data, whose run file gives the Kafka address unless --brokers is given; with --live the exchanges keep their checkpoints under <data-dir>/exchanges',
      replay: 'Where ticklake start keeps its data; its run file gives the Kafka address unless --brokers is given',
      process:
        'Where ticklake start keeps its data; its run file gives the Kafka address and the lake unless --brokers / --lake-dir are given',
    },
    commands: [
      'start',
      'produce',
      'replay',
      'process',
      'sql',
      'report',
      'shell',
      'check',
      'views',
      'serve',
      'compact',
      'import',
      'run',
    ],
  },
  {
    name: 'logLevel',
    flag: '--log-level',
    env: 'TICKLAKE_LOG_LEVEL',
    type: 'string',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
    commandDefaults: { start: 'warn' },
    help: 'Log level (with text logs the default is warn)',
    commands: ['*'],
  },
  {
    name: 'logFormat',
    flag: '--log-format',
    env: 'TICKLAKE_LOG_FORMAT',
    type: 'string',
    choices: ['auto', 'text', 'json'],
    default: 'auto',
    help: 'Logs on stderr as text (human lines) or json (one pino object per line); auto: text on a terminal, else json',
    commands: ['*'],
  },
]);
