/**
 * Messages as fetched, for engines that parse them themselves (the keyed-table engine decodes JSON in DuckDB,
 * processors/tables/decode-sql.ts): the consumer thread lays out each fetched partition batch as columns in
 * transferable memory — offsets and timestamps, and the keys' and values' bytes concatenated with their end
 * positions — so that no per-message object crosses the thread boundary (as tick-batch.ts does for ticks).
 */

/** A message to pack (kafkajs's fetched message, or one given in memory). */
export interface RawInput {
  offset: number | string;
  timestamp?: number | string;
  key: Buffer | string | null;
  value: Buffer | string | null;
}

export interface RawBatch {
  topic: string;
  partition: number;
  count: number;
  offsets: Float64Array;
  /** Kafka timestamps (ms); NaN when unknown. */
  timestamps: Float64Array;
  /** End (exclusive) of message i's key in `keyBytes`; its start is the previous end. */
  keyEnds: Int32Array;
  valueEnds: Int32Array;
  /** Bit 1: the key is null; bit 2: the value is null (a tombstone). */
  nulls: Uint8Array;
  keyBytes: Uint8Array;
  valueBytes: Uint8Array;
}

const utf8 = new TextEncoder();
const asBytes = (v: Buffer | string): Uint8Array => (typeof v === 'string' ? utf8.encode(v) : v);

export function packRaw(topic: string, partition: number, messages: readonly RawInput[]): RawBatch {
  const n = messages.length;
  let keyLen = 0;
  let valueLen = 0;
  for (const m of messages) {
    if (m.key !== null) keyLen += typeof m.key === 'string' ? Buffer.byteLength(m.key) : m.key.length;
    if (m.value !== null) valueLen += typeof m.value === 'string' ? Buffer.byteLength(m.value) : m.value.length;
  }
  // one buffer for the fixed-width columns (8-byte ones first), one for all the bytes
  const fixed = new ArrayBuffer(n * (8 + 8 + 4 + 4 + 1));
  const bytes = new Uint8Array(keyLen + valueLen);
  const b: RawBatch = {
    topic,
    partition,
    count: n,
    offsets: new Float64Array(fixed, 0, n),
    timestamps: new Float64Array(fixed, n * 8, n),
    keyEnds: new Int32Array(fixed, n * 16, n),
    valueEnds: new Int32Array(fixed, n * 20, n),
    nulls: new Uint8Array(fixed, n * 24, n),
    keyBytes: bytes.subarray(0, keyLen),
    valueBytes: bytes.subarray(keyLen),
  };
  let k = 0;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const m = messages[i];
    b.offsets[i] = Number(m.offset);
    b.timestamps[i] = m.timestamp === undefined ? Number.NaN : Number(m.timestamp);
    let nulls = 0;
    if (m.key === null) nulls |= 1;
    else {
      const kb = asBytes(m.key);
      b.keyBytes.set(kb, k);
      k += kb.length;
    }
    if (m.value === null) nulls |= 2;
    else {
      const vb = asBytes(m.value);
      b.valueBytes.set(vb, v);
      v += vb.length;
    }
    b.keyEnds[i] = k;
    b.valueEnds[i] = v;
    b.nulls[i] = nulls;
  }
  return b;
}

export function rawTransferList(b: RawBatch): ArrayBuffer[] {
  return [b.offsets.buffer as ArrayBuffer, b.keyBytes.buffer as ArrayBuffer];
}

/** Messages [from, to) as views of the same memory. */
export function sliceRaw(b: RawBatch, from: number, to: number): RawBatch {
  const k0 = from === 0 ? 0 : b.keyEnds[from - 1];
  const v0 = from === 0 ? 0 : b.valueEnds[from - 1];
  const k1 = to === 0 ? 0 : b.keyEnds[to - 1];
  const v1 = to === 0 ? 0 : b.valueEnds[to - 1];
  return {
    topic: b.topic,
    partition: b.partition,
    count: to - from,
    offsets: b.offsets.subarray(from, to),
    timestamps: b.timestamps.subarray(from, to),
    keyEnds: b.keyEnds.subarray(from, to).map((e) => e - k0),
    valueEnds: b.valueEnds.subarray(from, to).map((e) => e - v0),
    nulls: b.nulls.subarray(from, to),
    keyBytes: b.keyBytes.subarray(k0, k1),
    valueBytes: b.valueBytes.subarray(v0, v1),
  };
}

/** Message i's key and value bytes (views), null when null. */
export function rawMessageAt(b: RawBatch, i: number): { key: Uint8Array | null; value: Uint8Array | null } {
  const k0 = i === 0 ? 0 : b.keyEnds[i - 1];
  const v0 = i === 0 ? 0 : b.valueEnds[i - 1];
  return {
    key: b.nulls[i] & 1 ? null : b.keyBytes.subarray(k0, b.keyEnds[i]),
    value: b.nulls[i] & 2 ? null : b.valueBytes.subarray(v0, b.valueEnds[i]),
  };
}
