/**
 * The newest tick's event time without scanning the `ticks` table: a query over the view reads every file's schema
 * (union_by_name), so its cost grows with the number of files, and today's partition gains files all day. Instead
 * this reads only the newest files of the newest date: per Kafka partition the file with the highest last offset
 * (`p<partition>-<firstOffset>-<lastOffset>.parquet`, docs/lake.md), plus any file named otherwise (e.g. a compacted
 * one). Cost: one directory listing and a few small files, whatever the lake's size.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { queryAll } from '../../lake/query.js';
import type { LakeSession } from '../../lake/session.js';
import { sqlString } from '../../lake/sql-quote.js';
import { parseTickFileName } from '../../lake/tick-file-name.js';

async function list(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => !n.startsWith('.'));
  } catch {
    return [];
  }
}

/** The files that hold the newest ticks of the newest date directory (empty when there are none). */
export async function newestTickFiles(lakeDir: string): Promise<string[]> {
  const root = join(lakeDir, 'ticks');
  const dates = (await list(root)).filter((d) => /^date=\d{4}-\d{2}-\d{2}$/.test(d)).sort();
  for (let i = dates.length - 1; i >= 0; i--) {
    const dir = join(root, dates[i]);
    const names = (await list(dir)).filter((n) => n.endsWith('.parquet'));
    const newest = new Map<number, { last: number; name: string }>();
    const other: string[] = [];
    for (const n of names) {
      const f = parseTickFileName(n);
      if (!f) {
        other.push(n);
        continue;
      }
      const cur = newest.get(f.partition);
      if (!cur || f.last > cur.last) newest.set(f.partition, { last: f.last, name: n });
    }
    const files = [...[...newest.values()].map((f) => f.name), ...other].map((n) => join(dir, n));
    if (files.length) return files;
  }
  return [];
}

/** Newest tick event time in epoch ms, or null when the lake has no ticks. */
export async function newestTick(session: LakeSession, timeoutMs: number): Promise<number | null> {
  for (let attempt = 0; ; attempt++) {
    const files = await newestTickFiles(session.lakeDir);
    if (files.length === 0) return null;
    try {
      const sql = `select epoch_ms(max(ts)) from read_parquet([${files.map(sqlString).join(', ')}])`;
      const v = (await queryAll(session, sql, { timeoutMs })).rows[0]?.[0];
      return v === null || v === undefined ? null : Number(v);
    } catch (e) {
      if (attempt > 0) throw e; // a file replaced between listing and reading (compaction): list again, once
    }
  }
}
