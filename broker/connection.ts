/**
 * One client connection of the broker: splits the byte stream into size-prefixed frames, decodes the request
 * header, dispatches to the API module, and writes responses in request order.
 *
 * Behaviour:
 * - Requests on one connection are handled one at a time, in order (as Kafka does), so responses cannot overtake.
 * - A frame whose size is negative or above maxFrameBytes is refused before its payload is buffered.
 * - Memory: a frame's whole size is reserved from the broker-wide MemoryPool (maxInflightBytes) when its length
 *   has been read; until the reservation is granted the socket is paused. A frame that arrives in pieces is
 *   copied into one buffer of its size (large ones outside V8's heap pools, so that their memory goes back to
 *   the system once handled); the received chunks are let go at once. Per connection, reading also pauses
 *   while more than 64 frames or 32 MiB wait to be handled.
 * - Truncated frames, garbage, invalid UTF-8 in a string, unknown API keys and unsupported versions close only
 *   that connection, with a log line naming the ticklake code and the Kafka condition; every other connection
 *   keeps working. ApiVersions with an unsupported version is answered in the v0 format with
 *   UNSUPPORTED_VERSION and the supported ranges, as Kafka does, so clients can downgrade.
 * - A handler returning null sends no response (Produce with acks=0); a DeferredResponse is sent once ready,
 *   after the responses before it, while the connection goes on with its next requests.
 * - Idle: `idleFor(now)` is how long the connection has had no traffic and nothing in progress; the server
 *   closes it after connectionsMaxIdleMs (Kafka's connections.max.idle.ms).
 */
