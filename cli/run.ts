/**
 * `ticklake run [--once] [--at T]`: the scheduler in the foreground (docs/scheduler.md). With --once (or --at) it
 * runs what is due and exits: 0 when every run it made succeeded (warn checks aside), 1 otherwise.
 */
import type { Command } from './command.js';

export const command: Command = {
  name: 'run',
  summary: 'Run the scheduled SQL files that are due (models, checks, reports with "-- schedule:")',
  usage: '[--once] [--at TIME] [--lake-dir DIR] [--sql-dir DIR] [JOB ...]',
  description:
    'Without --once, schedules until Ctrl-C (as ticklake start and serve do in the background). With --once, runs\n' +
    'what is due now (or at --at) and exits 1 when a run failed or was blocked. Any number of schedulers may share one\n' +
    'lake: every data interval runs once (docs/scheduler.md). JOB names (model.x, check.y, report.z) select those jobs\n' +
    'and what they depend on.',
  async run(config) {
    const { openScheduler } = await import('../scheduler/open.js');
    const { logger } = await import('../core/log.js');
    const { tlError } = await import('../core/errors.js');
    const { lakeDirOf } = await import('./start/run-file.js');
    const atText = config.optStr('at');
    let at: number | undefined;
    if (atText !== undefined) {
      at = /^\d+$/.test(atText)
        ? Number(atText)
        : Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(atText) ? atText : `${atText}Z`);
      if (!Number.isFinite(at)) {
        throw tlError('TL_CONFIG_BAD_VALUE', {
          setting: '--at',
          value: atText,
          reason: 'expected an ISO time or epoch ms',
        });
      }
    }
    const failed: string[] = [];
    const log = logger('scheduler');
    const s = await openScheduler({
      lakeDir: lakeDirOf(config),
      sqlDirs: config.list('sqlDir'),
      mysqlUrl: config.optStr('mysqlUrl'),
      catchUp: config.num('catchUp'),
      delayMs: config.num('runDelay'),
      leaseMs: config.num('runLease'),
      memoryLimit: `${config.num('memoryLimit')}B`,
      log,
      only: config.positional.length ? config.positional : undefined,
      onRun: (job, c) => {
        const st = c.outcome?.status;
        // `crashed` is another (dead) scheduler's attempt, recorded when this one took the interval over
        const bad = st === 'blocked' || (st === 'failed' && job.severity !== 'warn');
        if (bad) failed.push(`${c.runId} ${st}: ${c.outcome?.error ?? ''}`);
        process.stdout.write(
          `${c.runId} ${st} rows=${c.outcome?.rows ?? 0}${c.outcome?.error ? ` ${c.outcome.error}` : ''}\n`,
        );
      },
    });
    try {
      if (config.bool('once') || at !== undefined) {
        await s.scheduler.tick(at ?? Date.now());
        return failed.length ? 1 : 0;
      }
      process.stderr.write(`ticklake run: scheduling ${s.scheduler.plan.jobs.size} job(s); Ctrl-C stops\n`);
      s.scheduler.start();
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      return 0;
    } finally {
      await s.close();
    }
  },
};
