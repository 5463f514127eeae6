/**
 * Test helper: encodes an uncompressed magic-2 record batch by hand from the protocol guide, independently of
 * the broker's code (its own varint writer; the CRC32C comes from the broker's crc32c, which its own test
 * checks against published vectors).
 */
import { crc32c } from '../protocol/crc32c.js';

function varint(n: number): number[] {
  let u = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (u >= 0x80) {
    out.push((u & 0x7f) | 0x80);
    u = Math.floor(u / 128);
  }
  out.push(u);
  return out;
}

export interface BatchOptions {
  baseOffset?: number;
  timestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
}

export function buildBatch(values: string[], o: BatchOptions = {}): Buffer {
  const ts = o.timestamp ?? 1_700_000_000_000;
  const records = values.map((v, i) => {
    const value = Buffer.from(v);
    const body = Buffer.from([
      0,
      ...varint(0),
      ...varint(i),
      ...varint(-1),
      ...varint(value.length),
      ...value,
      ...varint(0),
    ]);
    return Buffer.concat([Buffer.from(varint(body.length)), body]);
  });
  const recs = Buffer.concat(records);
  const b = Buffer.alloc(61 + recs.length);
  b.writeBigInt64BE(BigInt(o.baseOffset ?? 0), 0);
  b.writeInt32BE(b.length - 12, 8);
  b.writeInt32BE(0, 12); // partition leader epoch
  b.writeInt8(2, 16); // magic
  b.writeInt16BE(0, 21); // attributes
  b.writeInt32BE(values.length - 1, 23); // last offset delta
  b.writeBigInt64BE(BigInt(ts), 27);
  b.writeBigInt64BE(BigInt(ts), 35);
  b.writeBigInt64BE(BigInt(o.producerId ?? -1), 43);
  b.writeInt16BE(o.producerEpoch ?? -1, 51);
  b.writeInt32BE(o.baseSequence ?? -1, 53);
  b.writeInt32BE(values.length, 57);
  recs.copy(b, 61);
  b.writeUInt32BE(crc32c(b, 21), 17);
  return b;
}

/** Values of the records of uncompressed batches (the inverse of buildBatch, for reading a log back). */
export function readValues(buf: Buffer): Array<{ offset: number; value: string }> {
  const out: Array<{ offset: number; value: string }> = [];
  let pos = 0;
  const rv = (p: { at: number }) => {
    let u = 0;
    let shift = 0;
    for (;;) {
      const byte = buf[p.at++];
      u += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
      shift += 7;
    }
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  };
  while (pos + 61 <= buf.length) {
    const size = buf.readInt32BE(pos + 8) + 12;
    if (pos + size > buf.length) break;
    const base = Number(buf.readBigInt64BE(pos));
    const count = buf.readInt32BE(pos + 57);
    const p = { at: pos + 61 };
    for (let i = 0; i < count; i++) {
      rv(p); // length
      p.at++; // attributes
      rv(p); // timestamp delta
      const delta = rv(p);
      const klen = rv(p);
      if (klen > 0) p.at += klen;
      const vlen = rv(p);
      out.push({ offset: base + delta, value: buf.toString('utf8', p.at, p.at + vlen) });
      p.at += vlen;
      const headers = rv(p);
      for (let h = 0; h < headers; h++) {
        p.at += rv(p);
        const hv = rv(p);
        if (hv > 0) p.at += hv;
      }
    }
    pos += size;
  }
  return out;
}
