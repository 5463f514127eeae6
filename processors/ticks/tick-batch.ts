/**
 * Messages parsed into columns: what the consumer thread posts to the processor's main thread (kafka-source.ts) and
 * what `ProcessorCore.prepare` reads (bench/HISTORY.md, "Fourth round").
 *
 * `packTicks` runs `parseTick` (contracts/tick.ts, the one judge of validity and of the reasons) on every message,
 * straight from the fetched value bytes, and lays the results out as columns in one ArrayBuffer: per message its
 * partition, Kafka offset and timestamp and whether it is a valid tick; for a valid tick its ts, price, size and seq
 * and its symbol, exchange, asset class and src as ids into the batch's small string dictionary. An invalid message (rare)
 * keeps its reason and a copy of its raw key and value bytes, for the `rejected` table and the `ticks.dlq` topic.
 * Posting a batch with `transferList` moves its memory to the other thread instead of copying it; no per-message
 * object crosses the thread boundary, and the main thread neither parses nor allocates per message.
 *
 * The consumer thread packs each fetched partition batch; `ProcessorCore.submit` packs messages given in memory
 * (tests, the core bench) with the same function. Numbers are exact as doubles: offsets, epoch milliseconds and
 * the tick's integers stay below 2^53 (`parseTick` checks ts and size).
 */
import { parseTick, type Tick } from '../../contracts/tick.js';

/** A message to pack: kafkajs's fetched message (decimal strings, Buffers) or a message given in memory. */
export interface PackInput {
  /** Needed when `packTicks` is not given the partition of all its messages. */
  partition?: number;
  offset: number | string;
  /** Kafka message timestamp (ms); absent in memory (then NaN). */
  timestamp?: number | string;
  key: Buffer | string | null;
  value: Buffer | string | null;
}

/** A message `parseTick` refused. */
export interface RejectedMessage {
  /** Position in the batch's columns. */
  index: number;
  /** `parseTick`'s error. */
  reason: string;
  /** The raw bytes as fetched (a copy with its own memory); null for a null key or value. */
  key: Uint8Array | null;
  value: Uint8Array | null;
}

export interface TickBatch {
  /** Messages in the batch, valid or not: the length of every per-message column. */
  count: number;
  partitions: Int32Array;
  offsets: Float64Array;
  /** Kafka timestamps (ms, produce time for CreateTime topics); NaN when unknown. */
  timestamps: Float64Array;
  /** 1 for a valid tick, 0 for a rejected message. */
  valid: Uint8Array;
  /** Valid ticks only (0 elsewhere): event time (epoch ms), price, size. */
  ts: Float64Array;
  price: Float64Array;
  size: Float64Array;
  /** Valid ticks only: the tick's `seq` (its identity with src and symbol), NaN when it has none. */
  seq: Float64Array;
  /** Valid ticks only: index into `strings`. */
  symbol: Int32Array;
  exchange: Int32Array;
  assetClass: Int32Array;
  /** Valid ticks only: the tick's `src` as an index into `strings`, -1 when it has none (the exchange is its source). */
  src: Int32Array;
  /** The batch's string dictionary (a few dozen distinct values). */
  strings: string[];
  /** The invalid messages, in column order. */
  rejected: RejectedMessage[];
}

const utf8 = new TextEncoder();

/** Raw bytes in memory of their own (a fetched Buffer is a view into a whole fetch response; a pooled one too). */
function ownBytes(v: Buffer | string | null): Uint8Array | null {
  if (v === null) return null;
  return typeof v === 'string' ? utf8.encode(v) : new Uint8Array(v);
}

/** What judges one message value: `parseTick` for JSON; the consumer thread passes one that also reads Avro. */
export type TickParser = (value: Buffer | string | null) => { tick: Tick } | { error: string };

/**
 * Parses `messages` into one batch. With `partition`, every message is of that partition (a fetched partition
 * batch); without, each message names its own.
 */
