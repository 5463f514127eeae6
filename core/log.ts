/**
 * Structured logs through pino, one child logger per component (`{component: 'broker'}`).
 * Logs go to stderr so that stdout stays free for results (`ticklake sql`, `report`, `shell`).
 * Level from TICKLAKE_LOG_LEVEL (default info); tests default to `silent` unless the variable is set.
 */
import { type Logger, pino } from 'pino';

export type { Logger };

let root: Logger | undefined;

function defaultLevel(): string {
  if (process.env.TICKLAKE_LOG_LEVEL) return process.env.TICKLAKE_LOG_LEVEL;
  return process.env.VITEST ? 'silent' : 'info';
}

export function rootLogger(): Logger {
  root ??= pino({ level: defaultLevel(), base: { pid: process.pid } }, pino.destination({ fd: 2, sync: true }));
  return root;
}

export function setLogLevel(level: string): void {
  rootLogger().level = level;
}

export function logger(component: string): Logger {
  return rootLogger().child({ component });
}
