/**
 * ApiVersions (key 18), versions 0-3.
 *
 * ApiVersions Request (Version: 0-2) =>
 * ApiVersions Request (Version: 3) => client_software_name client_software_version TAG_BUFFER
 *   client_software_name => COMPACT_STRING
 *   client_software_version => COMPACT_STRING
 *
 * ApiVersions Response (Version: 0) => error_code [api_keys]
 *   error_code => INT16
 *   api_keys => api_key min_version max_version
 * ApiVersions Response (Version: 1-2) => error_code [api_keys] throttle_time_ms
 *   throttle_time_ms => INT32
 * ApiVersions Response (Version: 3) => error_code [api_keys] throttle_time_ms TAG_BUFFER
 *   api_keys => api_key min_version max_version TAG_BUFFER   (compact array)
 *
 * Behaviour:
 * - The ranges come from the registry, i.e. from the API modules that exist: what is advertised is implemented.
 * - The response header is always v0 (no tagged fields), even for v3, as in Kafka.
 * - An unsupported version is answered by the server in the v0 format with error 35 (UNSUPPORTED_VERSION).
 */

import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { ApiRange } from '../registry.js';
import type { RequestContext } from './types.js';

export const apiKey = 18;
export const name = 'ApiVersions';
export const minVersion = 0;
export const maxVersion = 3;
export const flexibleVersion = 3;

export interface ApiVersionsRequest {
  clientSoftwareName?: string;
  clientSoftwareVersion?: string;
}
export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: ApiRange[];
}

export function decode(r: Reader, version: number): ApiVersionsRequest {
  if (version < 3) return {};
  const req = { clientSoftwareName: r.compactString(), clientSoftwareVersion: r.compactString() };
  r.taggedFields();
  return req;
}

export function handle(_req: ApiVersionsRequest, ctx: RequestContext): ApiVersionsResponse {
  return { errorCode: 0, apiKeys: ctx.broker.registry.ranges() };
}

export function encode(w: Writer, res: ApiVersionsResponse, version: number): void {
  w.int16(res.errorCode);
  if (version >= 3) {
    w.compactArray(res.apiKeys, (x, a) => x.int16(a.apiKey).int16(a.minVersion).int16(a.maxVersion).taggedFields());
    w.int32(0);
    w.taggedFields();
    return;
  }
  w.array(res.apiKeys, (x, a) => x.int16(a.apiKey).int16(a.minVersion).int16(a.maxVersion));
  if (version >= 1) w.int32(0);
}
