/**
 * `ticklake compact`: merges the small files of each closed date partition into one file, without changing any
 * query result and without a crash ever making rows visible twice.
 *
 * A date is closed when its end plus `graceMs` (default 1 h: daily bars and late re-deliveries arrive shortly after
 * midnight) is before `now`. For each closed partition directory with two or more files S:
 *
 *   1. write the merged file M = `c-<hash of the names in S>.parquet` as `.M.tmp` (rows sorted by the table key,
 *      columns cast to the contract), fsync, and check its row count against S;
 *   2. record `pending: {M, S}` in `.compacted.json` (the commit point);
 *   3. delete every file of S;
 *   4. rename `.M.tmp` to M; 5. record M ← S in `merged`, drop `pending`.
 *
 * A crash before 2 leaves S visible and a stray temp file; between 2 and 4 some rows are briefly not visible (never
 * twice), and the next run finishes the pending merge first (`recoverPending`); after 4 only the manifest is behind.
 * The name of M depends only on S, so a re-run after a crash rebuilds the same file. `merged` also lets the writer
 * skip a re-delivered batch whose file was merged away (lake/writer.ts), so late re-deliveries cannot duplicate.
 *
 * With `openDates`, open dates are compacted too, by size tiers (lake/compact-plan.ts): settled small files are
 * merged in groups, large files are left alone, and a closed date's leftover small files are merged once more
 * (instead of rewriting the whole day into one file). Same steps, same guarantees; lake/compact-runner.ts runs it
 * every few seconds inside a process. Each run also deletes files that reappeared under a name already merged (a
 * writer that raced a merge, lake/writer.ts): their rows are in the merged file.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { settingDefault } from '../core/config.js';
import type { DuckDBConnection } from '../core/duckdb.js';
import { trackDuckDb } from '../core/duckdb-databases.js';
import { isTicklakeError, tlError } from '../core/errors.js';
import { type Logger, logger } from '../core/log.js';
import { pidAlive } from '../core/pid-alive.js';
import { markDeleting, markDone } from './compact-epoch.js';
import { type CompactManifest, emptyManifest, readManifest, writeManifest } from './compact-manifest.js';
import { SourceSet } from './compact-names.js';
import { DEFAULT_TIERS, type FileInfo, planMerges, type TierOptions } from './compact-plan.js';
import { parseHivePath, requireLakeTable } from './hive-path.js';
import { sqlIdent, sqlString } from './sql-quote.js';
import { LAKE_TABLES } from './tables.js';
import { parseTickFileName } from './tick-file-name.js';
import { copyToParquetTemp, fileColumnsQuery, fsyncPath, publishTemp, removeTempFiles, tempPath } from './writer.js';

export type CompactStep = 'merged-written' | 'pending-recorded' | 'source-deleted' | 'published';

export interface CompactOptions {
  lakeDir: string;
  /** One table; all tables of lake/tables.ts when omitted. */
  table?: string;
  /** Injected clock, epoch ms (default Date.now()). */
  now?: number;
  /** How long after a date's end it still counts as open (default: --grace's). */
  graceMs?: number;
  /**
   * Also compact open dates, by size tiers (lake/compact-plan.ts); closed dates then get their small files merged
   * (files of `maxFileBytes` or more stay) instead of everything into one file. Default false.
   */
  openDates?: boolean;
  /** Tier settings for `openDates` (defaults: DEFAULT_TIERS). */
  tiers?: Partial<TierOptions>;
  /** DuckDB connection to merge with (default: a private in-memory instance, limited to `memoryLimit`). */
  conn?: DuckDBConnection;
  /**
   * The private instance's DuckDB memory_limit (default MERGE_MEMORY_LIMIT); a merge's sort spills to a private temp
   * directory beyond it. `null`: DuckDB's own default (80 % of the machine), for comparison in bench:compact.
   */
  memoryLimit?: string | null;
  logger?: Logger;
  /** Test seam: runs after each step of a merge; throwing there simulates a crash at that point. */
  onStep?: (step: CompactStep, dir: string) => void | Promise<void>;
}

export interface CompactResult {
  /** Partition directories merged now. */
  partitions: number;
  filesBefore: number;
  filesAfter: number;
  rows: number;
  /** Interrupted merges finished first. */
  recovered: number;
  tempFilesRemoved: number;
  /** Files re-written under a name already merged (a writer raced a merge), deleted: the merged file has the rows. */
  redeliveredRemoved: number;
}

const DAY = 86_400_000;

