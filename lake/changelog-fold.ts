/**
 * Folding a keyed table's change log (docs/lake.md, docs/tables.md): the change files of `changes/` become one base
 * file (`base/base-<lsn>.parquet`: the latest row of every key, deletes left out, up to the highest `_lsn` folded)
 * and one history file (`history/h-<lo>-<hi>.parquet`: those changes, in `_lsn` order), so that the latest-row view
 * reads one compact base plus the few changes since, and the history stays whole for `_changes`, `_history`,
 * `_as_of`. A stream has no key and no base: its change files are merged into history only.
 *
 * Crash-safe with the steps of compaction (lake/compact.ts), in `changes/.compacted.json`:
 *   1. write the new base and the history file as dot-temps, fsync;
 *   2. record `pending` (the history file, the change files folded, the base and the bases it replaces) — the
 *      commit point: from here the fold completes, at the next run if not now;
 *   3. publish the base and the history file, delete the folded change files and the old bases;
 *   4. record the folded names under `merged` (so a re-delivered batch of a folded file is skipped by the writer,
 *      lake/writer.ts), drop `pending`.
 * Between 3's renames and deletes a reader may see a row in both a base or history file and a change file: the
 * latest-row view takes one row per key and `_lsn`, so it does not change; queries that overlap the deletion are
 * retried by lake/query.ts (lake/compact-epoch.ts), as for compaction.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '../core/duckdb.js';
import { tlError } from '../core/errors.js';
import { type ChangelogTable, changeFileQuery, layerDir, schemaFileName } from './changelog.js';
import { markDeleting, markDone } from './compact-epoch.js';
import { emptyManifest, readManifest, writeManifest } from './compact-manifest.js';
import { SourceSet } from './compact-names.js';
import { sqlIdent, sqlString } from './sql-quote.js';
import { copyToParquetTemp, fsyncPath, tempPath } from './writer.js';

const q = sqlIdent;

export interface FoldOptions {
  lakeDir: string;
  table: ChangelogTable;
  /** Fold only when at least this many change files wait (default 2). */
  minFiles?: number;
  /** Fold only change files `b<n>.parquet` with n ≤ this (a processor: its batches already delivered to the lake). */
  upToBatch?: number;
  /** Test hook: called after each step. */
  onStep?: (step: 'written' | 'pending-recorded' | 'published' | 'sources-deleted') => Promise<void> | void;
}

export interface FoldResult {
  folded: number;
  rows: number;
  base?: string;
  history?: string;
}

interface PendingFold {
  file: string;
  sources: string[];
  base?: string;
  oldBases: string[];
}

const BATCH_FILE = /^b(\d+)\.parquet$/;

async function parquetFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((f) => f.endsWith('.parquet') && !f.startsWith('.')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** Folds the table's change files into a base and a history file. Does nothing when too few wait. */
export async function foldTable(conn: DuckDBConnection, opts: FoldOptions): Promise<FoldResult> {
  const t = opts.table;
  const changes = layerDir(opts.lakeDir, t.name, 'changes');
  const baseDir = layerDir(opts.lakeDir, t.name, 'base');
  const histDir = layerDir(opts.lakeDir, t.name, 'history');
  await recoverFold(opts.lakeDir, t);
  const schema = schemaFileName(t);
  const sources = (await parquetFiles(changes)).filter((f) => {
    const m = BATCH_FILE.exec(f);
    return f !== schema && m !== null && (opts.upToBatch === undefined || Number(m[1]) <= opts.upToBatch);
  });
  if (sources.length < (opts.minFiles ?? 2)) return { folded: 0, rows: 0 };
  const list = `[${sources.map((f) => sqlString(join(changes, f))).join(', ')}]`;
  const scan = `SELECT * FROM read_parquet(${list}, union_by_name = true)`;
  const r = await conn.runAndReadAll(`SELECT min(_lsn), max(_lsn), count(*) FROM (${scan})`);
  const [lo, hi, n] = r.getRowsJS()[0].map(Number);
  const history = `h-${lo}-${hi}.parquet`;
  await mkdir(histDir, { recursive: true });
  const written = await copyToParquetTemp(conn, histDir, history, `${changeFileQuery(t, scan)} ORDER BY _lsn`);
  if (written !== n)
    throw tlError('TL_LAKE_WRITE', { file: join(histDir, history), reason: `wrote ${written} of ${n} rows` });
  const oldBases = t.key.length > 0 ? await parquetFiles(baseDir) : [];
  let base: string | undefined;
  if (t.key.length > 0) {
    base = `base-${hi}.parquet`;
    await mkdir(baseDir, { recursive: true });
    const prior = oldBases.length
      ? `SELECT * FROM read_parquet([${oldBases.map((f) => sqlString(join(baseDir, f))).join(', ')}], union_by_name = true) UNION ALL BY NAME `
      : '';
    const latest = `SELECT * FROM (${changeFileQuery(t, `${prior}${scan}`)})
      QUALIFY row_number() OVER (PARTITION BY ${t.key.map(q).join(', ')} ORDER BY _lsn DESC) = 1 AND _op <> 'd'
      ORDER BY ${t.key.map(q).join(', ')}`;
    await copyToParquetTemp(conn, baseDir, base, latest);
  }
  await opts.onStep?.('written');
  const manifest = (await readManifest(changes)) ?? emptyManifest();
  const pending: PendingFold = { file: `../history/${history}`, sources, base, oldBases };
  manifest.pending = pending;
  await writeManifest(changes, manifest);
  await opts.onStep?.('pending-recorded');
  await finishFold(opts.lakeDir, t, opts.onStep);
  return { folded: sources.length, rows: n, base, history };
}

/** Completes a fold whose `pending` was recorded (also after a crash). */
export async function recoverFold(lakeDir: string, t: ChangelogTable): Promise<boolean> {
  const changes = layerDir(lakeDir, t.name, 'changes');
  const m = await readManifest(changes).catch(() => undefined);
  if (!m?.pending) return false;
  await finishFold(lakeDir, t);
  return true;
}

async function finishFold(lakeDir: string, t: ChangelogTable, onStep?: FoldOptions['onStep']): Promise<void> {
  const changes = layerDir(lakeDir, t.name, 'changes');
  const baseDir = layerDir(lakeDir, t.name, 'base');
  const histDir = layerDir(lakeDir, t.name, 'history');
  const manifest = await readManifest(changes);
  const pending = manifest?.pending as PendingFold | undefined;
  if (!manifest || !pending) return;
  const history = pending.file.replace('../history/', '');
  const publish = async (dir: string, name: string) => {
    if (existsSync(tempPath(dir, name))) {
      await rename(tempPath(dir, name), join(dir, name));
      await fsyncPath(dir, 'r');
    }
  };
  await publish(histDir, history);
  if (pending.base) await publish(baseDir, pending.base);
  await onStep?.('published');
  await markDeleting(lakeDir);
  for (const f of pending.sources) await rm(join(changes, f), { force: true });
  for (const f of pending.oldBases) if (f !== pending.base) await rm(join(baseDir, f), { force: true });
  await fsyncPath(changes, 'r');
  if (existsSync(baseDir)) await fsyncPath(baseDir, 'r');
  await markDone(lakeDir);
  await onStep?.('sources-deleted');
  manifest.merged[pending.file] = SourceSet.of(pending.sources);
  delete manifest.pending;
  await writeManifest(changes, manifest);
}
