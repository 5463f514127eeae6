/**
 * The lake's `ticks` archive as the core writes it: `p<partition>-<firstOffset>-<lastOffset>.parquet` per partition
 * and date, written inside the batch, before the state COMMIT. A file whose first offset is at or past the state's
 * next offset for its partition can only come from a batch that never committed; `removeOrphanTickFiles` deletes
 * those at start, before the batch is consumed again (perhaps cut differently), so no tick is archived twice.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '../../core/duckdb.js';
import { logger } from '../../core/log.js';
import { hivePath } from '../../lake/hive-path.js';
import { parseTickFileName, tickFileName } from '../../lake/tick-file-name.js';
import { copyToParquetTemp, fileColumnsQuery, tempPath, writeLakeFile } from '../../lake/writer.js';
import { crashPoint } from '../crash-points.js';

/** Merged files of compaction (lake/compact.ts): in `ticks`, they hold tick files. */
const MERGED = /^c-[0-9a-f]+\.parquet$/;
/** Result files of the processor's delivery (delivery.ts: `b<outbox batch id>.parquet`). */
const RESULT = /^b\d+\.parquet$/;
const RESULT_TABLES = ['bars', 'anomalies', 'valuations', 'late_ticks', 'rejected'];

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
    const f = ent.isFile() ? parseTickFileName(ent.name) : null;
    if (!f || f.first < nextOffset(f.partition)) continue;
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
  /** Partition-scoped (docs/scaling.md): stage each file as `tempPath(dir, <name>.<writer>)` instead of publishing. */
  writer?: string,
): Promise<void> {
  for (const f of files) {
    const day = new Date(f.day * DAY_MS).toISOString().slice(0, 10);
    const query = `SELECT * FROM ${batchTicks} WHERE kafka_partition = ${f.partition} AND date = '${day}'::DATE`;
    if (writer !== undefined) {
      const dir = hivePath(lakeDir, 'ticks', { date: day });
      await copyToParquetTemp(
        conn,
        dir,
        `${tickFileName(f.partition, f.lo, f.hi)}.${writer}`,
        fileColumnsQuery('ticks', query),
      );
      crashPoint('mid-archive');
      continue;
    }
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

/**
 * The first file of `lakeDir` that only a processor writes — a tick archive file (or a compaction of them) under
 * `ticks`, a delivered batch `b<id>.parquet` under a result table — or undefined when there is none (the lake is
 * new, or holds only files others wrote). A processor whose state is new refuses such a lake (core.ts `open`).
 */
export async function findProcessorOutput(lakeDir: string): Promise<string | undefined> {
  for (const [table, name] of [
    ['ticks', (n: string) => parseTickFileName(n) !== null || MERGED.test(n)],
    ...RESULT_TABLES.map((t) => [t, (n: string) => RESULT.test(n)] as const),
  ] as const) {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(join(lakeDir, table), { withFileTypes: true, recursive: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
      throw e;
    }
    const hit = entries.find((ent) => ent.isFile() && name(ent.name));
    if (hit) return join(hit.parentPath, hit.name);
  }
  return undefined;
}

/** A staged tick file of a partition-scoped core: where it is staged and where it is published, lake-relative. */
export function stagedTickFile(f: TickFile, writer: string): { staged: string; final: string } {
  const day = new Date(f.day * DAY_MS).toISOString().slice(0, 10);
  const dir = join('ticks', `date=${day}`);
  const name = tickFileName(f.partition, f.lo, f.hi);
  return { staged: tempPath(dir, `${name}.${writer}`), final: join(dir, name) };
}
