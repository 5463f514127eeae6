/**
 * The contract of one Kafka API implementation: one file per API under broker/apis/, named by key
 * (`00-produce.ts`, `18-api-versions.ts`), exporting these names. The registry (broker/registry.ts) loads
 * every such file and builds the ApiVersions answer from their version ranges, so advertising and
 * implementing cannot drift apart.
 */
import type { BrokerContext } from '../context.js';
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** One client connection. */
export interface Session {
  readonly id: number;
  /** `ip:port` of the client. */
  readonly peer: string;
}

export interface RequestContext {
  broker: BrokerContext;
  session: Session;
  header: RequestHeader;
}

/**
 * A response that may only leave once `ready` resolves (Produce waiting for fsync). Meanwhile the connection
 * goes on decoding and handling its next requests, and responses still leave in request order; so pipelined
 * produce requests on one connection share one group-committed fdatasync instead of waiting for one each.
 * If `ready` rejects, the connection is closed without the response.
 */
export class DeferredResponse<Res> {
  constructor(
    readonly response: Res | null,
    readonly ready: Promise<unknown>,
  ) {}
}

export interface ApiModule<Req = unknown, Res = unknown> {
  apiKey: number;
  /** Protocol name, e.g. `Produce`. */
  name: string;
  minVersion: number;
  maxVersion: number;
  /** First version with flexible encoding (request header v2, response header v1); omit when none is implemented. */
  flexibleVersion?: number;
  decode(r: Reader, version: number): Req;
  /** Returns the response, or null when none is sent (Produce with acks=0), or a DeferredResponse. */
  handle(
    req: Req,
    ctx: RequestContext,
  ): Res | null | DeferredResponse<Res> | Promise<Res | null | DeferredResponse<Res>>;
  encode(w: Writer, res: Res, version: number): void;
}
