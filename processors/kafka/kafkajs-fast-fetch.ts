/**
 * Faster decoding of fetched records for kafkajs 2.2.x, installed in the consumer thread only (consumer-thread.js)
 * before kafkajs loads.
 *
 * kafkajs computes every record's offset and timestamp with its BigInt-backed `Long`: `Long.fromValue(firstOffset)`
 * parses the batch's base offset string again for every record, `.add(delta).toString()` prints it back, the varlong
 * timestamp delta builds a `Long` per byte, and `Batch` parses each offset once more to compare it with the fetched
 * offset. Measured in the consumer thread over 1M ticks: ~0.7 s of BigInt parsing and printing plus the garbage it
 * leaves, out of ~4.9 s busy (bench/HISTORY.md, fourth round).
 *
 * Here the same values come from plain numbers whenever they are exact (below 2^53, which every offset and
 * millisecond timestamp of this century is), and from kafkajs's own `Long` otherwise. The records and batches
 * are kafkajs's own shapes with the same field values (tested against the stock decoder in
 * processors/kafka/test/kafkajs-fast-fetch.test.ts). Installed only for the kafkajs version it was written against;
 * otherwise kafkajs runs unchanged.
 */
import {
  cachedModule,
  kafkajsIsPinned,
  kafkajsSource,
  requireKafkajsSource as kreq,
  replaceModule,
} from '../../core/kafkajs-pin.js';

type Long = { add(x: unknown): Long; gte(x: unknown): boolean; toString(): string };
type LongClass = { fromValue(v: unknown): Long };
interface KDecoder {
  buffer: Buffer;
  offset: number;
  readInt8(): number;
  readVarInt(): number;
  readVarLong(): Long;
  readVarIntBytes(): Buffer | null;
  readVarIntArray<T>(reader: (d: KDecoder) => T): T[];
}
interface RecordContext {
  firstOffset: string;
  firstTimestamp: string;
  magicByte: number;
  isControlBatch?: boolean;
  timestampType: number;
  maxTimestamp: string;
}
interface KMessage {
  offset: string;
  isControlRecord: boolean;
}

/** A varlong, zigzag-decoded, as a number when it has at most 7 bytes (|x| < 2^48); null (nothing read) else. */
function readSmallVarLong(d: KDecoder): number | null {
  const buf = d.buffer;
  let at = d.offset;
  let n = 0;
  let mul = 1;
  for (let i = 0; i < 7; i++) {
    const b = buf[at++];
    n += (b & 0x7f) * mul;
    if (b < 0x80) {
      d.offset = at;
      return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
    }
    mul *= 128;
  }
  return null;
}

/** `base + delta` printed as kafkajs's Long would, when exact in doubles; null else. */
function addExact(base: number, delta: number): string | null {
  const sum = base + delta;
  return Number.isSafeInteger(base) && Number.isSafeInteger(sum) ? String(sum) : null;
}