/**
 * A merge sorts its group by the table key: DuckDB materialises the decompressed rows, ~25 times the group's size on
 * disk for ticks (a 16 MiB group of tick files held 417 MiB in ORDER BY), and with no limit it takes all of that from
 * the process it runs in (the processor's, in `ticklake start`), where the allocator then keeps it. With a limit the
 * sort spills the rest to a temp directory; bench:compact measures both (bench/HISTORY.md, "Memory over hours").
 */
export const MERGE_MEMORY_LIMIT = '128MB';

export async function compactLake(opts: CompactOptions): Promise<CompactResult> {
  const log = opts.logger ?? logger('compact');
  if (!existsSync(opts.lakeDir)) throw tlError('TL_LAKE_NOT_FOUND', { dir: opts.lakeDir });
  const tables = opts.table ? [requireLakeTable(opts.table)] : [...LAKE_TABLES];
  const now = opts.now ?? Date.now();
  const graceMs = opts.graceMs ?? settingDefault('compactGrace');
  const result: CompactResult = {
    partitions: 0,
    filesBefore: 0,
    filesAfter: 0,
    rows: 0,
    recovered: 0,
    tempFilesRemoved: 0,
    redeliveredRemoved: 0,
  };
  const tiers: TierOptions = { ...DEFAULT_TIERS, ...opts.tiers };

  const unlock = await lock(opts.lakeDir);
  let own: { inst: { closeSync(): void }; conn: { closeSync(): void } } | undefined;
  let spill: string | undefined;
  let conn = opts.conn;
  try {
    for (const table of tables) {
      const tableDir = join(opts.lakeDir, table.name);
      const dirs = await partitionDirs(tableDir);
      // Finish interrupted merges before anything else touches temp files: their `.M.tmp` holds the rows.
      for (const dir of dirs) if (await recoverPending(dir, log, opts.lakeDir)) result.recovered++;
      result.tempFilesRemoved += (await removeTempFiles(tableDir)).length;
      const newest = table.name === 'ticks' ? await newestTickFiles(dirs) : new Set<string>();

      for (const dir of dirs) {
        const date = parseHivePath(relative(tableDir, dir)).date;
        const start = date === undefined ? Number.NaN : Date.parse(`${date}T00:00:00Z`);
        if (!Number.isFinite(start)) continue;
        const closed = start + DAY + graceMs <= now;
        if (!closed && !opts.openDates) continue;
        const manifest = await readManifest(dir);
        const files = await parquetFiles(dir);
        const remaining = await removeRedelivered(dir, files, manifest, opts.lakeDir);
        result.redeliveredRemoved += files.length - remaining.length;
        const visible = remaining.filter((f) => !newest.has(join(dir, f)));
        let groups: string[][];
        if (!opts.openDates) groups = visible.length >= 2 ? [visible] : [];
        else {
          const infos = await fileInfos(dir, visible);
          groups = planMerges(infos, new Set(Object.keys(manifest?.merged ?? {})), now, tiers, closed);
        }
        for (const group of groups) {
          if (!conn) {
            const { DuckDBInstance } = await import('../core/duckdb.js');
            // beside a processor (openDates, lake/compact-runner.ts): one thread, a merge reads at most
            // maxFileBytes, and its sort spills beyond the memory limit, so it stays a small, bounded guest
            spill = await mkdtemp(join(tmpdir(), 'ticklake-compact-'));
            const limit = opts.memoryLimit === undefined ? MERGE_MEMORY_LIMIT : opts.memoryLimit;
            const inst = await DuckDBInstance.create(':memory:', {
              ...(opts.openDates ? { threads: '1' } : {}),
              ...(limit === null ? {} : { memory_limit: limit }),
              temp_directory: spill,
            });
            trackDuckDb('compaction', inst);
            conn = await inst.connect();
            own = { inst, conn };
          }
          let rows: number;
          try {
            rows = await mergePartition(conn, table.name, dir, group, opts.onStep, opts.lakeDir);
          } catch (e) {
            if (!own || !/Out of Memory/i.test(String((e as Error).message))) throw e;
            // a group DuckDB cannot sort within the limit (very many or very wide files): merged once without it
            log.warn({ dir, files: group.length, reason: (e as Error).message }, 'merge over the memory limit');
            rows = await mergeUnbounded(table.name, dir, group, opts, spill as string);
          }
          log.debug({ dir, files: group.length, rows }, 'compacted partition');
          result.partitions++;
          result.filesBefore += group.length;
          result.filesAfter += 1;
          result.rows += rows;
        }
      }
    }
  } finally {
    own?.conn.closeSync();
    own?.inst.closeSync();
    if (spill) await rm(spill, { recursive: true, force: true });
    await unlock();
  }
  return result;
}

