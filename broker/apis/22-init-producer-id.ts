/**
 * InitProducerId (key 22), versions 0-1.
 *
 * InitProducerId Request (Version: 0-1) => transactional_id transaction_timeout_ms
 *   transactional_id => NULLABLE_STRING
 *   transaction_timeout_ms => INT32
 *
 * InitProducerId Response (Version: 0-1) => throttle_time_ms error_code producer_id producer_epoch
 *   throttle_time_ms => INT32
 *   error_code => INT16
 *   producer_id => INT64
 *   producer_epoch => INT16
 *
 * Behaviour:
 * - Every call hands out a new producer id with epoch 0, from a counter persisted in the data dir, so ids are
 *   never reused across restarts (sequence state is kept per producer id and partition).
 * - ticklake has no transactions: a non-null transactional_id is refused with
 *   TRANSACTIONAL_ID_AUTHORIZATION_FAILED (53), so a transactional client fails at once instead of later.
 */

import { KafkaError } from '../protocol/error-codes.js';
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { RequestContext } from './types.js';

export const apiKey = 22;
export const name = 'InitProducerId';
export const minVersion = 0;
export const maxVersion = 1;

export interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
}
export interface InitProducerIdResponse {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

export function decode(r: Reader, _version: number): InitProducerIdRequest {
  const req = { transactionalId: r.nullableString(), transactionTimeoutMs: r.int32() };
  r.expectEnd();
  return req;
}

export function handle(req: InitProducerIdRequest, ctx: RequestContext): InitProducerIdResponse {
  if (req.transactionalId !== null) {
    return { errorCode: KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
  }
  return { errorCode: 0, producerId: ctx.broker.topics.producerIds.allocate(), producerEpoch: 0 };
}

export function encode(w: Writer, res: InitProducerIdResponse, _version: number): void {
  w.int32(0).int16(res.errorCode).int64(res.producerId).int16(res.producerEpoch);
}
