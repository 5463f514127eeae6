/**
 * Record batches (magic 2) as they travel in Produce and Fetch and as they lie in segment files.
 * ticklake never decodes records: it reads the fixed 61-byte batch header, checks the CRC32C, and rewrites
 * the base offset (which the CRC does not cover).
 *
 * RecordBatch =>
 *   baseOffset INT64 | batchLength INT32 | partitionLeaderEpoch INT32 | magic INT8 | crc UINT32 |
 *   attributes INT16 | lastOffsetDelta INT32 | baseTimestamp INT64 | maxTimestamp INT64 |
 *   producerId INT64 | producerEpoch INT16 | baseSequence INT32 | recordCount INT32 | records...
 * batchLength counts the bytes after itself; the CRC covers attributes..end.
 */
import { crc32c } from './crc32c.js';

export const BATCH_HEADER_BYTES = 61;
/** Bytes before batchLength's coverage starts: baseOffset + batchLength. */
export const LOG_OVERHEAD = 12;
const CRC_AT = 17;
const ATTRIBUTES_AT = 21;

export interface BatchInfo {
  /** Position of the batch in the buffer. */
  position: number;
  /** Total size in bytes, header included. */
  size: number;
  baseOffset: number;
  lastOffsetDelta: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
  attributes: number;
}

export type BatchProblem = 'truncated' | 'bad-length' | 'bad-magic' | 'bad-crc' | 'bad-count';

/** Total size of the batch at `pos` from its length field, or -1 when the header is incomplete or the length is bad. */
export function batchSizeAt(buf: Buffer, pos: number, end = buf.length): number {
  if (end - pos < LOG_OVERHEAD) return -1;
  const len = buf.readInt32BE(pos + 8);
  if (len < BATCH_HEADER_BYTES - LOG_OVERHEAD) return -1;
  return len + LOG_OVERHEAD;
}

export function readBatchInfo(buf: Buffer, pos: number, size: number): BatchInfo {
  return {
    position: pos,
    size,
    baseOffset: Number(buf.readBigInt64BE(pos)),
    attributes: buf.readInt16BE(pos + ATTRIBUTES_AT),
    lastOffsetDelta: buf.readInt32BE(pos + 23),
    maxTimestamp: Number(buf.readBigInt64BE(pos + 35)),
    producerId: Number(buf.readBigInt64BE(pos + 43)),
    producerEpoch: buf.readInt16BE(pos + 51),
    baseSequence: buf.readInt32BE(pos + 53),
    recordCount: buf.readInt32BE(pos + 57),
  };
}

/**
 * Checks the batch at `pos`: a complete header, magic 2, a length inside the buffer, a matching CRC32C and a
 * sane record count. Returns the batch or the reason it is unusable.
 *
 * `strict` (the produce path): the record count must be positive and equal lastOffsetDelta + 1, as Kafka's
 * LogValidator requires ("Inconsistent batch offset range"): offsets are assigned by lastOffsetDelta, so a
 * batch claiming a delta of 2^31-2 for one record would otherwise make the log's offsets jump by 2^31.
 * Without it (batches already in the log) a count below lastOffsetDelta + 1 is fine: compaction leaves those.
 */
export function checkBatch(
  buf: Buffer,
  pos: number,
  end = buf.length,
  verifyCrc = true,
  strict = false,
): BatchInfo | BatchProblem {
  if (end - pos < BATCH_HEADER_BYTES)
    return end - pos >= LOG_OVERHEAD && batchSizeAt(buf, pos, end) < 0 ? 'bad-length' : 'truncated';
  const size = batchSizeAt(buf, pos, end);
  if (size < 0) return 'bad-length';
  if (buf[pos + 16] !== 2) return 'bad-magic';
  if (pos + size > end) return 'truncated';
  if (verifyCrc && crc32c(buf, pos + ATTRIBUTES_AT, pos + size) !== buf.readUInt32BE(pos + CRC_AT)) return 'bad-crc';
  const info = readBatchInfo(buf, pos, size);
  if (info.recordCount < 0 || info.lastOffsetDelta < 0 || info.lastOffsetDelta + 1 < info.recordCount)
    return 'bad-count';
  if (strict && (info.recordCount === 0 || info.lastOffsetDelta + 1 !== info.recordCount)) return 'bad-count';
  return info;
}

/** Splits a Produce request's records into checked batches (strictly); a problem anywhere rejects the whole set. */
export function splitBatches(records: Buffer): BatchInfo[] | BatchProblem {
  const out: BatchInfo[] = [];
  let pos = 0;
  while (pos < records.length) {
    const b = checkBatch(records, pos, records.length, true, true);
    if (typeof b === 'string') return b;
    out.push(b);
    pos += b.size;
  }
  return out;
}

export function setBaseOffset(buf: Buffer, pos: number, baseOffset: number): void {
  buf.writeBigInt64BE(BigInt(baseOffset), pos);
}

/** Compression codec of a batch: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. */
export function compressionOf(attributes: number): number {
  return attributes & 0x7;
}
