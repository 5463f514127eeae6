/**
 * The broker's TCP side: accepts connections (connection.ts does the framing, dispatch and ordering), shares one
 * MemoryPool among them (the maxInflightBytes budget), and closes connections idle for connectionsMaxIdleMs.
 *
 * Behaviour:
 * - Idle connections (no traffic, nothing queued, handled or waiting to be sent) are closed after
 *   connectionsMaxIdleMs, checked a few times per period (Kafka's connections.max.idle.ms; 0 = never).
 *   Clients reconnect when they need to, as they do with Kafka.
 */
import { createServer, type Server } from 'node:net';
import type { Logger } from '../core/log.js';
import { Connection, type Interceptor } from './connection.js';
import type { BrokerContext } from './context.js';
import { MemoryPool } from './memory-pool.js';

export type { Interceptor, Verdict } from './connection.js';

export class BrokerServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  readonly pool: MemoryPool;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: BrokerContext,
    private readonly log: Logger,
    interceptor?: Interceptor,
  ) {
    this.pool = new MemoryPool(ctx.config.maxInflightBytes);
    this.server = createServer((socket) => {
      const conn = new Connection(socket, ctx, this.pool, log, interceptor);
      this.connections.add(conn);
      socket.on('close', () => this.connections.delete(conn));
    });
    this.server.on('error', (err) => this.log.error({ err }, 'server error'));
    const idleMs = ctx.config.connectionsMaxIdleMs;
    if (idleMs > 0) {
      this.idleTimer = setInterval(() => this.closeIdle(), Math.max(50, Math.min(idleMs / 4, 10_000)));
      this.idleTimer.unref();
    }
  }

  private closeIdle(): void {
    const now = Date.now();
    const limit = this.ctx.config.connectionsMaxIdleMs;
    let closed = 0;
    for (const c of this.connections) {
      if (c.idleFor(now) > limit) {
        c.abort(`idle for more than ${limit} ms (connections.max.idle.ms)`, 'TL_BROKER_IDLE', 'NONE', 'debug');
        closed++;
      }
    }
    if (closed > 0) this.log.info({ closed, idleMs: limit }, 'closed idle connections');
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
    clearInterval(this.idleTimer);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) c.destroy();
    await closed;
  }

  get connectionCount(): number {
    return this.connections.size;
  }
}
