/**
 * Fetch (key 1), versions 4-11.
 *
 * Fetch Request (Version: 4) => replica_id max_wait_ms min_bytes max_bytes isolation_level [topics]
 *   replica_id => INT32
 *   max_wait_ms => INT32
 *   min_bytes => INT32
 *   max_bytes => INT32
 *   isolation_level => INT8
 *   topics => topic [partitions]
 *     topic => STRING
 *     partitions => partition fetch_offset partition_max_bytes
 *       partition => INT32
 *       fetch_offset => INT64
 *       partition_max_bytes => INT32
 * Fetch Request (Version: 5-6) => ... partitions => partition fetch_offset log_start_offset partition_max_bytes
 *   log_start_offset => INT64
 * Fetch Request (Version: 7-8) => replica_id max_wait_ms min_bytes max_bytes isolation_level session_id
 *     session_epoch [topics] [forgotten_topics_data]
 *   session_id => INT32
 *   session_epoch => INT32
 *   forgotten_topics_data => topic [partitions]
 *     topic => STRING
 *     partitions => INT32
 * Fetch Request (Version: 9-10) => ... partitions => partition current_leader_epoch fetch_offset log_start_offset
 *     partition_max_bytes
 *   current_leader_epoch => INT32
 * Fetch Request (Version: 11) => ... [topics] [forgotten_topics_data] rack_id
 *   rack_id => STRING
 *
 * Fetch Response (Version: 4) => throttle_time_ms [responses]
 *   throttle_time_ms => INT32
 *   responses => topic [partitions]
 *     topic => STRING
 *     partitions => partition_index error_code high_watermark last_stable_offset [aborted_transactions] records
 *       partition_index => INT32
 *       error_code => INT16
 *       high_watermark => INT64
 *       last_stable_offset => INT64
 *       aborted_transactions => producer_id first_offset
 *         producer_id => INT64
 *         first_offset => INT64
 *       records => RECORDS
 * Fetch Response (Version: 5-6) => partitions => ... last_stable_offset log_start_offset [aborted_transactions] records
 *   log_start_offset => INT64
 * Fetch Response (Version: 7-10) => throttle_time_ms error_code session_id [responses]
 *   error_code => INT16
 *   session_id => INT32
 * Fetch Response (Version: 11) => partitions => ... log_start_offset [aborted_transactions] preferred_read_replica
 *     records
 *   preferred_read_replica => INT32
 *
 * Behaviour:
 * - Whole batches only, as stored. At least one batch is returned for a partition with data even when it is
 *   larger than partition_max_bytes or the request's max_bytes; after the request's max_bytes is used up,
 *   further partitions return no records. The request's max_bytes is capped at 64 MiB (Kafka's broker-side
 *   fetch.max.bytes), so a client cannot make the broker build an arbitrarily large response.
 * - Long poll: when fewer than min_bytes are available, the fetch waits until an append to one of its
 *   partitions brings enough, or max_wait_ms passes (woken by appends, no polling).
 * - Offset below the log start or above the high watermark → OFFSET_OUT_OF_RANGE (1); unknown topic or
 *   partition → UNKNOWN_TOPIC_OR_PARTITION (3); an error answers at once.
 * - No transactions: last stable offset = high watermark, no aborted transactions, for both isolation levels.
 * - Fetch sessions (v7+) are not kept: session_id 0 in every answer, which tells clients to send full requests.
 */

import { KafkaError } from '../protocol/error-codes.js';
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { RequestContext } from './types.js';

export const apiKey = 1;
export const name = 'Fetch';
export const minVersion = 4;
export const maxVersion = 11;

const MAX_WAIT_CAP_MS = 60_000;
/** The broker's own cap on one response, as Kafka's fetch.max.bytes (55 MiB there); one batch may exceed it. */
const FETCH_MAX_BYTES = 64 * 1024 * 1024;

export interface FetchPartition {
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
}
export interface FetchRequest {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: number;
  sessionId: number;
  sessionEpoch: number;
  topics: Array<{ topic: string; partitions: FetchPartition[] }>;
}
export interface PartitionData {
  partition: number;
  errorCode: number;
  highWatermark: number;
  logStartOffset: number;
  records: Buffer | null;
}
export interface FetchResponse {
  topics: Array<{ topic: string; partitions: PartitionData[] }>;
}

