/**
 * `<lake>/.compact-epoch`: tells a reader whether compaction deleted lake files while its query ran.
 *
 * DuckDB lists a view's files when a query starts and opens each one later. A file deleted in between fails the
 * query with `IO Error: Cannot open file ... No such file or directory` when the result is materialised, but a
 * streamed result (DuckDB node-api `fetchChunk`) just ends early: the C API returns no chunk for an error and for
 * the end alike, and node-api does not read the error (the same was fixed in duckdb-rs #664/#832). A stream that
 * overlapped a deletion therefore cannot tell "all rows" from "some rows", so lake/query.ts asks this file instead:
 *
 * - compaction writes `busy <pid> <nonce>` before it deletes files of the lake and `idle <nonce>` after;
 * - a query reads the mark when it starts and when its stream ends; a different mark, or `busy` by a live process
 *   at both ends, means files may have vanished under it (TL_LAKE_CHANGED: run it again).
 *
 * Cheap (one small read per query end) and conservative: any merge anywhere in the lake during a stream counts.
 */

import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pidAlive } from '../core/pid-alive.js';

export const EPOCH_FILE = '.compact-epoch';

let seq = 0;
const nonce = () => `${process.pid}.${Date.now()}.${++seq}`;

async function write(lakeDir: string, text: string): Promise<void> {
  const tmp = join(lakeDir, `${EPOCH_FILE}.${process.pid}.tmp`);
  await writeFile(tmp, text);
  await rename(tmp, join(lakeDir, EPOCH_FILE));
}

/** Before compaction deletes files of the lake. */
export function markDeleting(lakeDir: string): Promise<void> {
  return write(lakeDir, `busy ${process.pid} ${nonce()}`);
}

/** After it is done deleting (a crash in between leaves `busy` of a dead pid, which readers ignore). */
export function markDone(lakeDir: string): Promise<void> {
  return write(lakeDir, `idle ${nonce()}`);
}

/** The current mark ('' when compaction never ran). */
export function readMark(lakeDir: string): string {
  try {
    return readFileSync(join(lakeDir, EPOCH_FILE), 'utf8');
  } catch {
    return '';
  }
}

/** True when files may have been deleted between the two readings of the mark. */
export function filesMayHaveVanished(before: string, after: string): boolean {
  if (before !== after) return true;
  const m = /^busy (\d+) /.exec(before);
  return m !== null && pidAlive(Number(m[1]));
}

/** Resolves once no live compaction is between markDeleting and markDone (or after `timeoutMs`). */
export async function untilNotDeleting(lakeDir: string, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const m = /^busy (\d+) /.exec(readMark(lakeDir));
    if (!m || !pidAlive(Number(m[1])) || Date.now() >= until) return;
    await sleep(5);
  }
}

/** DuckDB's error for a file listed at the start of a query and gone when it was opened. */
export function isVanishedFileError(e: unknown): boolean {
  return /Cannot open file .*No such file or directory/.test((e as Error)?.message ?? '');
}