export function packTicks(
  messages: readonly PackInput[],
  partition?: number,
  parse: TickParser = parseTick,
): TickBatch {
  const n = messages.length;
  // one ArrayBuffer for every column: one allocation, one transfer. Doubles first (8-byte aligned), then 4-byte ints.
  const buf = new ArrayBuffer(n * (6 * 8 + 5 * 4 + 1));
  let at = 0;
  const f64 = () => {
    const a = new Float64Array(buf, at, n);
    at += n * 8;
    return a;
  };
  const i32 = () => {
    const a = new Int32Array(buf, at, n);
    at += n * 4;
    return a;
  };
  const b: TickBatch = {
    count: n,
    offsets: f64(),
    timestamps: f64(),
    ts: f64(),
    price: f64(),
    size: f64(),
    seq: f64(),
    partitions: i32(),
    symbol: i32(),
    exchange: i32(),
    assetClass: i32(),
    src: i32(),
    valid: new Uint8Array(buf, at, n),
    strings: [],
    rejected: [],
  };
  const ids = new Map<string, number>();
  const id = (s: string): number => {
    let i = ids.get(s);
    if (i === undefined) {
      i = b.strings.length;
      b.strings.push(s);
      ids.set(s, i);
    }
    return i;
  };
  if (partition !== undefined) b.partitions.fill(partition);
  for (let i = 0; i < n; i++) {
    const m = messages[i];
    if (partition === undefined) b.partitions[i] = m.partition ?? 0;
    b.offsets[i] = Number(m.offset);
    b.timestamps[i] = m.timestamp === undefined ? Number.NaN : Number(m.timestamp);
    const parsed = parse(m.value);
    if ('error' in parsed) {
      b.rejected.push({ index: i, reason: parsed.error, key: ownBytes(m.key), value: ownBytes(m.value) });
      continue;
    }
    const t = parsed.tick;
    b.valid[i] = 1;
    b.ts[i] = t.ts;
    b.price[i] = t.price;
    b.size[i] = t.size;
    b.symbol[i] = id(t.symbol);
    b.exchange[i] = id(t.exchange);
    b.assetClass[i] = id(t.assetClass);
    b.seq[i] = t.seq ?? Number.NaN;
    b.src[i] = t.src == null ? -1 : id(t.src);
  }
  return b;
}

/** The memory postMessage must move rather than copy: the columns' buffer and the rejected messages' bytes. */
export function transferList(b: TickBatch): ArrayBuffer[] {
  const list = new Set<ArrayBuffer>([b.offsets.buffer as ArrayBuffer]);
  for (const r of b.rejected) {
    if (r.key) list.add(r.key.buffer as ArrayBuffer);
    if (r.value) list.add(r.value.buffer as ArrayBuffer);
  }
  return [...list];
}

/** Messages [from, to) of a batch: views into the same columns (no copy), sharing the dictionary. */
export function sliceBatch(b: TickBatch, from: number, to: number): TickBatch {
  return {
    count: to - from,
    partitions: b.partitions.subarray(from, to),
    offsets: b.offsets.subarray(from, to),
    timestamps: b.timestamps.subarray(from, to),
    valid: b.valid.subarray(from, to),
    ts: b.ts.subarray(from, to),
    price: b.price.subarray(from, to),
    size: b.size.subarray(from, to),
    seq: b.seq.subarray(from, to),
    symbol: b.symbol.subarray(from, to),
    exchange: b.exchange.subarray(from, to),
    assetClass: b.assetClass.subarray(from, to),
    src: b.src.subarray(from, to),
    strings: b.strings,
    rejected: b.rejected.filter((r) => r.index >= from && r.index < to).map((r) => ({ ...r, index: r.index - from })),
  };
}

/** Messages in `batches`. */
export function countOf(batches: readonly TickBatch[]): number {
  let n = 0;
  for (const b of batches) n += b.count;
  return n;
}

/** The partitions that have a message in `batches`. */
export function partitionsOf(batches: readonly TickBatch[]): Set<number> {
  const seen = new Set<number>();
  for (const b of batches) {
    let last = -1;
    for (let i = 0; i < b.count; i++) {
      const p = b.partitions[i];
      if (p !== last) {
        seen.add(p);
        last = p;
      }
    }
  }
  return seen;
}