export function decode(r: Reader, version: number): FetchRequest {
  r.int32(); // replica_id
  const maxWaitMs = r.int32();
  const minBytes = r.int32();
  const maxBytes = r.int32();
  const isolationLevel = r.int8();
  const sessionId = version >= 7 ? r.int32() : 0;
  const sessionEpoch = version >= 7 ? r.int32() : -1;
  const topics = r.array((t) => ({
    topic: t.string(),
    partitions: t.array((p): FetchPartition => {
      const partition = p.int32();
      if (version >= 9) p.int32(); // current_leader_epoch
      const fetchOffset = p.int64n();
      if (version >= 5) p.int64(); // log_start_offset (of a follower)
      return { partition, fetchOffset, partitionMaxBytes: p.int32() };
    }),
  }));
  if (version >= 7) r.array((t) => [t.string(), t.array((p) => p.int32())]);
  if (version >= 11) r.string();
  r.expectEnd();
  return { maxWaitMs, minBytes, maxBytes, isolationLevel, sessionId, sessionEpoch, topics };
}

async function collect(
  req: FetchRequest,
  ctx: RequestContext,
): Promise<{ res: FetchResponse; bytes: number; error: boolean }> {
  const store = ctx.broker.topics;
  let budget = Math.min(req.maxBytes > 0 ? req.maxBytes : FETCH_MAX_BYTES, FETCH_MAX_BYTES);
  let bytes = 0;
  let error = false;
  const topics: FetchResponse['topics'] = [];
  for (const t of req.topics) {
    const partitions: PartitionData[] = [];
    for (const p of t.partitions) {
      const log = store.partition(t.topic, p.partition);
      if (!log) {
        error = true;
        partitions.push({
          partition: p.partition,
          errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION,
          highWatermark: -1,
          logStartOffset: -1,
          records: null,
        });
        continue;
      }
      const hw = log.highWatermark;
      const start = log.logStartOffset;
      const entry: PartitionData = {
        partition: p.partition,
        errorCode: 0,
        highWatermark: hw,
        logStartOffset: start,
        records: null,
      };
      if (p.fetchOffset < start || p.fetchOffset > hw) {
        entry.errorCode = KafkaError.OFFSET_OUT_OF_RANGE;
        error = true;
      } else if (p.fetchOffset < hw && (bytes === 0 || budget > 0)) {
        const limit = Math.max(1, Math.min(p.partitionMaxBytes, budget));
        const data = await log.read(p.fetchOffset, limit);
        if (data) {
          entry.records = data;
          bytes += data.length;
          budget -= data.length;
        }
      }
      partitions.push(entry);
    }
    topics.push({ topic: t.topic, partitions });
  }
  return { res: { topics }, bytes, error };
}

export async function handle(req: FetchRequest, ctx: RequestContext): Promise<FetchResponse> {
  const deadline = Date.now() + Math.min(Math.max(req.maxWaitMs, 0), MAX_WAIT_CAP_MS);
  for (;;) {
    const { res, bytes, error } = await collect(req, ctx);
    const left = deadline - Date.now();
    if (error || bytes >= Math.max(req.minBytes, 1) || left <= 0) return res;
    await waitForAppend(req, ctx, left);
  }
}

/** Resolves on the next append to any requested partition, or after ms. */
function waitForAppend(req: FetchRequest, ctx: RequestContext, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const cancels: Array<() => void> = [];
    const done = () => {
      clearTimeout(timer);
      for (const c of cancels) c();
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const t of req.topics) {
      for (const p of t.partitions) {
        const log = ctx.broker.topics.partition(t.topic, p.partition);
        if (log) cancels.push(log.onAppend(done));
      }
    }
  });
}

export function encode(w: Writer, res: FetchResponse, version: number): void {
  let records = 0;
  for (const t of res.topics) for (const p of t.partitions) records += p.records?.length ?? 0;
  if (records > 0)
    w.reserve(records + 64 * res.topics.length + 64 * res.topics.reduce((n, t) => n + t.partitions.length, 0));
  w.int32(0);
  if (version >= 7) w.int16(0).int32(0);
  w.array(res.topics, (x, t) => {
    x.string(t.topic);
    x.array(t.partitions, (y, p) => {
      y.int32(p.partition).int16(p.errorCode).int64(p.highWatermark).int64(p.highWatermark);
      if (version >= 5) y.int64(p.logStartOffset);
      y.int32(0); // aborted_transactions: none
      if (version >= 11) y.int32(-1);
      if (p.records) y.bytes(p.records);
      else y.int32(0);
    });
  });
}
