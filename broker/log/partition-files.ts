/**
 * The files of a partition's directory: its segments, `log-start-offset` (moved by DeleteRecords) and
 * `cleaner-checkpoint` (the last cleaner pass, cleaner.ts), and loading them when the partition opens: leftovers of
 * an interrupted compaction removed, closed segments' indexes checked (rebuilt when stale), producer state from the
 * active segment's snapshot (or replayed from the closed segments), the active segment scanned with CRC checks and
 * a torn tail truncated.
 */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../core/log.js';
import { batchSizeAt, readBatchInfo } from '../protocol/record-batch.js';
import { writeFileAtomic } from './atomic-file.js';
import { ProducerState } from './producer-state.js';
import { Segment, segmentName } from './segment.js';

const SEGMENT_FILE = /^(\d{20})\.log$/;
const SCAN_STEP = 64 * 1024;
const LOG_START_FILE = 'log-start-offset';
const CHECKPOINT_FILE = 'cleaner-checkpoint';

function readNumberFile(path: string): number {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(n) && n >= 0 ? n : 0;
  } catch {
    return 0;
  }
}

/** What a partition's directory holds, as loaded on open. */
export interface LoadedPartition {
  /** Oldest first; the last is the active one. */
  segments: Segment[];
  producers: ProducerState;
  startOffset: number;
  /** The offset below which the log is compacted. */
  checkpoint: number;
  /** When tombstones kept by the last cleaner pass may be removed (Infinity: none kept). */
  tombstoneDue: number;
}

/** Loads a partition's directory when it opens (see above); creates its first segment when it has none. */
export async function loadPartition(dir: string, log: Logger): Promise<LoadedPartition> {
  const segments: Segment[] = [];
  let producers = new ProducerState();
  const files = readdirSync(dir);
  // A compaction cut short before its swap: the old segment is still whole.
  for (const f of files) if (f.endsWith('.cleaned')) rmSync(join(dir, f), { force: true });
  const startOffset = readNumberFile(join(dir, LOG_START_FILE));
  const { checkpoint, tombstoneDue } = readCleanerCheckpoint(dir);
  const loaded = () => ({ segments, producers, startOffset, checkpoint, tombstoneDue });
  const bases = files
    .map((f) => SEGMENT_FILE.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  if (bases.length === 0) {
    segments.push(Segment.create(dir, startOffset));
    return loaded();
  }
  for (let i = 0; i < bases.length; i++) {
    const st = statSync(join(dir, segmentName(bases[i], 'log')));
    const seg = Segment.openExisting(dir, bases[i], st.size, st.mtimeMs);
    segments.push(seg);
    if (i < bases.length - 1) {
      seg.nextOffset = bases[i + 1];
      if (!seg.loadIndex()) {
        log.warn({ file: seg.indexPath }, 'rebuilding a stale offset index');
        await seg.recover(false, () => {});
        seg.nextOffset = bases[i + 1];
        seg.flushIndex();
      }
    }
  }
  // Producer state: the snapshot taken when the active segment was created, then the active segment's batches.
  const active = segments[segments.length - 1];
  const snapshot = join(dir, segmentName(active.baseOffset, 'snapshot'));
  try {
    producers = ProducerState.fromJSON(JSON.parse(readFileSync(snapshot, 'utf8')));
  } catch {
    if (segments.length > 1) {
      log.warn({ dir: dir }, 'no producer snapshot; replaying closed segments');
      for (const seg of segments.slice(0, -1)) await replayProducers(seg, producers);
    }
  }
  const cut = await active.recover(true, (b) => producers.record(b, b.baseOffset));
  if (cut > 0) {
    const code = 'TL_BROKER_CORRUPT_LOG';
    log.warn({ code, file: active.logPath, bytes: cut, size: active.size }, 'truncated a torn tail of the log');
  }
  return loaded();
}

function readCleanerCheckpoint(dir: string): { checkpoint: number; tombstoneDue: number } {
  // Unknown after a start (no checkpoint yet): due, so that one pass finds out.
  let checkpoint = 0;
  let tombstoneDue = 0;
  try {
    const saved = JSON.parse(readFileSync(join(dir, CHECKPOINT_FILE), 'utf8')) as {
      cleanedTo?: unknown;
      tombstonesDueAt?: unknown;
    };
    if (typeof saved.cleanedTo === 'number' && Number.isSafeInteger(saved.cleanedTo)) checkpoint = saved.cleanedTo;
    tombstoneDue = typeof saved.tombstonesDueAt === 'number' ? saved.tombstonesDueAt : Number.POSITIVE_INFINITY;
  } catch {
    // No pass yet (or an unreadable file: then one pass starts over, which is always safe).
  }
  return { checkpoint, tombstoneDue };
}

async function replayProducers(seg: Segment, producers: ProducerState): Promise<void> {
  let pos = 0;
  while (pos < seg.size) {
    const head = await seg.read(pos, Math.min(SCAN_STEP, seg.size - pos));
    let at = 0;
    while (head.length - at >= 61) {
      const size = batchSizeAt(head, at);
      if (size < 0) return;
      const b = readBatchInfo(head, at, size);
      producers.record(b, b.baseOffset);
      at += size;
    }
    if (at === 0) return;
    pos += at;
  }
}

/** Records a finished cleaner pass (durably): compacted up to `offset`; kept tombstones may go from `tombstonesDueAt`. */
export function writeCleanerCheckpoint(dir: string, offset: number, tombstonesDueAt: number): void {
  const due = Number.isFinite(tombstonesDueAt) ? tombstonesDueAt : null;
  writeFileAtomic(join(dir, CHECKPOINT_FILE), `${JSON.stringify({ cleanedTo: offset, tombstonesDueAt: due })}\n`);
}

/** Moves the log start offset (durably): DeleteRecords. */
export function writeLogStartOffset(dir: string, offset: number): void {
  writeFileAtomic(join(dir, LOG_START_FILE), `${offset}\n`);
}
