/**
 * Decompressing the records section of a record batch (compression codec in attributes bits 0-2), for the
 * log cleaner, which must read keys. The produce and fetch paths never decompress: batches are stored as sent.
 *
 * - gzip (1): node:zlib. snappy (2): raw snappy, or the Java client's xerial framing ("\x82SNAPPY\0" header,
 *   then length-prefixed raw blocks) as librdkafka also accepts; via snappyjs. lz4 (3): an LZ4 frame, via
 *   lz4js. zstd (4): via fzstd (Node 20's zlib has no zstd).
 * - A result above maxBytes (a decompression bomb) or undecodable input throws; the cleaner then keeps that
 *   batch as it is.
 * - Compression (for rewritten batches) is gzip only: every Kafka client reads it.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { decompress as lz4Decompress } from 'lz4js';
import { uncompress as snappyUncompress } from 'snappyjs';

export const CODEC_NONE = 0;
export const CODEC_GZIP = 1;
export const CODEC_SNAPPY = 2;
export const CODEC_LZ4 = 3;
export const CODEC_ZSTD = 4;

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = 16;

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function snappy(data: Buffer, maxBytes: number): Buffer {
  if (data.length < XERIAL_HEADER || !data.subarray(0, 8).equals(XERIAL_MAGIC)) {
    return asBuffer(snappyUncompress(data, maxBytes));
  }
  const parts: Buffer[] = [];
  let total = 0;
  let at = XERIAL_HEADER;
  while (at < data.length) {
    if (data.length - at < 4) throw new Error('snappy: truncated xerial block header');
    const len = data.readInt32BE(at);
    at += 4;
    if (len < 0 || at + len > data.length) throw new Error('snappy: bad xerial block length');
    const part = asBuffer(snappyUncompress(data.subarray(at, at + len), maxBytes - total));
    total += part.length;
    if (total > maxBytes) throw new Error(`decompressed size above ${maxBytes} bytes`);
    parts.push(part);
    at += len;
  }
  return Buffer.concat(parts, total);
}

/** The uncompressed bytes of a batch's records section. */
export function decompress(codec: number, data: Buffer, maxBytes: number): Buffer {
  let out: Buffer;
  switch (codec) {
    case CODEC_NONE:
      return data;
    case CODEC_GZIP:
      out = gunzipSync(data, { maxOutputLength: maxBytes });
      break;
    case CODEC_SNAPPY:
      out = snappy(data, maxBytes);
      break;
    case CODEC_LZ4:
      out = asBuffer(lz4Decompress(data));
      break;
    case CODEC_ZSTD:
      out = asBuffer(zstdDecompress(data));
      break;
    default:
      throw new Error(`unknown compression codec ${codec}`);
  }
  if (out.length > maxBytes) throw new Error(`decompressed size above ${maxBytes} bytes`);
  return out;
}

export function compressGzip(data: Buffer): Buffer {
  return gzipSync(data, { level: 6 });
}
