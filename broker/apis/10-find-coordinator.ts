/**
 * FindCoordinator (key 10), versions 0-2.
 *
 * FindCoordinator Request (Version: 0) => key
 *   key => STRING
 * FindCoordinator Request (Version: 1-2) => key key_type
 *   key_type => INT8   (0 = group, 1 = transaction)
 *
 * FindCoordinator Response (Version: 0) => error_code node_id host port
 *   error_code => INT16
 *   node_id => INT32
 *   host => STRING
 *   port => INT32
 * FindCoordinator Response (Version: 1-2) => throttle_time_ms error_code error_message node_id host port
 *   throttle_time_ms => INT32
 *   error_message => NULLABLE_STRING
 *
 * Behaviour:
 * - Groups: this (single) broker is the coordinator of every group.
 * - Transactions are not supported: COORDINATOR_NOT_AVAILABLE (15) with node -1.
 */
import { KafkaError } from '../protocol/error-codes.js';
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { RequestContext } from './types.js';

export const apiKey = 10;
export const name = 'FindCoordinator';
export const minVersion = 0;
export const maxVersion = 2;

export interface FindCoordinatorRequest {
  key: string;
  keyType: number;
}
export interface FindCoordinatorResponse {
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

export function decode(r: Reader, version: number): FindCoordinatorRequest {
  const req = { key: r.string(), keyType: version >= 1 ? r.int8() : 0 };
  r.expectEnd();
  return req;
}

export function handle(req: FindCoordinatorRequest, ctx: RequestContext): FindCoordinatorResponse {
  if (req.keyType !== 0) {
    return {
      errorCode: KafkaError.COORDINATOR_NOT_AVAILABLE,
      errorMessage: 'transactions are not supported by the embedded broker',
      nodeId: -1,
      host: '',
      port: -1,
    };
  }
  const { nodeId, host, port } = ctx.broker.config;
  return { errorCode: KafkaError.NONE, errorMessage: null, nodeId, host, port };
}

export function encode(w: Writer, res: FindCoordinatorResponse, version: number): void {
  if (version >= 1) w.int32(0);
  w.int16(res.errorCode);
  if (version >= 1) w.nullableString(res.errorMessage);
  w.int32(res.nodeId).string(res.host).int32(res.port);
}
