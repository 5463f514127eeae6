import { isUtf8 } from 'node:buffer';

/**
 * Reads Kafka protocol primitives from a request buffer (big-endian, as in the protocol guide).
 * Every read checks bounds and throws ProtocolError, so a truncated or garbage frame fails cleanly
 * instead of reading past the buffer. Strings must be valid UTF-8 (Kafka's own decoder would replace bad
 * bytes; a request with them is malformed and refused instead).
 */

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

export class Reader {
  offset: number;

  constructor(
    readonly buf: Buffer,
    offset = 0,
    readonly end = buf.length,
  ) {
    this.offset = offset;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number, what: string): void {
    if (n < 0 || this.offset + n > this.end) {
      throw new ProtocolError(`truncated: ${what} needs ${n} bytes at ${this.offset}, ${this.remaining} left`);
    }
  }

  int8(): number {
    this.need(1, 'int8');
    return this.buf.readInt8(this.offset++);
  }
  bool(): boolean {
    return this.int8() !== 0;
  }
  int16(): number {
    this.need(2, 'int16');
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  int32(): number {
    this.need(4, 'int32');
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  uint32(): number {
    this.need(4, 'uint32');
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  int64(): bigint {
    this.need(8, 'int64');
    const v = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }
  /** int64 that must fit a JS number (offsets, timestamps). */
  int64n(): number {
    const v = this.int64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new ProtocolError(`int64 ${v} out of safe range`);
    }
    return Number(v);
  }
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      this.need(1, 'varint');
      const b = this.buf[this.offset++];
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 28) throw new ProtocolError('varint too long');
    }
  }
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }
  uuid(): Buffer {
    this.need(16, 'uuid');
    const v = this.buf.subarray(this.offset, this.offset + 16);
    this.offset += 16;
    return v;
  }

  string(): string {
    const s = this.nullableString();
    if (s === null) throw new ProtocolError('null where a string is required');
    return s;
  }
  nullableString(): string | null {
    const len = this.int16();
    if (len === -1) return null;
    if (len < -1) throw new ProtocolError(`bad string length ${len}`);
    this.need(len, 'string');
    const s = this.utf8(this.offset, len);
    this.offset += len;
    return s;
  }
  compactString(): string {
    const s = this.compactNullableString();
    if (s === null) throw new ProtocolError('null where a compact string is required');
    return s;
  }
  compactNullableString(): string | null {
    const len = this.uvarint() - 1;
    if (len === -1) return null;
    this.need(len, 'compact string');
    const s = this.utf8(this.offset, len);
    this.offset += len;
    return s;
  }
  /** Strict UTF-8: invalid bytes are an error, never silently replaced by U+FFFD. */
  private utf8(at: number, len: number): string {
    const bytes = this.buf.subarray(at, at + len);
    if (!isUtf8(bytes)) throw new ProtocolError(`invalid UTF-8 in the string of ${len} bytes at ${at}`);
    return bytes.toString('utf8');
  }

  /** Bytes as a view into the request buffer (no copy). */
  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len === -1) return null;
    if (len < -1) throw new ProtocolError(`bad bytes length ${len}`);
    this.need(len, 'bytes');
    const v = this.buf.subarray(this.offset, this.offset + len);
    this.offset += len;
    return v;
  }
  bytes(): Buffer {
    const b = this.nullableBytes();
    if (b === null) throw new ProtocolError('null where bytes are required');
    return b;
  }
  compactNullableBytes(): Buffer | null {
    const len = this.uvarint() - 1;
    if (len === -1) return null;
    this.need(len, 'compact bytes');
    const v = this.buf.subarray(this.offset, this.offset + len);
    this.offset += len;
    return v;
  }
  raw(n: number): Buffer {
    this.need(n, 'raw bytes');
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  array<T>(item: (r: Reader) => T): T[] {
    const n = this.nullableArrayLength();
    if (n === null) throw new ProtocolError('null where an array is required');
    return this.items(n, item);
  }
  nullableArray<T>(item: (r: Reader) => T): T[] | null {
    const n = this.nullableArrayLength();
    return n === null ? null : this.items(n, item);
  }
  compactArray<T>(item: (r: Reader) => T): T[] {
    const n = this.uvarint() - 1;
    if (n === -1) throw new ProtocolError('null where a compact array is required');
    return this.items(n, item);
  }
  compactNullableArray<T>(item: (r: Reader) => T): T[] | null {
    const n = this.uvarint() - 1;
    return n === -1 ? null : this.items(n, item);
  }
  private nullableArrayLength(): number | null {
    const n = this.int32();
    if (n === -1) return null;
    if (n < -1) throw new ProtocolError(`bad array length ${n}`);
    return n;
  }
  private items<T>(n: number, item: (r: Reader) => T): T[] {
    // Each element takes at least one byte: a length beyond what is left is garbage, not a huge allocation.
    if (n > this.remaining) throw new ProtocolError(`array of ${n} elements with ${this.remaining} bytes left`);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = item(this);
    return out;
  }

  /** Strict end of a request body: bytes left over mean the frame is not what its version says. */
  expectEnd(): void {
    if (this.offset !== this.end)
      throw new ProtocolError(`${this.end - this.offset} unexpected bytes after the request`);
  }

  /** Skips a tagged-field section (flexible versions); ticklake knows no tags. */
  taggedFields(): void {
    const n = this.uvarint();
    for (let i = 0; i < n; i++) {
      this.uvarint();
      const size = this.uvarint();
      this.need(size, 'tagged field');
      this.offset += size;
    }
  }
}
