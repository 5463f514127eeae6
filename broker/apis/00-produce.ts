/**
 * Produce (key 0), versions 0-7.
 *
 * Produce Request (Version: 0-2) => acks timeout_ms [topic_data]
 *   acks => INT16
 *   timeout_ms => INT32
 *   topic_data => name [partition_data]
 *     name => STRING
 *     partition_data => index records
 *       index => INT32
 *       records => RECORDS
 * Produce Request (Version: 3-7) => transactional_id acks timeout_ms [topic_data]
 *   transactional_id => NULLABLE_STRING
 *   acks => INT16
 *   timeout_ms => INT32
 *   topic_data => name [partition_data]
 *     name => STRING
 *     partition_data => index records
 *       index => INT32
 *       records => RECORDS
 *
 * Produce Response (Version: 0) => [responses]
 *   responses => name [partition_responses]
 *     name => STRING
 *     partition_responses => index error_code base_offset
 *       index => INT32
 *       error_code => INT16
 *       base_offset => INT64
 * Produce Response (Version: 1) => [responses] throttle_time_ms
 *   throttle_time_ms => INT32
 * Produce Response (Version: 2) => [responses] throttle_time_ms
 *   partition_responses => index error_code base_offset log_append_time_ms
 *     log_append_time_ms => INT64
 * Produce Response (Version: 3-4) => [responses] throttle_time_ms
 *   responses => name [partition_responses]
 *     name => STRING
 *     partition_responses => index error_code base_offset log_append_time_ms
 *       index => INT32
 *       error_code => INT16
 *       base_offset => INT64
 *       log_append_time_ms => INT64
 *   throttle_time_ms => INT32
 * Produce Response (Version: 5-7) => [responses] throttle_time_ms
 *   partition_responses => index error_code base_offset log_append_time_ms log_start_offset
 *     log_start_offset => INT64
 *
 * Behaviour:
 * - Versions 0-2 exist for librdkafka: up to 2.11 it compresses with gzip, snappy or lz4 only when the broker's
 *   Produce range reaches v0 (with 3-7 it silently sends those uncompressed; zstd needs v7). librdkafka itself
 *   then picks v7. A request at v0-2 can only carry the legacy message formats (magic 0/1), which ticklake does
 *   not store: each partition is answered UNSUPPORTED_FOR_MESSAGE_FORMAT (43).
 * - Records must be magic-2 batches with a valid CRC32C; any problem rejects that partition's data with
 *   CORRUPT_MESSAGE (2). Batches are stored as received (never decompressed), only the base offset rewritten.
 * - Unknown topic or partition → UNKNOWN_TOPIC_OR_PARTITION (3) (topics are auto-created by Metadata only).
 * - Idempotent batches are checked per producer id and partition (see log/producer-state.ts): a duplicate is
 *   answered with the original base offset; a gap gets OUT_OF_ORDER_SEQUENCE_NUMBER (45).
 * - acks=-1 waits for fsync under the fsync policy acks-all (one fdatasync shared by concurrent appends);
 *   policy always waits for every acks; policy never does not fsync. acks=0 gets no response at all.
 *   The wait does not hold the connection (DeferredResponse): pipelined requests are appended meanwhile and
 *   share the next fdatasync; their responses still leave in order.
 *   Other acks values → INVALID_REQUIRED_ACKS (21). log_append_time is -1 (topics use CreateTime).
 */
import type { PartitionLog } from '../log/partition-log.js';
import type { Reader } from '../protocol/reader.js';
import { splitBatches } from '../protocol/record-batch.js';
import type { Writer } from '../protocol/writer.js';
import { DeferredResponse, type RequestContext } from './types.js';

export const apiKey = 0;
export const name = 'Produce';
export const minVersion = 0;
export const maxVersion = 7;

const CORRUPT_MESSAGE = 2;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const INVALID_REQUIRED_ACKS = 21;
const UNSUPPORTED_FOR_MESSAGE_FORMAT = 43;

export interface ProduceRequest {
  version: number;
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topics: Array<{ name: string; partitions: Array<{ index: number; records: Buffer | null }> }>;
}

export interface PartitionProduceResponse {
  index: number;
  errorCode: number;
  baseOffset: number;
  logStartOffset: number;
}

export interface ProduceResponse {
  topics: Array<{ name: string; partitions: PartitionProduceResponse[] }>;
}

export function decode(r: Reader, version: number): ProduceRequest {
  const req = {
    version,
    transactionalId: version >= 3 ? r.nullableString() : null,
    acks: r.int16(),
    timeoutMs: r.int32(),
    topics: r.array((t) => ({
      name: t.string(),
      partitions: t.array((p) => ({ index: p.int32(), records: p.nullableBytes() })),
    })),
  };
  r.expectEnd();
  return req;
}

export function handle(
  req: ProduceRequest,
  ctx: RequestContext,
): ProduceResponse | DeferredResponse<ProduceResponse> | null {
  const { topics: store, config } = ctx.broker;
  const validAcks = req.acks === 0 || req.acks === 1 || req.acks === -1;
  const toSync: PartitionLog[] = [];
  const topics = req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p): PartitionProduceResponse => {
      const fail = (errorCode: number) => ({ index: p.index, errorCode, baseOffset: -1, logStartOffset: -1 });
      if (!validAcks) return fail(INVALID_REQUIRED_ACKS);
      const log = store.partition(t.name, p.index);
      if (!log) return fail(UNKNOWN_TOPIC_OR_PARTITION);
      if (req.version < 3) return fail(UNSUPPORTED_FOR_MESSAGE_FORMAT);
      if (p.records === null || p.records.length === 0) return fail(CORRUPT_MESSAGE);
      const batches = splitBatches(p.records);
      if (typeof batches === 'string') {
        ctx.broker.log.warn(
          { peer: ctx.session.peer, topic: t.name, partition: p.index, problem: batches },
          'corrupt produce',
        );
        return fail(CORRUPT_MESSAGE);
      }
      const res = log.append(p.records, batches);
      if (res.errorCode !== 0) return { ...fail(res.errorCode), logStartOffset: log.logStartOffset };
      if (config.fsync === 'always' || (config.fsync === 'acks-all' && req.acks === -1)) toSync.push(log);
      return {
        index: p.index,
        errorCode: 0,
        baseOffset: (res as { baseOffset: number }).baseOffset,
        logStartOffset: log.logStartOffset,
      };
    }),
  }));
  if (req.acks === 0) return null;
  if (toSync.length === 0) return { topics };
  // Answer once on disk, without holding the connection: the next pipelined produce shares the fdatasync.
  return new DeferredResponse({ topics }, Promise.all(toSync.map((l) => l.sync())));
}

export function encode(w: Writer, res: ProduceResponse, version: number): void {
  w.array(res.topics, (x, t) => {
    x.string(t.name);
    x.array(t.partitions, (y, p) => {
      y.int32(p.index).int16(p.errorCode).int64(p.baseOffset);
      if (version >= 2) y.int64(-1);
      if (version >= 5) y.int64(p.logStartOffset);
    });
  });
  if (version >= 1) w.int32(0);
}
