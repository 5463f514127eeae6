/**
 * A per-partition commit log in the lake, after Delta Lake's `_delta_log`: what makes several processor instances
 * (and a paused, "zombie" one) safe on one shared filesystem (docs/scaling.md).
 *
 *   <lake>/_commits/<topic>/<partition>/<seq, 20 digits>.json
 *
 * Entry `n + 1` can only be created by a writer that read entry `n` as the latest: it is written to a dot-temp file,
 * fsynced, then `link(2)`ed to its final name, which fails with EEXIST when the name exists — atomically, on POSIX
 * local filesystems and NFS. The storage itself refuses the stale write, so a writer paused between reading the log
 * and writing it (SIGSTOP, a long GC, a network partition) cannot overwrite what the partition's new owner wrote: it
 * gets `TL_LAKE_PARTITION_FENCED` instead.
 *
 * An entry holds the partition's state after a batch (opaque to this module: offsets, watermark, last prices…) and
 * the batch's outputs. Outputs are written first under staged names that readers ignore (a dot-name in their final
 * directory, unique per writer: `.<final>.<writer>.staged`), the entry is created, then the staged files are renamed
 * into view (`publish`). A crash between entry and renames is finished by the next reader of the log (`acquire`:
 * roll forward), so an entry's outputs appear whole or — if the entry never won — never.
 *
 * Old entries are pruned (`prune`, keeping the last `keep`). A writer paused for longer than `keep` commits could
 * find its next sequence number free again (pruned): so pruning first records the lowest entry it keeps (`floor`),
 * and after a successful link the writer checks its entry is not below that floor; if it is, it was fenced all the
 * same (its stale entry stays below the floor, where no reader looks, until the next prune).
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { crashPoint } from '../../core/crash-points.js';
import { tlError } from '../../core/errors.js';

/** A batch output: a staged file (hidden from readers) and the name it is published under; lake-relative paths. */
export interface CommitOutput {
  staged: string;
  final: string;
}

export interface CommitEntry<S> {
  seq: number;
  topic: string;
  partition: number;
  /** The instance that created the entry (writerId). */
  writer: string;
  /** Creation time, epoch ms (informative). */
  at: number;
  state: S;
  outputs: CommitOutput[];
}

const SEQ_DIGITS = 20;
const ENTRY = /^(\d{20})\.json$/;
/** The lowest entry the last prune kept (see prunedHole). */
const FLOOR = 'floor';
/** Entries kept by `prune` by default. */
export const KEEP_ENTRIES = 100;

