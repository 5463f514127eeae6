/**
 * The lake's `ticks` archive as the core writes it: `p<partition>-<firstOffset>-<lastOffset>.parquet` per partition
 * and date, written inside the batch, before the state COMMIT. A file whose first offset is at or past the state's
 * next offset for its partition can only come from a batch that never committed; `removeOrphanTickFiles` deletes
 * those at start, before the batch is consumed again (perhaps cut differently), so no tick is archived twice.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { logger } from '../../core/log.js';
import { writeLakeFile } from '../../lake/writer.js';
import { crashPoint } from '../crash-points.js';

const NAME = /^p(\d+)-(\d+)-(\d+)\.parquet$/;

export function tickFileName(partition: number, lo: number, hi: number): string {
  return `p${partition}-${lo}-${hi}.parquet`;
}

export async function removeOrphanTickFiles(
  lakeDir: string,
  nextOffset: (partition: number) => number,
): Promise<string[]> {
  const removed: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(join(lakeDir, 'ticks'), { withFileTypes: true, recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return removed;
    throw e;
  }
  for (const ent of entries) {
    const m = ent.isFile() ? NAME.exec(ent.name) : null;
    if (!m || Number(m[2]) < nextOffset(Number(m[1]))) continue;
    const path = join(ent.parentPath, ent.name);
    await rm(path, { force: true });
    removed.push(path);
  }
  if (removed.length) logger('processor').warn({ removed }, 'removed tick files of a batch that never committed');
  return removed;
}

/** The archive files of one batch: one per partition and UTC day, the offset range of its ticks there. */
export interface TickFile {
  partition: number;
  /** UTC day number (epoch days). */
  day: number;
  lo: number;
  hi: number;
}

const DAY_MS = 86_400_000;

/**
 * Writes a batch's tick files from `conn` (the core's archive connection, while the state transaction runs on
 * another), reading the batch's ticks from the relation `batchTicks` (its scratch slot's view).
 */
export async function writeTickFiles(
  conn: DuckDBConnection,
  lakeDir: string,
  batchTicks: string,
  files: readonly TickFile[],
): Promise<void> {
  for (const f of files) {
    const day = new Date(f.day * DAY_MS).toISOString().slice(0, 10);
    await writeLakeFile(conn, {
      lakeDir,
      table: 'ticks',
      partition: { date: day },
      fileName: tickFileName(f.partition, f.lo, f.hi),
      query: `SELECT * FROM ${batchTicks} WHERE kafka_partition = ${f.partition} AND date = '${day}'::DATE`,
    });
    crashPoint('mid-archive');
  }
}
