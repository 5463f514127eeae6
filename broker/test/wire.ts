/**
 * Hand encoding and decoding of Kafka protocol primitives for broker tests, written from the protocol guide
 * and independent of broker/protocol/ (so a codec bug there cannot hide in a test that uses it twice).
 */

export const i8 = (v: number): Buffer => Buffer.from([v & 0xff]);
export function i16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(v);
  return b;
}
export function i32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
}
export function i64(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(v));
  return b;
}
/** STRING / NULLABLE_STRING: int16 length (-1 for null) then UTF-8 bytes. */
export function str(s: string | null): Buffer {
  if (s === null) return i16(-1);
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([i16(b.length), b]);
}
/** BYTES: int32 length then the bytes. */
export function bytes(b: Buffer | null): Buffer {
  return b === null ? i32(-1) : Buffer.concat([i32(b.length), b]);
}
/** ARRAY: int32 count then the items (null -> -1). */
export function arr<T>(items: T[] | null, item: (v: T) => Buffer): Buffer {
  return items === null ? i32(-1) : Buffer.concat([i32(items.length), ...items.map(item)]);
}
export const cat = (...parts: Buffer[]): Buffer => Buffer.concat(parts);

/** Reads a response body field by field; `done()` asserts nothing is left over. */
export class Cursor {
  at = 0;
  constructor(readonly buf: Buffer) {}
  i8(): number {
    return this.buf.readInt8(this.at++);
  }
  i16(): number {
    const v = this.buf.readInt16BE(this.at);
    this.at += 2;
    return v;
  }
  i32(): number {
    const v = this.buf.readInt32BE(this.at);
    this.at += 4;
    return v;
  }
  i64(): number {
    const v = Number(this.buf.readBigInt64BE(this.at));
    this.at += 8;
    return v;
  }
  str(): string | null {
    const n = this.i16();
    if (n < 0) return null;
    const s = this.buf.toString('utf8', this.at, this.at + n);
    this.at += n;
    return s;
  }
  bytes(): Buffer | null {
    const n = this.i32();
    if (n < 0) return null;
    const b = Buffer.from(this.buf.subarray(this.at, this.at + n));
    this.at += n;
    return b;
  }
  arr<T>(item: (c: Cursor) => T): T[] {
    const n = this.i32();
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item(this));
    return out;
  }
  get left(): number {
    return this.buf.length - this.at;
  }
}