/** A writer id unique across hosts and restarts: `<host>-<pid>-<8 hex>`; safe in a file name. */
export function writerId(): string {
  const host = hostname().replace(/[^A-Za-z0-9_-]/g, '_');
  return `${host}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** The staged (hidden) name of an output for one writer: `<dir>/.<name>.<writer>.staged`. */
export function stagedPath(finalPath: string, writer: string): string {
  return join(dirname(finalPath), `.${basename(finalPath)}.${writer}.staged`);
}

export function commitDir(lakeDir: string, topic: string, partition: number): string {
  if (!topic || topic.includes('/') || topic === '.' || topic === '..') {
    throw tlError('TL_CONFIG_BAD_VALUE', { setting: 'topic', value: topic, reason: 'not a Kafka topic name' });
  }
  return join(lakeDir, '_commits', topic, String(partition));
}

export function entryName(seq: number): string {
  return `${String(seq).padStart(SEQ_DIGITS, '0')}.json`;
}

export class PartitionLog<S> {
  readonly dir: string;

  constructor(
    readonly lakeDir: string,
    readonly topic: string,
    readonly partition: number,
    readonly writer: string,
  ) {
    this.dir = commitDir(lakeDir, topic, partition);
  }

  /** Sequence numbers present, ascending. */
  async seqs(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: number[] = [];
    for (const n of names) {
      const m = ENTRY.exec(n);
      if (m) out.push(Number(m[1]));
    }
    return out.sort((a, b) => a - b);
  }

  async read(seq: number): Promise<CommitEntry<S>> {
    const path = join(this.dir, entryName(seq));
    const text = await readFile(path, 'utf8');
    try {
      return JSON.parse(text) as CommitEntry<S>;
    } catch (e) {
      throw tlError('TL_LAKE_WRITE', { file: path, reason: `unreadable commit entry: ${(e as Error).message}` }, e);
    }
  }

  /** The latest entry, or null for a partition never committed. */
  async latest(): Promise<CommitEntry<S> | null> {
    const seqs = await this.seqs();
    return seqs.length ? this.read(seqs[seqs.length - 1]) : null;
  }

  /**
   * What a new owner does first: the latest entry, its outputs rolled forward (published where a crash left them
   * staged). Returns null for a partition never committed.
   */
  async acquire(): Promise<CommitEntry<S> | null> {
    const entry = await this.latest();
    if (entry) await this.publish(entry);
    return entry;
  }

  /**
   * Creates entry `prevSeq + 1` with the state and the (already staged, fsynced) outputs, or throws
   * `TL_LAKE_PARTITION_FENCED` when another writer created it first (or a later one: see the module comment).
   * Does not publish the outputs: call `publish` next (a crash in between is rolled forward by `acquire`).
   */
  async commit(prevSeq: number, state: S, outputs: CommitOutput[]): Promise<CommitEntry<S>> {
    const seq = prevSeq + 1;
    const entry: CommitEntry<S> = {
      seq,
      topic: this.topic,
      partition: this.partition,
      writer: this.writer,
      at: Date.now(),
      state,
      outputs,
    };
    await mkdir(this.dir, { recursive: true });
    const final = join(this.dir, entryName(seq));
    const tmp = join(this.dir, `.${entryName(seq)}.${this.writer}.tmp`);
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(entry));
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await link(tmp, final);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      throw await this.fenced(seq);
    } finally {
      await unlink(tmp).catch(() => {});
    }
    await fsyncDir(this.dir);
    if (await this.prunedHole(seq)) throw await this.fenced(seq);
    return entry;
  }

  /**
   * Whether entry `seq`, just created, is below the prune floor: pruning records the lowest entry it keeps before it
   * deletes the ones below, so an entry created in a name pruning had freed is below the floor. Entries above `seq`
   * are no sign: a fast successor may already have built on it. The stale entry is left where it is (never the latest:
   * the entries that outlived pruning are above it) for the next prune; removing it could open a gap under a
   * successor when the writer was merely slow between its link and this check.
   */
  private async prunedHole(seq: number): Promise<boolean> {
    return seq < (await this.floor());
  }

  /** The lowest entry the last prune kept (0: never pruned). */
  async floor(): Promise<number> {
    try {
      return Number((await readFile(join(this.dir, FLOOR), 'utf8')).trim()) || 0;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw e;
    }
  }

  private async fenced(seq: number): Promise<Error> {
    const seqs = await this.seqs();
    const latest = seqs.length ? seqs[seqs.length - 1] : seq;
    const winner = await this.read(latest).then(
      (e) => e.writer,
      () => 'unknown',
    );
    return tlError('TL_LAKE_PARTITION_FENCED', {
      topic: this.topic,
      partition: this.partition,
      seq,
      latest,
      winner,
      writer: this.writer,
    });
  }

  /**
   * Renames an entry's staged outputs into view (idempotent: an output whose staged file is gone was published
   * already). Returns how many it renamed.
   */
  async publish(entry: CommitEntry<S>): Promise<number> {
    let renamed = 0;
    const dirs = new Set<string>();
    for (const o of entry.outputs) {
      const from = join(this.lakeDir, o.staged);
      const to = join(this.lakeDir, o.final);
      try {
        await rename(from, to);
        renamed++;
        dirs.add(dirname(to));
        crashPoint('mid-delivery');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        // published before (by us, an earlier roll-forward or the writer itself); compaction may have merged it since
      }
    }
    for (const d of dirs) await fsyncDir(d);
    return renamed;
  }

  /**
   * Deletes entries below the latest `keep`, and none at or above `keepFrom` (entries whose rows a delivery still
   * owes: a new owner reads them, partition-engine.ts). Returns how many.
   */
  async prune(keep = KEEP_ENTRIES, keepFrom = Number.POSITIVE_INFINITY): Promise<number> {
    const seqs = await this.seqs();
    const drop = seqs.slice(0, Math.max(0, seqs.length - keep)).filter((s) => s < keepFrom);
    if (drop.length === 0) return 0;
    // the floor first: from here the names below it may be free, and a writer creating one must know it is too late
    const floor = seqs[drop.length];
    if (floor > (await this.floor())) {
      const tmp = join(this.dir, `.${FLOOR}.${this.writer}.tmp`);
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(String(floor));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(this.dir, FLOOR));
      await fsyncDir(this.dir);
    }
    for (const s of drop) await rm(join(this.dir, entryName(s)), { force: true });
    return drop.length;
  }
}

/** Partitions of a topic that have a commit log in the lake. */
export async function committedPartitions(lakeDir: string, topic: string): Promise<number[]> {
  try {
    const names = await readdir(join(lakeDir, '_commits', topic));
    return names
      .filter((n) => /^\d+$/.test(n))
      .map(Number)
      .sort((a, b) => a - b);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** Whether the lake has a commit log for any topic (a lake written by partition-scoped processors). */
export async function hasCommitLog(lakeDir: string): Promise<boolean> {
  return stat(join(lakeDir, '_commits')).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
