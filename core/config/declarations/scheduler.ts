/**
 * Settings of the scheduler (docs/scheduler.md) and of the metrics endpoint (docs/metrics.md).
 */
import { declare } from '../setting.js';

export const SCHEDULER_SETTINGS = declare([
  {
    name: 'schedule',
    flag: '--schedule',
    env: 'TICKLAKE_SCHEDULE',
    type: 'bool',
    default: 'true',
    help: 'Run the scheduler: SQL files with a "-- schedule:" line run on it, results and runs recorded in the lake (docs/scheduler.md)',
    commands: ['start', 'serve'],
  },
  {
    name: 'catchUp',
    flag: '--catch-up',
    env: 'TICKLAKE_CATCH_UP',
    type: 'int',
    default: '24',
    help: 'After downtime, most missed intervals per scheduled job that still run; older ones are recorded as skipped',
    commands: ['start', 'serve', 'run'],
  },
  {
    name: 'runDelay',
    flag: '--run-delay',
    env: 'TICKLAKE_RUN_DELAY',
    type: 'duration',
    default: '1m',
    help: 'How long after a data interval ends its scheduled runs start, so that late ticks are in the lake first',
    commands: ['start', 'serve', 'run'],
  },
  {
    name: 'runLease',
    flag: '--run-lease',
    env: 'TICKLAKE_RUN_LEASE',
    type: 'duration',
    default: '1m',
    help: 'A scheduled run whose scheduler stopped renewing its claim for this long is taken over (a dead process on the same host at once)',
    commands: ['start', 'serve', 'run'],
  },
  {
    name: 'once',
    flag: '--once',
    env: 'TICKLAKE_RUN_ONCE',
    type: 'bool',
    default: 'false',
    help: 'Run what is due now and exit (for cron or CI) instead of scheduling until stopped',
    commands: ['run'],
  },
  {
    name: 'at',
    flag: '--at',
    env: 'TICKLAKE_RUN_AT',
    type: 'string',
    help: 'Run what is due at this time (ISO, UTC, or epoch ms) instead of now; implies --once',
    commands: ['run'],
  },
  {
    name: 'metricsPort',
    flag: '--metrics-port',
    env: 'TICKLAKE_METRICS_PORT',
    type: 'int',
    default: '0',
    help: 'Serve Prometheus metrics at http://<host>:<port>/metrics (0 = off; serve and start have /metrics on the API port)',
    commands: ['process'],
  },
]);
