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
 *   A batch whose record count is not lastOffsetDelta + 1 (or is 0) is refused the same way, as Kafka refuses
 *   it: offsets are assigned from lastOffsetDelta (the CRC covers it, so it cannot be corrected in place), and
 *   a lying delta such as 2^31-2 would otherwise make the partition's offsets jump.
 * - Unknown topic or partition → UNKNOWN_TOPIC_OR_PARTITION (3) (topics are auto-created by Metadata only).
 * - Idempotent batches are checked per producer id and partition (see log/producer-state.ts): a duplicate is
 *   answered with the original base offset; a gap gets OUT_OF_ORDER_SEQUENCE_NUMBER (45).
 * - acks=-1 waits for fsync under the fsync policy acks-all (one fdatasync shared by concurrent appends);
 *   policy always waits for every acks; policy never does not fsync. acks=0 gets no response at all.
 *   The wait does not hold the connection (DeferredResponse): pipelined requests are appended meanwhile and
 *   share the next fdatasync; their responses still leave in order.
 *   Other acks values → INVALID_REQUIRED_ACKS (21). log_append_time is -1 (topics use CreateTime).
 * - All or nothing on storage errors: every partition is written first and made visible only when all writes
 *   succeeded. A failed write (a full disk) answers KAFKA_STORAGE_ERROR (56) for every partition of the
 *   request that would have been appended, and none of them is (so a client's retry, idempotent or not,
 *   stores each batch once). A failed fdatasync answers 56 for the partitions it covers. The connection stays
 *   open. The same partition twice in one request → INVALID_REQUEST (42) for the repeat.
 */
import type { PartitionLog, PreparedAppend } from '../log/partition-log.js';
import { KafkaError } from '../protocol/error-codes.js';
import type { Reader } from '../protocol/reader.js';
import { splitBatches } from '../protocol/record-batch.js';
import type { Writer } from '../protocol/writer.js';
import { DeferredResponse, type RequestContext } from './types.js';

export const apiKey = 0;
export const name = 'Produce';
export const minVersion = 0;
export const maxVersion = 7;

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
  const { topics: store, config, log } = ctx.broker;
  const validAcks = req.acks === 0 || req.acks === 1 || req.acks === -1;
  const fail = (index: number, errorCode: number): PartitionProduceResponse => ({
    index,
    errorCode,
    baseOffset: -1,
    logStartOffset: -1,
  });
  // First write every partition's batches (prepare), then make them visible (commit) only if no write failed:
  // a request appends to all its partitions or, on a storage error, to none (a retry must not duplicate).
  const prepared: Array<{ res: PartitionProduceResponse; append: PreparedAppend }> = [];
  let storageError = false;
  const topics = req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p): PartitionProduceResponse => {
      if (!validAcks) return fail(p.index, KafkaError.INVALID_REQUIRED_ACKS);
      const plog = store.partition(t.name, p.index);
      if (!plog) return fail(p.index, KafkaError.UNKNOWN_TOPIC_OR_PARTITION);
      if (req.version < 3) return fail(p.index, KafkaError.UNSUPPORTED_FOR_MESSAGE_FORMAT);
      if (p.records === null || p.records.length === 0) return fail(p.index, KafkaError.CORRUPT_MESSAGE);
      const batches = splitBatches(p.records);
      if (typeof batches === 'string') {
        log.warn({ peer: ctx.session.peer, topic: t.name, partition: p.index, problem: batches }, 'corrupt produce');
        return fail(p.index, KafkaError.CORRUPT_MESSAGE);
      }
      if (storageError) return fail(p.index, KafkaError.KAFKA_STORAGE_ERROR);
      if (prepared.some((x) => x.append.log === plog)) return fail(p.index, KafkaError.INVALID_REQUEST);
      const r = plog.prepare(p.records, batches);
      if ('segment' in r) {
        const res = { index: p.index, errorCode: 0, baseOffset: r.first, logStartOffset: plog.logStartOffset };
        prepared.push({ res, append: r });
        return res;
      }
      if (r.errorCode === KafkaError.KAFKA_STORAGE_ERROR) storageError = true;
      if (r.errorCode !== 0) return { ...fail(p.index, r.errorCode), logStartOffset: plog.logStartOffset };
      return {
        index: p.index,
        errorCode: 0,
        baseOffset: (r as { baseOffset: number }).baseOffset,
        logStartOffset: plog.logStartOffset,
      };
    }),
  }));
  const toSync: Array<{ plog: PartitionLog; res: PartitionProduceResponse }> = [];
  for (const { res, append } of prepared) {
    if (storageError) {
      append.log.abort(append);
      Object.assign(res, fail(res.index, KafkaError.KAFKA_STORAGE_ERROR));
    } else {
      append.log.commit(append);
      if (config.fsync === 'always' || (config.fsync === 'acks-all' && req.acks === -1))
        toSync.push({ plog: append.log, res });
    }
  }
  if (req.acks === 0) return null;
  if (toSync.length === 0) return { topics };
  // Answer once on disk, without holding the connection: the next pipelined produce shares the fdatasync.
  // A failed fdatasync answers KAFKA_STORAGE_ERROR for its partitions (the data may not be on disk).
  const synced = toSync.map(({ plog, res }) =>
    plog.sync().catch((err: Error) => {
      log.error({ code: 'TL_BROKER_IO', dir: plog.dir, err: err.message }, 'broker storage: fdatasync failed');
      Object.assign(res, fail(res.index, KafkaError.KAFKA_STORAGE_ERROR));
    }),
  );
  return new DeferredResponse({ topics }, Promise.all(synced));
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