import type { Socket } from 'node:net';
import { type ErrorCode, tlError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { type ApiModule, DeferredResponse, type RequestHeader, type Session } from './apis/types.js';
import type { BrokerContext } from './context.js';
import type { MemoryPool } from './memory-pool.js';
import { KafkaError, type KafkaErrorName } from './protocol/error-codes.js';
import { ProtocolError, Reader } from './protocol/reader.js';
import { Writer } from './protocol/writer.js';

/**
 * Test hook: inspect every request before it is handled. `close` drops the connection without handling the
 * request; `drop` handles it but sends no response; `close-after` handles it, then closes the connection
 * without responding (a lost response: the client retries at once on a new connection).
 */
export type Verdict = 'close' | 'drop' | 'close-after' | undefined;
export type Interceptor = (header: RequestHeader, session: Session) => Verdict | Promise<Verdict>;

const API_VERSIONS_KEY = 18;
const MAX_QUEUED_FRAMES = 64;
/** Bytes of complete frames a connection may have waiting before its socket is paused. */
const MAX_QUEUED_BYTES = 32 * 1024 * 1024;
/** Deferred responses a connection may have waiting before it stops handling further requests. */
const MAX_DEFERRED = 256;
/** Frames from this size on get a buffer of their own outside Node's pools (freed to the system when done). */
const OWN_BUFFER_BYTES = 256 * 1024;

let nextSessionId = 1;

interface Frame {
  bytes: Buffer;
  reserved: number;
}

export class Connection implements Session {
  readonly id = nextSessionId++;
  readonly peer: string;
  /** Received bytes not yet part of a frame (a length prefix, or the start of the next frame). */
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** The frame being read: its size (-1 while reading a length), its reservation and, if it spans chunks, its buffer. */
  private frameSize = -1;
  private reserved = 0;
  private frame: Buffer | null = null;
  private frameFill = 0;
  private cancelWait: (() => void) | null = null;
  private readonly queue: Frame[] = [];
  private queuedBytes = 0;
  private running = false;
  private closed = false;
  private paused = false;
  private lastActivity = Date.now();
  /** Responses waiting to be sent in order behind a deferred one, and the end of that chain. */
  private waitingSends = 0;
  private sendTail: Promise<void> = Promise.resolve();
  /** The client id and API of the last request read (for the log when the client goes away). */
  private clientId: string | null = null;
  private lastApi: string | null = null;
  private lostSaid = false;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: BrokerContext,
    private readonly pool: MemoryPool,
    private readonly log: Logger,
    private readonly interceptor: Interceptor | undefined,
  ) {
    this.peer = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => this.lost(err.code ?? err.message));
    socket.on('close', () => {
      this.lost(null);
      this.release();
    });
  }

  /**
   * The client went away (a reset, a broken pipe, or a close): said once, as a Kafka client connection lost, with the
   * client's id and address, the socket's errno, and what was in progress. Mid-request (a frame partly received, or
   * requests not yet answered) it is an `info` line, since a client that dies mid-request is worth knowing about; a
   * client leaving between requests is routine (`debug`). After the broker closed the connection itself (`abort`,
   * logged there), nothing more is said.
   */
  private lost(errno: string | null): void {
    if (this.closed || this.lostSaid) return;
    this.lostSaid = true;
    const partial = this.frameSize >= 0 ? this.frameFill + this.buffered : this.buffered;
    const unanswered = this.queue.length + (this.running ? 1 : 0) + this.waitingSends;
    const midRequest = partial > 0 || unanswered > 0;
    const fields = {
      peer: this.peer,
      clientId: this.clientId,
      errno: errno ?? 'closed',
      ...(this.frameSize >= 0 ? { partialBytes: partial, frameBytes: this.frameSize } : {}),
      unanswered,
      lastApi: this.lastApi,
    };
    const how = errno === null ? 'closed' : errno === 'ECONNRESET' ? 'reset' : 'lost';
    this.log[midRequest ? 'info' : 'debug'](
      fields,
      `Kafka client connection ${how} by the client${midRequest ? ' mid-request' : ''}`,
    );
  }

  /** Milliseconds without traffic while nothing is in progress; 0 while a request is queued, handled or answered. */
  idleFor(now: number): number {
    if (this.closed || this.running || this.queue.length > 0 || this.waitingSends > 0 || this.cancelWait) return 0;
    return now - this.lastActivity;
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.lastActivity = Date.now();
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.parse();
  }

  private parse(): void {
    while (!this.closed && !this.cancelWait) {
      if (this.frameSize < 0) {
        if (this.buffered < 4) break;
        const size = this.take(4).readInt32BE(0);
        const limit = this.ctx.config.maxFrameBytes;
        if (size < 0 || size > limit) {
          const e = tlError('TL_BROKER_FRAME_TOO_LARGE', { size, peer: this.peer, limit });
          this.abort(e.message, e.code, 'INVALID_REQUEST');
          return;
        }
        this.frameSize = size;
        if (!this.pool.tryReserve(size)) {
          // Over the broker's budget: stop reading until this frame's bytes can be granted.
          this.cancelWait = this.pool.reserveLater(size, () => {
            this.cancelWait = null;
            this.reserved = size;
            this.flow();
            this.parse();
          });
          this.flow();
          return;
        }
        this.reserved = size;
      }
      if (this.frame === null) {
        if (this.buffered >= this.frameSize) {
          this.enqueue(this.take(this.frameSize));
          continue;
        }
        if (this.buffered === 0) break;
        this.frame =
          this.frameSize >= OWN_BUFFER_BYTES
            ? Buffer.allocUnsafeSlow(this.frameSize)
            : Buffer.allocUnsafe(this.frameSize);
        this.frameFill = 0;
      }
      while (this.frameFill < this.frameSize && this.chunks.length > 0) {
        const c = this.chunks[0];
        const part = Math.min(c.length, this.frameSize - this.frameFill);
        c.copy(this.frame, this.frameFill, 0, part);
        this.frameFill += part;
        this.buffered -= part;
        if (part === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(part);
      }
      if (this.frameFill < this.frameSize) break;
      const done = this.frame;
      this.frame = null;
      this.enqueue(done);
    }
    this.flow();
    if (!this.running && this.queue.length > 0) void this.drain();
  }

  private enqueue(bytes: Buffer): void {
    this.queue.push({ bytes, reserved: this.reserved });
    this.queuedBytes += bytes.length;
    this.reserved = 0;
    this.frameSize = -1;
  }

  /** Pauses the socket while waiting for memory or while too much waits to be handled; resumes otherwise. */
  private flow(): void {
    if (this.closed) return;
    const full = this.queue.length > MAX_QUEUED_FRAMES || this.queuedBytes > MAX_QUEUED_BYTES;
    const drained = this.queue.length < MAX_QUEUED_FRAMES / 4 && this.queuedBytes < MAX_QUEUED_BYTES / 4;
    if (this.cancelWait || full) {
      if (!this.paused) this.socket.pause();
      this.paused = true;
    } else if (this.paused && drained) {
      this.socket.resume();
      this.paused = false;
    }
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
        this.queuedBytes -= frame.bytes.length;
        this.flow();
        try {
          await this.handle(frame.bytes);
        } finally {
          this.pool.release(frame.reserved);
        }
        if (this.waitingSends > MAX_DEFERRED) await this.sendTail;
      }
    } finally {
      this.running = false;
      this.lastActivity = Date.now();
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
      this.clientId = header.clientId;
      this.lastApi = mod?.name ?? `api ${header.apiKey}`;
      if (!mod) {
        const e = tlError('TL_BROKER_UNKNOWN_API', { apiKey: header.apiKey, peer: this.peer });
        this.abort(e.message, e.code, 'UNSUPPORTED_VERSION');
        return;
      }
      if (header.apiVersion < mod.minVersion || header.apiVersion > mod.maxVersion) {
        if (header.apiKey === API_VERSIONS_KEY) {
          this.send(this.unsupportedApiVersions(header.correlationId));
        } else {
          const { apiVersion: version } = header;
          const e = tlError('TL_BROKER_UNSUPPORTED_VERSION', {
            api: mod.name,
            version,
            range: `${mod.minVersion}-${mod.maxVersion}`,
            peer: this.peer,
          });
          this.abort(e.message, e.code, 'UNSUPPORTED_VERSION');
        }
        return;
      }
      flexible = mod.flexibleVersion !== undefined && header.apiVersion >= mod.flexibleVersion;
      if (flexible) r.taggedFields();
      request = mod.decode(r, header.apiVersion);
    } catch (err) {
      if (!(err instanceof ProtocolError)) this.log.error({ err, peer: this.peer }, 'decoder failed');
      const e = tlError('TL_BROKER_BAD_FRAME', { peer: this.peer, reason: (err as Error).message });
      this.abort(e.message, e.code, 'INVALID_REQUEST');
      return;
    }

    try {
      const verdict = this.interceptor ? await this.interceptor(header, this) : undefined;
      if (verdict === 'close') return this.abort('closed by the test interceptor', 'TL_BROKER_TEST_HOOK', 'NONE');
      const result = await mod.handle(request, { broker: this.ctx, session: this, header });
      const deferred = result instanceof DeferredResponse ? result : undefined;
      const response = deferred ? deferred.response : result;
      if (verdict === 'close-after') {
        if (deferred) await deferred.ready.catch(() => {});
        return this.abort('closed by the test interceptor after handling', 'TL_BROKER_TEST_HOOK', 'NONE');
      }
      // Encoded when it may leave: a deferred response (Produce waiting for fsync) can still change until then.
      const encode = (): Buffer | null => {
        if (response === null || verdict === 'drop') return null;
        const w = new Writer(1024);
        const sizeAt = w.reserveInt32();
        w.int32(header.correlationId);
        // ApiVersions always answers with response header v0, so that any client can read it.
        if (flexible && header.apiKey !== API_VERSIONS_KEY) w.taggedFields();
        mod.encode(w, response, header.apiVersion);
        w.setInt32(sizeAt, w.offset - 4);
        return w.view();
      };
      this.sendInOrder(encode, deferred?.ready, mod.name);
    } catch (err) {
      this.log.error({ err, peer: this.peer, api: mod.name, version: header.apiVersion }, 'request failed');
      const e = tlError('TL_BROKER_REQUEST_FAILED', { api: mod.name, peer: this.peer, reason: (err as Error).message });
      this.abort(e.message, e.code, 'UNKNOWN_SERVER_ERROR');
    }
  }

  private unsupportedApiVersions(correlationId: number): Buffer {
    const w = new Writer();
    const sizeAt = w.reserveInt32();
    w.int32(correlationId).int16(KafkaError.UNSUPPORTED_VERSION);
    w.array(this.ctx.registry.ranges(), (x, a) => x.int16(a.apiKey).int16(a.minVersion).int16(a.maxVersion));
    w.setInt32(sizeAt, w.offset - 4);
    return w.view();
  }

  /** Sends now, unless a deferred response is still waiting: then behind it, keeping request order. */
  private sendInOrder(encode: () => Buffer | null, ready: Promise<unknown> | undefined, api: string): void {
    if (!ready && this.waitingSends === 0) {
      const bytes = encode();
      if (bytes) this.send(bytes);
      return;
    }
    this.waitingSends++;
    const prev = this.sendTail;
    this.sendTail = (async () => {
      await prev;
      try {
        if (ready) await ready;
        const bytes = encode();
        if (bytes) this.send(bytes);
      } catch (err) {
        this.log.error({ err, peer: this.peer, api }, 'deferred response failed');
        const e = tlError('TL_BROKER_REQUEST_FAILED', { api, peer: this.peer, reason: (err as Error).message });
        this.abort(e.message, e.code, 'UNKNOWN_SERVER_ERROR');
      } finally {
        this.waitingSends--;
      }
    })();
  }

  private send(bytes: Buffer): void {
    if (this.closed) return;
    this.lastActivity = Date.now();
    this.socket.write(bytes);
  }

  /**
   * Closes the connection, logging the ticklake code and the Kafka condition it amounts to (INVALID_REQUEST,
   * UNSUPPORTED_VERSION, UNKNOWN_SERVER_ERROR; NONE for a deliberate close such as an idle timeout).
   */
  abort(reason: string, code: ErrorCode, kafka: KafkaErrorName, level: 'warn' | 'debug' = 'warn'): void {
    if (this.closed) return;
    this.log[level]({ peer: this.peer, code, kafka }, `closing connection: ${reason}`);
    this.release();
    this.socket.destroy();
  }

  /** Gives back every reservation and buffer; idempotent (abort, socket close, server close). */
  private release(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelWait?.();
    this.cancelWait = null;
    if (this.reserved > 0) this.pool.release(this.reserved);
    this.reserved = 0;
    // Frames still queued are released here; the one being handled is released by drain().
    for (const f of this.queue) this.pool.release(f.reserved);
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.chunks = [];
    this.frame = null;
  }

  destroy(): void {
    this.release();
    this.socket.destroy();
  }
}
