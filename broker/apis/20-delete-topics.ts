/**
 * DeleteTopics (key 20), versions 0-1.
 *
 * DeleteTopics Request (Version: 0-1) => [topic_names] timeout_ms
 *   topic_names => STRING
 *   timeout_ms => INT32
 *
 * DeleteTopics Response (Version: 0) => [responses]
 *   responses => name error_code
 *     name => STRING
 *     error_code => INT16
 * DeleteTopics Response (Version: 1) => throttle_time_ms [responses]
 *   throttle_time_ms => INT32
 *
 * Behaviour:
 * - Deletes the topic and all its segment files, and every group's committed offsets of it, before answering; an unknown topic gets
 *   UNKNOWN_TOPIC_OR_PARTITION (3). Fetches waiting on the topic are woken and see it gone.
 */
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { RequestContext } from './types.js';

export const apiKey = 20;
export const name = 'DeleteTopics';
export const minVersion = 0;
export const maxVersion = 1;

export interface DeleteTopicsRequest {
  topicNames: string[];
  timeoutMs: number;
}
export interface DeleteTopicsResponse {
  responses: Array<{ name: string; errorCode: number }>;
}

export function decode(r: Reader, _version: number): DeleteTopicsRequest {
  const req = { topicNames: r.array((x) => x.string()), timeoutMs: r.int32() };
  r.expectEnd();
  return req;
}

export async function handle(req: DeleteTopicsRequest, ctx: RequestContext): Promise<DeleteTopicsResponse> {
  const responses: DeleteTopicsResponse['responses'] = [];
  for (const topic of req.topicNames) {
    const errorCode = await ctx.broker.topics.delete(topic);
    // A topic created again under the same name starts empty: its groups must not resume at stale offsets.
    if (errorCode === 0) await ctx.broker.groups.topicDeleted(topic);
    responses.push({ name: topic, errorCode });
  }
  return { responses };
}

export function encode(w: Writer, res: DeleteTopicsResponse, version: number): void {
  if (version >= 1) w.int32(0);
  w.array(res.responses, (x, t) => x.string(t.name).int16(t.errorCode));
}
