/**
 * One log segment: `<baseOffset, 20 digits>.log` holding record batches back to back exactly as Kafka stores
 * them, and `<baseOffset>.index`, a sparse offset index of 8-byte entries (offset relative to the segment's base,
 * file position), one entry per ~4 KiB of log. Every segment's index lives in memory (segment-index.ts: 8 bytes an
 * entry, ~2 MiB for a partition's GiB of log) and is written out when the segment rolls or the broker closes;
 * recovery rebuilds it whenever it does not match the log.
 */
import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  ftruncateSync,
  openSync,
  read,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tlError } from '../../core/errors.js';
import { BATCH_HEADER_BYTES, type BatchInfo, batchSizeAt, checkBatch, LOG_OVERHEAD } from '../protocol/record-batch.js';
import { SegmentIndex } from './segment-index.js';

const readAsync = promisify(read);
const fdatasyncAsync = promisify(fdatasync);

export const INDEX_INTERVAL_BYTES = 4096;
const SCAN_CHUNK = 1024 * 1024;

export function segmentName(baseOffset: number, ext: 'log' | 'index' | 'snapshot'): string {
  return `${String(baseOffset).padStart(20, '0')}.${ext}`;
}

export class Segment {
  size = 0;
  /** Offset after the last batch of this segment. */
  nextOffset: number;
  /** Largest batch maxTimestamp seen, -1 when unknown (closed segments are not scanned on start). */
  maxTimestamp = -1;
  /** Wall-clock time of the last append, for time retention. */
  lastModifiedMs: number;
  private readonly index = new SegmentIndex();
  private bytesSinceIndex = INDEX_INTERVAL_BYTES;
  private indexDirty = false;
  private readers = 0;
  private deleted = false;
  private fd: number;

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    fd: number,
    lastModifiedMs: number,
  ) {
    this.fd = fd;
    this.nextOffset = baseOffset;
    this.lastModifiedMs = lastModifiedMs;
  }

  get logPath(): string {
    return join(this.dir, segmentName(this.baseOffset, 'log'));
  }
  get indexPath(): string {
    return join(this.dir, segmentName(this.baseOffset, 'index'));
  }

  static create(dir: string, baseOffset: number): Segment {
    const fd = openSync(join(dir, segmentName(baseOffset, 'log')), 'wx+');
    const seg = new Segment(dir, baseOffset, fd, Date.now());
    seg.indexDirty = true;
    return seg;
  }

  /** Opens an existing segment; `nextOffset` and `size` are set by loadIndex or recover. */
  static openExisting(dir: string, baseOffset: number, size: number, mtimeMs: number): Segment {
    const seg = new Segment(dir, baseOffset, openSync(join(dir, segmentName(baseOffset, 'log')), 'r+'), mtimeMs);
    seg.size = size;
    return seg;
  }

  /**
   * A segment made by the log cleaner: the file at `logPath` was just written and swapped in; `batches` are
   * its batches (offset, position, size) in order, to rebuild the index without reading the file again.
   */
  static fromCleaned(
    dir: string,
    baseOffset: number,
    nextOffset: number,
    size: number,
    lastModifiedMs: number,
    batches: ReadonlyArray<{ baseOffset: number; position: number; size: number }>,
  ): Segment {
    const seg = Segment.openExisting(dir, baseOffset, size, lastModifiedMs);
    seg.nextOffset = nextOffset;
    for (const b of batches) seg.noteBatch(b.baseOffset, b.position, b.size);
    seg.indexDirty = true;
    return seg;
  }

  /**
   * The segment's whole batches from file position `from`, in order, each as its own buffer (read in chunks of
   * about 1 MiB; a larger batch is read on its own). Stops at the first header that is not a batch.
   */
  async *batches(from = 0): AsyncGenerator<{ data: Buffer; position: number }> {
    let pos = from;
    const end = this.size;
    while (pos < end) {
      const chunk = await this.read(pos, Math.min(SCAN_CHUNK, end - pos));
      let at = 0;
      while (chunk.length - at >= LOG_OVERHEAD) {
        const size = batchSizeAt(chunk, at);
        if (size < 0 || pos + at + size > end) return;
        if (at + size > chunk.length) break;
        yield { data: chunk.subarray(at, at + size), position: pos + at };
        at += size;
      }
      if (at === 0) {
        // One batch larger than the chunk.
        const size = batchSizeAt(chunk, 0);
        if (size < 0 || pos + size > end) return;
        yield { data: await this.read(pos, size), position: pos };
        at = size;
      }
      pos += at;
    }
  }

  /**
   * Writes whole batches (offsets already assigned) after the segment's end with one positional write, without
   * making them part of the segment yet: commitWrite() does that, discardWrite() cuts them off again. A write
   * that fails half-way (a full disk) is cut off before the error is thrown.
   */
  write(bytes: Buffer): void {
    const start = this.size;
    let written = 0;
    try {
      while (written < bytes.length)
        written += writeSync(this.fd, bytes, written, bytes.length - written, start + written);
    } catch (err) {
      if (written > 0) ftruncateSync(this.fd, start); // if this throws too, the caller logs it
      throw err;
    }
  }

  commitWrite(length: number, batches: readonly BatchInfo[], nextOffset: number, maxTimestamp: number): void {
    const start = this.size;
    for (const b of batches) this.noteBatch(b.baseOffset, start + b.position, b.size);
    this.size += length;
    this.nextOffset = nextOffset;
    if (maxTimestamp > this.maxTimestamp) this.maxTimestamp = maxTimestamp;
    this.lastModifiedMs = Date.now();
  }

  /** Cuts what write() wrote after the segment's end (it was never committed). */
  discardWrite(): void {
    ftruncateSync(this.fd, this.size);
  }

  /** write + commitWrite. */
  append(bytes: Buffer, batches: readonly BatchInfo[], nextOffset: number, maxTimestamp: number): void {
    this.write(bytes);
    this.commitWrite(bytes.length, batches, nextOffset, maxTimestamp);
  }

  private noteBatch(baseOffset: number, position: number, size: number): void {
    if (this.bytesSinceIndex >= INDEX_INTERVAL_BYTES) {
      this.index.push(baseOffset - this.baseOffset, position);
      this.bytesSinceIndex = 0;
      this.indexDirty = true;
    }
    this.bytesSinceIndex += size;
  }

  /** Position of the last indexed batch starting at or before `offset` (0 when none). */
  lookup(offset: number): number {
    return this.index.lookup(offset - this.baseOffset);
  }

  async read(position: number, length: number): Promise<Buffer> {
    if (this.deleted) throw tlError('TL_BROKER_IO', { file: this.logPath, reason: 'segment deleted' });
    const buf = Buffer.allocUnsafe(length);
    this.readers++;
    try {
      let got = 0;
      while (got < length) {
        const { bytesRead } = await readAsync(this.fd, buf, got, length - got, position + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === length ? buf : buf.subarray(0, got);
    } finally {
      this.readers--;
      if (this.deleted && this.readers === 0) this.closeFd();
    }
  }

  sync(): Promise<void> {
    return fdatasyncAsync(this.fd);
  }

  syncNow(): void {
    fdatasyncSync(this.fd);
  }

  /** Loads the `.index` file of a closed segment; false when it is missing or does not fit the log. */
  loadIndex(): boolean {
    let raw: Buffer;
    try {
      raw = readFileSync(this.indexPath);
    } catch {
      return false;
    }
    if (raw.length % 8 !== 0) return false;
    let lastRel = -1;
    let lastPos = -1;
    for (let at = 0; at < raw.length; at += 8) {
      const rel = raw.readInt32BE(at);
      const pos = raw.readInt32BE(at + 4);
      if (rel <= lastRel || pos <= lastPos || pos >= this.size) return false;
      this.index.push(rel, pos);
      lastRel = rel;
      lastPos = pos;
    }
    if (this.index.length === 0 && this.size > 0) return false;
    this.index.fit();
    this.indexDirty = false;
    return true;
  }

  /**
   * Walks every batch from the start, rebuilding the index. With `verify`, stops at the first batch with a bad
   * length, magic or CRC, or one cut short, and truncates the file there (a torn tail after a crash).
   * Calls onBatch for each good batch. Returns the number of bytes cut off.
   */
  async recover(verify: boolean, onBatch: (b: BatchInfo) => void): Promise<number> {
    this.index.clear();
    this.bytesSinceIndex = INDEX_INTERVAL_BYTES;
    this.indexDirty = true;
    const fileSize = this.size;
    let pos = 0;
    scan: while (pos < fileSize) {
      const chunk = await this.read(pos, Math.min(SCAN_CHUNK, fileSize - pos));
      const chunkIsTail = pos + chunk.length >= fileSize;
      let at = 0;
      while (at < chunk.length) {
        const size = batchSizeAt(chunk, at);
        const headerCut = chunk.length - at < BATCH_HEADER_BYTES || (size > 0 && at + size > chunk.length);
        if (headerCut && !chunkIsTail && (size < 0 || pos + at + size <= fileSize)) {
          if (at > 0) break; // re-read from this batch's start
          if (size < 0) break scan;
          const whole = await this.read(pos, size); // one batch larger than the scan chunk
          if (!this.accept(whole, 0, pos, verify, onBatch)) break scan;
          at = size;
          break;
        }
        if (!this.accept(chunk, at, pos + at, verify, onBatch)) {
          pos += at;
          break scan;
        }
        at += size;
      }
      pos += at;
    }
    const cut = fileSize - pos;
    if (cut > 0) {
      ftruncateSync(this.fd, pos);
      this.size = pos;
    }
    return cut;
  }

  private accept(buf: Buffer, at: number, filePos: number, verify: boolean, onBatch: (b: BatchInfo) => void): boolean {
    const b = checkBatch(buf, at, buf.length, verify);
    if (typeof b === 'string') return false;
    this.noteBatch(b.baseOffset, filePos, b.size);
    this.nextOffset = b.baseOffset + b.lastOffsetDelta + 1;
    if (b.maxTimestamp > this.maxTimestamp) this.maxTimestamp = b.maxTimestamp;
    onBatch({ ...b, position: filePos });
    return true;
  }

  /** Writes the in-memory index to `.index` (only when it changed). */
  flushIndex(): void {
    this.index.fit(); // called when the segment rolls, is rebuilt or closes: it does not grow soon, if ever
    if (!this.indexDirty || this.deleted) return;
    const buf = this.index.toFile();
    const fd = openSync(this.indexPath, 'w');
    try {
      writeSync(fd, buf);
    } finally {
      closeSync(fd);
    }
    this.indexDirty = false;
  }

  /** Flushes the index and closes the file. */
  close(): void {
    this.flushIndex();
    this.deleted = true;
    if (this.readers === 0) this.closeFd();
  }

  /**
   * Lets go of a segment whose file the cleaner replaced: the descriptor closes once running reads finish
   * (they go on reading the old file), and nothing is written or deleted under its names any more.
   */
  retire(): void {
    this.deleted = true;
    if (this.readers === 0) this.closeFd();
  }

  /** Deletes the segment's files; the descriptor closes once running reads finish. */
  remove(): void {
    this.deleted = true;
    for (const p of [this.logPath, this.indexPath]) {
      try {
        unlinkSync(p);
      } catch {}
    }
    if (this.readers === 0) this.closeFd();
  }

  private closeFd(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}
