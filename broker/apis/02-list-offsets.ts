/**
 * ListOffsets (key 2), versions 1-3.
 *
 * ListOffsets Request (Version: 1) => replica_id [topics]
 *   replica_id => INT32
 *   topics => name [partitions]
 *     name => STRING
 *     partitions => partition_index timestamp
 *       partition_index => INT32
 *       timestamp => INT64
 * ListOffsets Request (Version: 2-3) => replica_id isolation_level [topics]
 *   isolation_level => INT8
 *
 * ListOffsets Response (Version: 1) => [topics]
 *   topics => name [partitions]
 *     name => STRING
 *     partitions => partition_index error_code timestamp offset
 *       partition_index => INT32
 *       error_code => INT16
 *       timestamp => INT64
 *       offset => INT64
 * ListOffsets Response (Version: 2-3) => throttle_time_ms [topics]
 *   throttle_time_ms => INT32
 *
 * Behaviour:
 * - timestamp -1 (latest) → the high watermark (= last stable offset: no transactions, so both isolation
 *   levels agree); -2 (earliest) → the log start offset, which retention moves forward.
 * - Any other timestamp → the first batch whose max timestamp is at or after it (batch granularity: records are
 *   never decoded), or the log end when none is; the timestamp field is then -1.
 * - Unknown topic or partition → UNKNOWN_TOPIC_OR_PARTITION (3).
 */

import { KafkaError } from '../protocol/error-codes.js';
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { RequestContext } from './types.js';

export const apiKey = 2;
export const name = 'ListOffsets';
export const minVersion = 1;
export const maxVersion = 3;

const LATEST = -1;
const EARLIEST = -2;

export interface ListOffsetsRequest {
  replicaId: number;
  isolationLevel: number;
  topics: Array<{ name: string; partitions: Array<{ index: number; timestamp: number }> }>;
}
export interface ListOffsetsResponse {
  topics: Array<{
    name: string;
    partitions: Array<{ index: number; errorCode: number; timestamp: number; offset: number }>;
  }>;
}

export function decode(r: Reader, version: number): ListOffsetsRequest {
  const replicaId = r.int32();
  const isolationLevel = version >= 2 ? r.int8() : 0;
  const topics = r.array((t) => ({
    name: t.string(),
    partitions: t.array((p) => ({ index: p.int32(), timestamp: p.int64n() })),
  }));
  r.expectEnd();
  return { replicaId, isolationLevel, topics };
}

export async function handle(req: ListOffsetsRequest, ctx: RequestContext): Promise<ListOffsetsResponse> {
  const topics: ListOffsetsResponse['topics'] = [];
  for (const t of req.topics) {
    const partitions: ListOffsetsResponse['topics'][number]['partitions'] = [];
    for (const p of t.partitions) {
      const log = ctx.broker.topics.partition(t.name, p.index);
      if (!log) {
        partitions.push({
          index: p.index,
          errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION,
          timestamp: -1,
          offset: -1,
        });
        continue;
      }
      const offset =
        p.timestamp === LATEST
          ? log.highWatermark
          : p.timestamp === EARLIEST
            ? log.logStartOffset
            : await log.offsetForTime(p.timestamp);
      partitions.push({ index: p.index, errorCode: 0, timestamp: -1, offset });
    }
    topics.push({ name: t.name, partitions });
  }
  return { topics };
}

export function encode(w: Writer, res: ListOffsetsResponse, version: number): void {
  if (version >= 2) w.int32(0);
  w.array(res.topics, (x, t) => {
    x.string(t.name);
    x.array(t.partitions, (y, p) => y.int32(p.index).int16(p.errorCode).int64(p.timestamp).int64(p.offset));
  });
}
