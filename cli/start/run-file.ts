/**
 * `<data-dir>/ticklake.json`: where a `ticklake start` runs — its pid, the Kafka address, the API URL and the
 * directories — so that the other commands (replay, produce, process, sql, report, shell, check, views, serve, compact)
 * find it when they are not told otherwise, instead of assuming 127.0.0.1:9092 and ./data/lake:
 *
 *   --brokers / TICKLAKE_BROKERS given  → that; else the running start's broker; else 127.0.0.1:9092
 *   --lake-dir / TICKLAKE_LAKE_DIR given → that; else the start's lake (running or not); else <data-dir>/lake
 *
 * with `--data-dir` / TICKLAKE_DATA_DIR (default ./data) saying where to look. The file doubles as the data dir's lock:
 * a second start on the same directory while the first runs is refused. It stays after the start stops (with
 * `stoppedAt`), so sql and report still find the lake; a file whose pid is gone and has no `stoppedAt` tells the next
 * start that the previous one was killed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../../core/config.js';

export const RUN_FILE = 'ticklake.json';

export interface RunFile {
  v: 1;
  pid: number;
  startedAt: string;
  /** Set by a clean stop. */
  stoppedAt?: string;
  dataDir: string;
  lakeDir: string;
  /** Kafka bootstrap servers of the pipeline (the embedded broker's address, or --brokers). */
  brokers?: string[];
  topic?: string;
  /** Base URL of the HTTP API and dashboard. */
  api?: string;
  /** The processor's watermark (lowest over partitions), epoch ms, refreshed every few seconds while running. */
  watermark?: number | null;
  /** When `watermark` was written, epoch ms. */
  updatedAt?: number;
}

export function runFilePath(dataDir: string): string {
  return join(resolve(dataDir), RUN_FILE);
}

export function readRunFile(dataDir: string): RunFile | undefined {
  const file = runFilePath(dataDir);
  if (!existsSync(file)) return undefined;
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as RunFile;
    return r.v === 1 && typeof r.pid === 'number' ? r : undefined;
  } catch {
    return undefined;
  }
}

let writing: Promise<void> = Promise.resolve();

/** Writes the run file atomically; writes of this process happen one after the other, in call order. */
export function writeRunFile(dataDir: string, r: RunFile): Promise<void> {
  const file = runFilePath(dataDir);
  const next = writing.then(async () => {
    await writeFile(`${file}.tmp`, `${JSON.stringify(r, null, 2)}\n`);
    await rename(`${file}.tmp`, file);
  });
  writing = next.catch(() => {});
  return next;
}

export function isAlive(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The start recorded in the data dir, and whether it is running now. */
export function findStart(config: Config): { run: RunFile; running: boolean } | undefined {
  if (!config.has('dataDir')) return undefined;
  const run = readRunFile(config.str('dataDir'));
  if (!run) return undefined;
  return { run, running: run.stoppedAt === undefined && run.pid !== process.pid && isAlive(run.pid) };
}

/**
 * Kafka bootstrap servers for a client command: the flag or variable when given, else those of the running start
 * of the data dir, else the command's default. `note` says where they came from when it was the run file.
 */
export function brokersOf(config: Config): { brokers: string[]; note?: string } {
  const given = config.list('brokers');
  if (config.isGiven('brokers')) return { brokers: given };
  const s = findStart(config);
  if (s?.running && s.run.brokers?.length)
    return {
      brokers: s.run.brokers,
      note: `Kafka ${s.run.brokers.join(',')} of the ticklake start running in ${s.run.dataDir} (pid ${s.run.pid})`,
    };
  return { brokers: given };
}

/** The lake directory: the flag or variable when given, else the start's lake of the data dir, else <data>/lake. */
export function lakeDirOf(config: Config): string {
  if (config.isGiven('lakeDir') || !config.has('dataDir')) return config.str('lakeDir');
  const s = findStart(config);
  if (s) return s.run.lakeDir;
  return join(config.str('dataDir'), 'lake');
}
