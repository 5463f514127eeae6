/**
 * The broker's TCP side: splits the byte stream into size-prefixed frames, decodes the request header,
 * dispatches to the API module, and writes responses in request order.
 *
 * Behaviour:
 * - Requests on one connection are handled one at a time, in order (as Kafka does), so responses cannot overtake.
 * - A frame whose size is negative or above maxFrameBytes is refused before its payload is buffered.
 * - Truncated frames, garbage, unknown API keys and unsupported versions close only that connection, with a
 *   log line; every other connection keeps working. ApiVersions with an unsupported version is answered in the
 *   v0 format with UNSUPPORTED_VERSION and the supported ranges, as Kafka does, so clients can downgrade.
 * - A handler returning null sends no response (Produce with acks=0); a DeferredResponse is sent once ready,
 *   after the responses before it, while the connection goes on with its next requests.
 * - Memory per connection is bounded: reading pauses while more than 64 frames or 32 MiB wait to be handled.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { tlError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { type ApiModule, DeferredResponse, type RequestHeader, type Session } from './apis/types.js';
import type { BrokerContext } from './context.js';
import { ProtocolError, Reader } from './protocol/reader.js';
import { Writer } from './protocol/writer.js';

/**
 * Test hook: inspect every request before it is handled. `close` drops the connection without handling the
 * request; `drop` handles it but sends no response; `close-after` handles it, then closes the connection
 * without responding (a lost response: the client retries at once on a new connection).
 */
export type Verdict = 'close' | 'drop' | 'close-after' | undefined;
export type Interceptor = (header: RequestHeader, session: Session) => Verdict | Promise<Verdict>;

export const UNSUPPORTED_VERSION = 35;
const API_VERSIONS_KEY = 18;
const MAX_QUEUED_FRAMES = 64;
/** Bytes of complete frames a connection may have waiting before its socket is paused. */
const MAX_QUEUED_BYTES = 32 * 1024 * 1024;
/** Deferred responses a connection may have waiting before it stops handling further requests. */
const MAX_DEFERRED = 256;

let nextSessionId = 1;

class Connection implements Session {
  readonly id = nextSessionId++;
  readonly peer: string;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private frameSize = -1;
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private running = false;
  private closed = false;
  /** Responses waiting to be sent in order behind a deferred one, and the end of that chain. */
  private waitingSends = 0;
  private sendTail: Promise<void> = Promise.resolve();

