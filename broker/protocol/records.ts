/**
 * The records inside a magic-2 record batch, for the log cleaner (keys and tombstones) and for rebuilding a
 * batch that keeps only some of its records. The produce and fetch paths never come here.
 *
 * Record =>
 *   length VARINT | attributes INT8 | timestampDelta VARLONG | offsetDelta VARINT |
 *   keyLength VARINT | key | valueLength VARINT | value | headerCount VARINT |
 *   [headerKeyLength VARINT | headerKey | headerValueLength VARINT | headerValue]
 * A key or value length of -1 is null; a null value is a tombstone (a delete) in a compacted topic.
 */

import { CODEC_NONE, compressGzip, decompress } from './compression.js';
import { crc32c } from './crc32c.js';
import { BATCH_HEADER_BYTES, compressionOf, LOG_OVERHEAD } from './record-batch.js';

export interface RecordRef {
  /** Byte range of the whole record (length prefix included) in the decompressed records section. */
  start: number;
  end: number;
  offsetDelta: number;
  key: Buffer | null;
  /** The value is null. */
  tombstone: boolean;
}

class Cursor {
  constructor(
    readonly buf: Buffer,
    public at: number,
    readonly end: number,
  ) {}

  /** Zigzag varint of up to 10 bytes; values beyond 2^53 lose precision, which only timestamps can reach. */
  varint(): number {
    let result = 0;
    let mult = 1;
    for (let i = 0; i < 10; i++) {
      if (this.at >= this.end) throw new Error('record cut short');
      const b = this.buf[this.at++];
      result += (b & 0x7f) * mult;
      if ((b & 0x80) === 0) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      mult *= 128;
    }
    throw new Error('varint too long');
  }

  skip(n: number): void {
    if (n < 0 || this.at + n > this.end) throw new Error('record cut short');
    this.at += n;
  }
}

/** Parses every record of a decompressed records section; throws when it is not exactly `count` records. */
export function parseRecords(section: Buffer, count: number): RecordRef[] {
  const out: RecordRef[] = [];
  const c = new Cursor(section, 0, section.length);
  while (c.at < section.length) {
    const start = c.at;
    const len = c.varint();
    const bodyStart = c.at;
    if (len < 0 || bodyStart + len > section.length) throw new Error(`bad record length ${len}`);
    const r = new Cursor(section, bodyStart, bodyStart + len);
    r.skip(1); // attributes
    r.varint(); // timestampDelta
    const offsetDelta = r.varint();
    const keyLen = r.varint();
    let key: Buffer | null = null;
    if (keyLen >= 0) {
      key = section.subarray(r.at, r.at + keyLen);
      r.skip(keyLen);
    }
    const valueLen = r.varint();
    if (valueLen >= 0) r.skip(valueLen);
    const headers = r.varint();
    for (let h = 0; h < headers; h++) {
      r.skip(Math.max(0, r.varint()));
      const hv = r.varint();
      if (hv > 0) r.skip(hv);
    }
    if (r.at !== bodyStart + len) throw new Error('record length does not match its fields');
    c.at = bodyStart + len;
    out.push({ start, end: c.at, offsetDelta, key, tombstone: valueLen < 0 });
  }
  if (out.length !== count) throw new Error(`batch says ${count} records, holds ${out.length}`);
  return out;
}

/** The decompressed records section of the batch at `pos` (of `size` bytes) in buf. */
export function recordsSection(buf: Buffer, pos: number, size: number, maxBytes: number): Buffer {
  const codec = compressionOf(buf.readInt16BE(pos + 21));
  return decompress(codec, buf.subarray(pos + BATCH_HEADER_BYTES, pos + size), maxBytes);
}

/**
 * A copy of the batch at `pos` holding only `keep` (records of `section`, in order), with its base offset,
 * last offset delta, timestamps and producer fields unchanged (as Kafka's cleaner does, so offsets and
 * idempotence state stay as they were). A compressed batch is rewritten gzip-compressed, an uncompressed one
 * stays uncompressed. The CRC32C is computed anew.
 */
export function rebuildBatch(buf: Buffer, pos: number, section: Buffer, keep: readonly RecordRef[]): Buffer {
  const parts = keep.map((r) => section.subarray(r.start, r.end));
  let body: Buffer = Buffer.concat(parts);
  const attributes = buf.readInt16BE(pos + 21);
  let newAttributes = attributes;
  if (compressionOf(attributes) !== CODEC_NONE) {
    body = compressGzip(body);
    newAttributes = (attributes & ~0x7) | 1;
  }
  const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + body.length);
  buf.copy(out, 0, pos, pos + BATCH_HEADER_BYTES);
  body.copy(out, BATCH_HEADER_BYTES);
  out.writeInt32BE(out.length - LOG_OVERHEAD, 8);
  out.writeInt16BE(newAttributes, 21);
  out.writeInt32BE(keep.length, 57);
  out.writeUInt32BE(crc32c(out, 21, out.length), 17);
  return out;
}
