/**
 * Kafka messages packed for the trip from the consumer thread to the processor's main thread (consumer-thread.ts).
 *
 * One fetched partition batch becomes three transferable arrays: offsets and timestamps as doubles (both exact: Kafka
 * offsets and epoch milliseconds stay below 2^53), key and value lengths (-1 for null), and the keys and values
 * back to back in one byte array. Posting them moves the memory instead of copying it, and the main thread sees
 * every key and value as a view into the one array: no per-message allocation crosses the thread boundary.
 */
import type { InMessage } from './core.js';

/** A message as the processor's loop receives it. */
export interface QueuedMessage extends InMessage {
  /** Kafka message timestamp (ms): produce time for CreateTime topics. */
  timestamp: number;
}

export interface PackedBatch {
  partition: number;
  /** offset, timestamp of message i at [2i], [2i + 1]. */
  nums: Float64Array;
  /** key length, value length of message i at [2i], [2i + 1]; -1 for null. */
  lens: Int32Array;
  bytes: Uint8Array;
}

/** What kafkajs hands to eachBatch, per message (offsets and timestamps are decimal strings there). */
export interface FetchedMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
}

export function packBatch(partition: number, messages: FetchedMessage[]): PackedBatch {
  const n = messages.length;
  const nums = new Float64Array(2 * n);
  const lens = new Int32Array(2 * n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const m = messages[i];
    const k = m.key ? m.key.length : -1;
    const v = m.value ? m.value.length : -1;
    lens[2 * i] = k;
    lens[2 * i + 1] = v;
    total += Math.max(0, k) + Math.max(0, v);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const m = messages[i];
    nums[2 * i] = Number(m.offset);
    nums[2 * i + 1] = Number(m.timestamp);
    if (m.key) {
      bytes.set(m.key, at);
      at += m.key.length;
    }
    if (m.value) {
      bytes.set(m.value, at);
      at += m.value.length;
    }
  }
  return { partition, nums, lens, bytes };
}

/** The objects postMessage must move rather than copy. */
export function transferList(b: PackedBatch): ArrayBuffer[] {
  return [b.nums.buffer as ArrayBuffer, b.lens.buffer as ArrayBuffer, b.bytes.buffer as ArrayBuffer];
}

/** Appends the batch's messages to `out`; keys and values are views into the batch's one byte array. */
export function unpackBatch(b: PackedBatch, out: QueuedMessage[]): number {
  const bytes = Buffer.from(b.bytes.buffer, b.bytes.byteOffset, b.bytes.byteLength);
  const n = b.lens.length / 2;
  let at = 0;
  for (let i = 0; i < n; i++) {
    const k = b.lens[2 * i];
    const v = b.lens[2 * i + 1];
    let key: Buffer | null = null;
    let value: Buffer | null = null;
    if (k >= 0) {
      key = bytes.subarray(at, at + k);
      at += k;
    }
    if (v >= 0) {
      value = bytes.subarray(at, at + v);
      at += v;
    }
    out.push({ partition: b.partition, offset: b.nums[2 * i], timestamp: b.nums[2 * i + 1], key, value });
  }
  return n;
}
