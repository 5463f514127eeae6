/** One `ticklake start` per data dir, through its run file (ticklake.json): the lock and how the last run ended. */
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tlError } from '../../core/errors.js';
import { pidAlive } from '../../core/pid-alive.js';
import { type RunFile, readRunFile, writeRunFile } from './run-file.js';

/**
 * One ticklake start per data dir: a run file (ticklake.json) naming a live process is refused. Returns the record
 * to update, and the previous run when it was killed (its pid is gone and it never recorded a clean stop).
 */
export async function lockDataDir(dataDir: string, lakeDir: string) {
  const legacy = join(dataDir, 'ticklake.pid');
  const prev = readRunFile(dataDir);
  const prevPid = prev?.pid ?? (existsSync(legacy) ? Number((await readFile(legacy, 'utf8')).trim()) : undefined);
  if (prevPid !== undefined && prev?.stoppedAt === undefined && prevPid !== process.pid && pidAlive(prevPid))
    throw tlError('TL_CONFIG_BAD_VALUE', {
      setting: '--data-dir',
      value: dataDir,
      reason: `in use by ticklake pid ${prevPid}`,
    });
  const killed =
    prevPid !== undefined && prev?.stoppedAt === undefined && prevPid !== process.pid ? prevPid : undefined;
  await rm(legacy, { force: true });
  const record: RunFile = { v: 1, pid: process.pid, startedAt: new Date().toISOString(), dataDir, lakeDir };
  await writeRunFile(dataDir, record);
  return {
    record,
    killed,
    unlock: async () => {
      await writeRunFile(dataDir, { ...record, stoppedAt: new Date().toISOString() });
    },
  };
}