export function makeRecordDecoder(Long: LongClass, HeaderDecoder: unknown, LOG_APPEND_TIME: number) {
  let ctxSeen: RecordContext | null = null;
  let firstOffset = 0;
  let firstTimestamp = 0;
  return (decoder: KDecoder, batchContext: RecordContext = {} as RecordContext) => {
    const { magicByte, isControlBatch = false, timestampType, maxTimestamp } = batchContext;
    if (batchContext !== ctxSeen) {
      ctxSeen = batchContext;
      firstOffset = Number(batchContext.firstOffset);
      firstTimestamp = Number(batchContext.firstTimestamp);
    }
    const attributes = decoder.readInt8();
    let timestamp: string;
    const small = readSmallVarLong(decoder);
    if (timestampType === LOG_APPEND_TIME && maxTimestamp) {
      if (small === null) decoder.readVarLong();
      timestamp = maxTimestamp;
    } else {
      timestamp =
        (small !== null && addExact(firstTimestamp, small)) ||
        Long.fromValue(batchContext.firstTimestamp)
          .add(small ?? decoder.readVarLong())
          .toString();
    }
    const offsetDelta = decoder.readVarInt();
    const offset =
      addExact(firstOffset, offsetDelta) ?? Long.fromValue(batchContext.firstOffset).add(offsetDelta).toString();
    const key = decoder.readVarIntBytes();
    const value = decoder.readVarIntBytes();
    const list = decoder.readVarIntArray(HeaderDecoder as (d: KDecoder) => { key: string; value: Buffer | null });
    let headers: Record<string, unknown> = {};
    if (list.length > 0) {
      // kafkajs's own fold, kept as it is so that odd keys ("__proto__", "constructor") come out the same
      headers = list.reduce(
        (obj: Record<string, unknown>, { key: k, value: v }) => ({
          // biome-ignore lint/performance/noAccumulatingSpread: kafkajs's semantics, on the rare records with headers
          ...obj,
          [k]: obj[k] === undefined ? v : Array.isArray(obj[k]) ? (obj[k] as unknown[]).concat([v]) : [obj[k], v],
        }),
        {},
      );
    }
    return {
      magicByte,
      attributes,
      timestamp,
      offset,
      key,
      value,
      headers,
      isControlRecord: isControlBatch,
      batchContext,
    };
  };
}

/** Whether offset string `a` >= `b`, by numbers when both are exact. */
function offsetGte(Long: LongClass, a: string, b: number, bLong: Long): boolean {
  const n = Number(a);
  return Number.isSafeInteger(n) && Number.isSafeInteger(b) ? n >= b : Long.fromValue(a).gte(bLong);
}

export function makeBatch(
  Long: LongClass,
  Batch: new (topic: string, fetchedOffset: string, partitionData: { messages: KMessage[] }) => object,
  filterAbortedMessages: (a: { messages: KMessage[]; abortedTransactions: unknown }) => KMessage[],
) {
  // a constructor function returning kafkajs's own Batch, built over no messages, then given the messages
  // filtered as its constructor would
  return function FastBatch(
    topic: string,
    fetchedOffset: string,
    partitionData: { messages: KMessage[]; abortedTransactions: unknown },
  ) {
    const batch = new Batch(topic, fetchedOffset, { ...partitionData, messages: [] }) as Record<string, unknown>;
    const from = Number(fetchedOffset);
    const fromLong = Long.fromValue(fetchedOffset);
    const raw = partitionData.messages;
    batch.rawMessages = raw;
    const within = raw.filter((m) => offsetGte(Long, m.offset, from, fromLong));
    batch.messagesWithinOffset = within;
    batch.messages = filterAbortedMessages({
      messages: within,
      abortedTransactions: partitionData.abortedTransactions,
    }).filter((m) => !m.isControlRecord);
    return batch;
  };
}

let installed = false;

/** Whether `installFastFetch` replaced kafkajs's decoding in this thread. */
export function fastFetchInstalled(): boolean {
  return installed;
}

/**
 * Installs the fast paths when kafkajs is the version they were written for and not loaded yet in this thread;
 * says whether it did.
 */
export function installFastFetch(): boolean {
  if (!kafkajsIsPinned) return false;
  const recordPath = kafkajsSource('protocol/recordBatch/record/v0/decoder.js');
  const batchPath = kafkajsSource('consumer/batch.js');
  if (cachedModule(recordPath) || cachedModule(batchPath)) return installed; // kafkajs already loaded here
  const Long = kreq('utils/long.js') as LongClass;
  const HeaderDecoder = kreq('protocol/recordBatch/header/v0/decoder.js');
  const { LOG_APPEND_TIME } = kreq('protocol/timestampTypes.js') as { LOG_APPEND_TIME: number };
  const Batch = kreq<Parameters<typeof makeBatch>[1]>('consumer/batch.js');
  const filterAborted = kreq<Parameters<typeof makeBatch>[2]>('consumer/filterAbortedMessages.js');
  replaceModule(recordPath, makeRecordDecoder(Long, HeaderDecoder, LOG_APPEND_TIME));
  replaceModule(batchPath, makeBatch(Long, Batch, filterAborted));
  installed = true;
  return true;
}