  constructor(
    private readonly socket: Socket,
    private readonly ctx: BrokerContext,
    private readonly log: Logger,
    private readonly interceptor: Interceptor | undefined,
  ) {
    this.peer = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (err) => this.log.debug({ peer: this.peer, err: err.message }, 'connection error'));
    socket.on('close', () => {
      this.closed = true;
    });
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.frameSize < 0) {
        if (this.buffered < 4) break;
        const size = this.take(4).readInt32BE(0);
        const limit = this.ctx.config.maxFrameBytes;
        if (size < 0 || size > limit) {
          const e = tlError('TL_BROKER_FRAME_TOO_LARGE', { size, peer: this.peer, limit });
          this.abort(e.message, e.code);
          return;
        }
        this.frameSize = size;
      }
      if (this.buffered < this.frameSize) break;
      this.queue.push(this.take(this.frameSize));
      this.queuedBytes += this.frameSize;
      this.frameSize = -1;
    }
    if (this.queue.length > MAX_QUEUED_FRAMES || this.queuedBytes > MAX_QUEUED_BYTES) this.socket.pause();
    if (!this.running) void this.drain();
  }

  /** Removes n bytes from the front of the buffered chunks, copying only when they span chunks. */
  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0); // a zero-size frame (found by the fuzz test) with nothing buffered
    this.buffered -= n;
    const first = this.chunks[0];
    if (first.length === n) {
      this.chunks.shift();
      return first;
    }
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0];
      const part = Math.min(c.length, n - at);
      c.copy(out, at, 0, part);
      at += part;
      if (part === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(part);
    }
    return out;
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const frame = this.queue.shift()!;
        this.queuedBytes -= frame.length;
        if (this.queue.length < MAX_QUEUED_FRAMES / 4 && this.queuedBytes < MAX_QUEUED_BYTES / 4) this.socket.resume();
        await this.handle(frame);
        if (this.waitingSends > MAX_DEFERRED) await this.sendTail;
      }
    } finally {
      this.running = false;
    }
  }

  private async handle(frame: Buffer): Promise<void> {
    let header: RequestHeader;
    let mod: ApiModule | undefined;
    let request: unknown;
    let flexible = false;
    try {
      const r = new Reader(frame);
      header = { apiKey: r.int16(), apiVersion: r.int16(), correlationId: r.int32(), clientId: r.nullableString() };
      const requests = this.ctx.stats?.requests;
      requests?.set(header.apiKey, (requests.get(header.apiKey) ?? 0) + 1);
      mod = this.ctx.registry.get(header.apiKey);
      if (!mod) {
        const e = tlError('TL_BROKER_UNKNOWN_API', { apiKey: header.apiKey, peer: this.peer });
        this.abort(e.message, e.code);
        return;
      }
      if (header.apiVersion < mod.minVersion || header.apiVersion > mod.maxVersion) {
        if (header.apiKey === API_VERSIONS_KEY) {
          this.send(this.unsupportedApiVersions(header.correlationId));
        } else {
          this.abort(
            `${mod.name} v${header.apiVersion} is not supported (${mod.minVersion}-${mod.maxVersion})`,
            'TL_BROKER_BAD_FRAME',
          );
        }
        return;
      }
      flexible = mod.flexibleVersion !== undefined && header.apiVersion >= mod.flexibleVersion;
      if (flexible) r.taggedFields();
      request = mod.decode(r, header.apiVersion);
    } catch (err) {
      if (!(err instanceof ProtocolError)) this.log.error({ err, peer: this.peer }, 'decoder failed');
      const e = tlError('TL_BROKER_BAD_FRAME', { peer: this.peer, reason: (err as Error).message });
      this.abort(e.message, e.code);
      return;
    }

    try {
      const verdict = this.interceptor ? await this.interceptor(header, this) : undefined;
      if (verdict === 'close') return this.abort('closed by interceptor', 'TEST');
      const result = await mod.handle(request, { broker: this.ctx, session: this, header });
      const deferred = result instanceof DeferredResponse ? result : undefined;
      const response = deferred ? deferred.response : result;
      if (verdict === 'close-after') {
        if (deferred) await deferred.ready.catch(() => {});
        return this.abort('closed by interceptor after handling', 'TEST');
      }
      let bytes: Buffer | null = null;
      if (response !== null && verdict !== 'drop') {
        const w = new Writer(1024);
        const sizeAt = w.reserveInt32();
        w.int32(header.correlationId);
        // ApiVersions always answers with response header v0, so that any client can read it.
        if (flexible && header.apiKey !== API_VERSIONS_KEY) w.taggedFields();
        mod.encode(w, response, header.apiVersion);
        w.setInt32(sizeAt, w.offset - 4);
        bytes = w.view();
      }
      this.sendInOrder(bytes, deferred?.ready, mod.name);
    } catch (err) {
      this.log.error({ err, peer: this.peer, api: mod.name, version: header.apiVersion }, 'request failed');
      this.abort(`${mod.name} failed: ${(err as Error).message}`, 'TL_API_INTERNAL');
    }
  }

  private unsupportedApiVersions(correlationId: number): Buffer {
    const w = new Writer();
    const sizeAt = w.reserveInt32();
    w.int32(correlationId).int16(UNSUPPORTED_VERSION);
    w.array(this.ctx.registry.ranges(), (x, a) => x.int16(a.apiKey).int16(a.minVersion).int16(a.maxVersion));
    w.setInt32(sizeAt, w.offset - 4);
    return w.view();
  }

  /** Sends now, unless a deferred response is still waiting: then behind it, keeping request order. */
  private sendInOrder(bytes: Buffer | null, ready: Promise<unknown> | undefined, api: string): void {
    if (!ready && this.waitingSends === 0) {
      if (bytes) this.send(bytes);
      return;
    }
    this.waitingSends++;
    const prev = this.sendTail;
    this.sendTail = (async () => {
      await prev;
      try {
        if (ready) await ready;
        if (bytes) this.send(bytes);
      } catch (err) {
        this.log.error({ err, peer: this.peer, api }, 'deferred response failed');
        this.abort(`${api} failed: ${(err as Error).message}`, 'TL_BROKER_IO');
      } finally {
        this.waitingSends--;
      }
    })();
  }

  private send(bytes: Buffer): void {
    if (!this.closed) this.socket.write(bytes);
  }

  private abort(reason: string, code: string): void {
    if (this.closed) return;
    this.closed = true;
    this.log.warn({ peer: this.peer, code }, `closing connection: ${reason}`);
    this.queue.length = 0;
    this.chunks = [];
    this.socket.destroy();
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

export class BrokerServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();

  constructor(
    ctx: BrokerContext,
    private readonly log: Logger,
    interceptor?: Interceptor,
  ) {
    this.server = createServer((socket) => {
      const conn = new Connection(socket, ctx, log, interceptor);
      this.connections.add(conn);
      socket.on('close', () => this.connections.delete(conn));
    });
    this.server.on('error', (err) => this.log.error({ err }, 'server error'));
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) c.destroy();
    await closed;
  }

  get connectionCount(): number {
    return this.connections.size;
  }
}
