/**
 * Logs through pino, one child logger per component (`{component: 'broker'}`), on stderr so that stdout stays free
 * for results (`ticklake sql`, `report`, `shell`). Two formats (`--log-format`, TICKLAKE_LOG_FORMAT):
 *
 * - `json`: one pino JSON object per line, for log collectors — the default when stderr is not a terminal;
 * - `text`: one human line per entry (`22:10:01 WARN  compact: finishing an interrupted compaction dir=...`) — the
 *   default on a terminal, where the commands' own output (summaries, progress, the start banner) is what a person
 *   reads, so the default level there is `warn` unless `--log-level` says otherwise (cli/main.ts).
 *
 * Level from TICKLAKE_LOG_LEVEL (default info); tests default to `silent` unless the variable is set.
 */
import { writeSync } from 'node:fs';
import { type Logger, pino } from 'pino';

export type { Logger };
export type LogFormat = 'json' | 'text';

let root: Logger | undefined;
let format: LogFormat = 'json';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (v && typeof v === 'object' && 'message' in v) return JSON.stringify((v as { message: unknown }).message);
  return JSON.stringify(v);
}

/** One pino JSON line as a human line: time, level, component, message, then the other fields as key=value. */
export function textLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { level, time, pid: _pid, hostname: _host, component, msg, ...rest } = o;
  const at = typeof time === 'number' ? new Date(time).toISOString().slice(11, 19) : '';
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${value(v)}`);
  const name = LEVELS[Number(level)] ?? String(level);
  return `${at} ${name.padEnd(5)} ${component ? `${component}: ` : ''}${msg ?? ''}${fields.length ? ` ${fields.join(' ')}` : ''}\n`;
}

/** pino's destination: stderr, written synchronously (so lines and the commands' own output keep their order). */
const destination = {
  write(line: string): void {
    writeSync(2, format === 'json' ? line : textLine(line));
  },
};

function defaultLevel(): string {
  if (process.env.TICKLAKE_LOG_LEVEL) return process.env.TICKLAKE_LOG_LEVEL;
  return process.env.VITEST ? 'silent' : 'info';
}

export function rootLogger(): Logger {
  root ??= pino({ level: defaultLevel(), base: { pid: process.pid } }, destination);
  return root;
}

export function setLogLevel(level: string): void {
  rootLogger().level = level;
}

/** `auto` → text on a terminal (stderr), json otherwise. */
export function resolveLogFormat(setting: string, isTTY: boolean): LogFormat {
  if (setting === 'json' || setting === 'text') return setting;
  return isTTY ? 'text' : 'json';
}

export function setLogFormat(f: LogFormat): void {
  format = f;
}

export function logger(component: string): Logger {
  return rootLogger().child({ component });
}