/** One merge on an instance of its own with DuckDB's default memory limit (the fallback above). */
async function mergeUnbounded(table: string, dir: string, group: string[], opts: CompactOptions, spill: string) {
  const { DuckDBInstance } = await import('../core/duckdb.js');
  const inst = await DuckDBInstance.create(':memory:', { threads: '1', temp_directory: spill });
  trackDuckDb('compaction', inst);
  const conn = await inst.connect();
  try {
    return await mergePartition(conn, table, dir, group, opts.onStep, opts.lakeDir);
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}

/** The merged file's name: a function of the set of source names only, so a re-run produces the same one. */
export function mergedName(sources: string[]): string {
  const hash = createHash('sha256')
    .update([...sources].sort().join('\n'))
    .digest('hex');
  return `c-${hash.slice(0, 16)}.parquet`;
}

async function mergePartition(
  conn: DuckDBConnection,
  table: string,
  dir: string,
  sources: string[],
  onStep: CompactOptions['onStep'],
  lakeDir: string,
): Promise<number> {
  const t = requireLakeTable(table);
  const merged = mergedName(sources);
  const list = `[${sources.map((f) => sqlString(join(dir, f))).join(', ')}]`;
  const scan = `SELECT * FROM read_parquet(${list}, hive_partitioning = false, union_by_name = true)`;
  const order = t.key.filter((k) => t.columns.some((c) => c.name === k)).map(sqlIdent);
  const query = `${fileColumnsQuery(table, scan)}${order.length ? ` ORDER BY ${order.join(', ')}` : ''}`;

  const expected = await conn.runAndReadAll(`SELECT count(*) FROM ${scan.slice('SELECT * FROM '.length)}`);
  const want = Number(expected.getRowsJS()[0][0]);
  const rows = await copyToParquetTemp(conn, dir, merged, query);
  if (rows !== want) {
    await rm(tempPath(dir, merged), { force: true });
    throw tlError('TL_LAKE_WRITE', { file: join(dir, merged), reason: `merged ${rows} rows, sources hold ${want}` });
  }
  await onStep?.('merged-written', dir);

  const manifest = (await readManifest(dir)) ?? emptyManifest();
  manifest.pending = { file: merged, sources: [...sources].sort() };
  await writeManifest(dir, manifest);
  await onStep?.('pending-recorded', dir);

  await finish(dir, manifest, onStep, lakeDir);
  return rows;
}

/** Steps 3–5 for the pending merge of `manifest` (also used to recover after a crash). */
async function finish(dir: string, manifest: CompactManifest, onStep: CompactOptions['onStep'], lakeDir: string) {
  const pending = manifest.pending;
  if (!pending) return;
  // Queries streaming the sources learn that files vanished under them (lake/compact-epoch.ts).
  await markDeleting(lakeDir);
  for (const f of pending.sources) {
    await rm(join(dir, f), { force: true });
    await onStep?.('source-deleted', dir);
  }
  await fsyncPath(dir, 'r');
  if (existsSync(tempPath(dir, pending.file))) await publishTemp(dir, pending.file);
  await markDone(lakeDir);
  await onStep?.('published', dir);
  const all = new Set<string>();
  for (const s of pending.sources) {
    all.add(s);
    for (const inner of manifest.merged[s]?.names() ?? []) all.add(inner);
    delete manifest.merged[s];
  }
  manifest.merged[pending.file] = SourceSet.of(all);
  delete manifest.pending;
  await writeManifest(dir, manifest);
}

/** Completes a merge a crash interrupted after its commit point. Returns true when there was one. */
export async function recoverPending(dir: string, log: Logger, lakeDir: string): Promise<boolean> {
  const manifest = await readManifest(dir);
  const pending = manifest?.pending;
  if (!manifest || !pending) return false;
  const haveMerged = existsSync(tempPath(dir, pending.file)) || existsSync(join(dir, pending.file));
  if (!haveMerged) {
    // Cannot happen by construction (the merged file is fsynced before `pending` is recorded).
    const missing = pending.sources.filter((f) => !existsSync(join(dir, f)));
    if (missing.length > 0) {
      throw tlError('TL_LAKE_WRITE', {
        file: join(dir, pending.file),
        reason: `interrupted merge lost its merged file and sources ${missing.join(', ')}`,
      });
    }
    delete manifest.pending;
    await writeManifest(dir, manifest);
    return true;
  }
  log.warn({ dir, file: pending.file }, 'finishing an interrupted compaction');
  await finish(dir, manifest, undefined, lakeDir);
  return true;
}

/**
 * Deletes visible files whose name is already merged into another file: a writer re-delivered the batch while a
 * merge was deleting its file (lake/writer.ts removes such a file itself, unless it crashed first). Returns the
 * files that remain.
 */
async function removeRedelivered(
  dir: string,
  files: string[],
  manifest: CompactManifest | undefined,
  lakeDir: string,
): Promise<string[]> {
  if (!manifest) return files;
  const sets = Object.values(manifest.merged);
  const doomed = files.filter((f) => manifest.merged[f] === undefined && sets.some((s) => s.has(f)));
  if (doomed.length === 0) return files;
  await markDeleting(lakeDir);
  for (const f of doomed) await rm(join(dir, f), { force: true });
  await fsyncPath(dir, 'r');
  await markDone(lakeDir);
  return files.filter((f) => !doomed.includes(f));
}

/**
 * The tick files of the newest batch of each Kafka partition: the processor writes tick files inside a batch before
 * its state commits and, at restart, deletes those of a batch that never committed, which it may then consume again
 * cut differently (processors/ticks/tick-archive.ts). Merged into a bigger file they could not be deleted any more, so
 * compaction leaves them alone until a newer batch of the partition exists. A batch writes one file per date it
 * touches, with overlapping offset ranges, so the batch is recognised by time, not by name: the file with the
 * highest last offset belongs to the newest batch (one batch is in flight at a time, and its offsets are above
 * every committed one), and every file of the partition written within a minute of it is kept too.
 */
async function newestTickFiles(dirs: string[]): Promise<Set<string>> {
  const files: { p: number; hi: number; path: string; mtimeMs: number }[] = [];
  for (const dir of dirs) {
    for (const f of await parquetFiles(dir)) {
      const name = parseTickFileName(f);
      const st = name ? await stat(join(dir, f)).catch(() => undefined) : undefined;
      if (name && st) files.push({ p: name.partition, hi: name.last, path: join(dir, f), mtimeMs: st.mtimeMs });
    }
  }
  const newest = new Map<number, (typeof files)[number]>();
  for (const f of files) {
    const cur = newest.get(f.p);
    if (!cur || f.hi > cur.hi) newest.set(f.p, f);
  }
  const keep = new Set<string>();
  for (const f of files) {
    const top = newest.get(f.p)!;
    if (f === top || f.hi === top.hi || f.mtimeMs >= top.mtimeMs - BATCH_WINDOW_MS) keep.add(f.path);
  }
  return keep;
}

/** How long the files of one batch can take to write (generous: a batch writes them in one loop). */
const BATCH_WINDOW_MS = 60_000;

/** Size and modification time of each file; a file gone meanwhile is left out. */
async function fileInfos(dir: string, files: string[]): Promise<FileInfo[]> {
  const out: FileInfo[] = [];
  for (const name of files) {
    const st = await stat(join(dir, name)).catch(() => undefined);
    if (st) out.push({ name, size: st.size, mtimeMs: st.mtimeMs });
  }
  return out;
}

/** Visible Parquet files of a directory, sorted. */
async function parquetFiles(dir: string): Promise<string[]> {
  const ents = await readdir(dir, { withFileTypes: true });
  return ents
    .filter((e) => e.isFile() && e.name.endsWith('.parquet') && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

/** Leaf partition directories (`<col>=<value>` at every level) of a table directory; none when it is missing. */
async function partitionDirs(tableDir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let ents: import('node:fs').Dirent[];
    try {
      ents = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    const subdirs = ents.filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name.includes('='));
    if (dir !== tableDir && subdirs.length === 0) out.push(dir);
    for (const d of subdirs.sort((a, b) => a.name.localeCompare(b.name))) await walk(join(dir, d.name));
  };
  await walk(tableDir);
  return out;
}

/** Lock files this process holds now (a lock naming our pid but not held here is from a previous life). */
const held = new Set<string>();

/**
 * One compaction per lake at a time: `<lake>/.compact.lock` holds the pid; a dead holder's lock is taken over, and so
 * is one naming our own pid that this process does not hold (a restarted container often gets the same pid).
 */
async function lock(lakeDir: string): Promise<() => Promise<void>> {
  const file = join(lakeDir, '.compact.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      held.add(file);
      return async () => {
        held.delete(file);
        await rm(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw isTicklakeError(e) ? e : tlError('TL_LAKE_WRITE', { file, reason: (e as Error).message }, e);
      }
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (pid > 0 && pidAlive(pid) && (pid !== process.pid || held.has(file))) {
        throw tlError('TL_LAKE_BUSY', { file, pid });
      }
      await rm(file, { force: true });
    }
  }
  throw tlError('TL_LAKE_WRITE', { file, reason: 'could not take the compaction lock' });
}
