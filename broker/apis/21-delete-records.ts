/**
 * DeleteRecords (key 21), versions 0-1.
 *
 * DeleteRecords Request (Version: 0-1) => [topics] timeout_ms
 *   topics => name [partitions]
 *     name => STRING
 *     partitions => partition_index offset
 *       partition_index => INT32
 *       offset => INT64
 *   timeout_ms => INT32
 *
 * DeleteRecords Response (Version: 0-1) => throttle_time_ms [topics]
 *   throttle_time_ms => INT32
 *   topics => name [partitions]
 *     name => STRING
 *     partitions => partition_index low_watermark error_code
 *       partition_index => INT32
 *       low_watermark => INT64
 *       error_code => INT16
 *
 * Behaviour:
 * - Moves the partition's log start offset (low watermark) up to `offset` (-1: the high watermark): records
 *   below it are no longer readable (OFFSET_OUT_OF_RANGE, ListOffsets earliest answers the new start), and
 *   segments wholly below it are deleted. The new start is persisted before the answer. An offset at or below
 *   the current start changes nothing; one above the high watermark → OFFSET_OUT_OF_RANGE (1); an unknown
 *   partition → UNKNOWN_TOPIC_OR_PARTITION (3); a failed write → KAFKA_STORAGE_ERROR (56).
 */
import { KafkaError } from '../protocol/error-codes.js';
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { RequestContext } from './types.js';

export const apiKey = 21;
export const name = 'DeleteRecords';
export const minVersion = 0;
export const maxVersion = 1;

export interface DeleteRecordsRequest {
  topics: Array<{ name: string; partitions: Array<{ index: number; offset: number }> }>;
  timeoutMs: number;
}
export interface DeleteRecordsResponse {
  topics: Array<{ name: string; partitions: Array<{ index: number; lowWatermark: number; errorCode: number }> }>;
}

export function decode(r: Reader, _version: number): DeleteRecordsRequest {
  const topics = r.array((t) => ({
    name: t.string(),
    partitions: t.array((p) => ({ index: p.int32(), offset: p.int64n() })),
  }));
  const timeoutMs = r.int32();
  r.expectEnd();
  return { topics, timeoutMs };
}

export function handle(req: DeleteRecordsRequest, ctx: RequestContext): DeleteRecordsResponse {
  const topics = req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => {
      const log = ctx.broker.topics.partition(t.name, p.index);
      if (!log) return { index: p.index, lowWatermark: -1, errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION };
      const target = p.offset === -1 ? log.highWatermark : p.offset;
      if (target < 0 || target > log.highWatermark) {
        return { index: p.index, lowWatermark: log.logStartOffset, errorCode: KafkaError.OFFSET_OUT_OF_RANGE };
      }
      try {
        return { index: p.index, lowWatermark: log.deleteRecordsBefore(target), errorCode: KafkaError.NONE };
      } catch (err) {
        ctx.broker.log.error({ code: 'TL_BROKER_IO', dir: log.dir, err: (err as Error).message }, 'DeleteRecords');
        return { index: p.index, lowWatermark: log.logStartOffset, errorCode: KafkaError.KAFKA_STORAGE_ERROR };
      }
    }),
  }));
  return { topics };
}

export function encode(w: Writer, res: DeleteRecordsResponse, _version: number): void {
  w.int32(0);
  w.array(res.topics, (x, t) => {
    x.string(t.name);
    x.array(t.partitions, (y, p) => y.int32(p.index).int64(p.lowWatermark).int16(p.errorCode));
  });
}
