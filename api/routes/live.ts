/**
 * GET /api/live: the dashboard's Server-Sent Events stream (docs/dashboard.md). A client gets `snapshot` (recent
 * bars per symbol, NAV per portfolio, anomalies, health), then `bars`, `valuations` and `anomalies` with only what
 * is new, and `health` about every second; a `: ping` comment every 15 s keeps proxies from closing it.
 *
 * Every client shares the app's one poller (api/live/poller.ts), which runs only while someone listens. A client
 * that cannot keep up (more than 8 MB unsent) is dropped; the browser reconnects and starts from a snapshot.
 * Connections end when the app closes.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { type LiveEvent, type LiveOptions, LivePoller } from '../live/poller.js';
import { type LiveDataOptions, liveDataRoutes } from './live-data.js';

declare module 'fastify' {
  interface FastifyInstance {
    live: LivePoller;
  }
}

const HEARTBEAT_MS = 15_000;
const MAX_UNSENT = 8 * 1024 * 1024;

export function sseFrame(event: LiveEvent, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export async function liveRoutes(app: FastifyInstance, opts: LiveOptions & LiveDataOptions): Promise<void> {
  await app.register(liveDataRoutes, { seedsDir: opts.seedsDir });
  const poller = new LivePoller(
    app.lake,
    { timeoutMs: app.limits.timeoutMs, ...opts },
    app.log.child({ component: 'live' }),
  );
  app.decorate('live', poller);
  const open = new Set<ServerResponse>();

  app.addHook('preClose', async () => {
    for (const res of open) res.end();
    open.clear();
    await poller.close();
  });

  app.get(
    '/api/live',
    {
      schema: {
        summary: 'Live dashboard data as Server-Sent Events',
        description:
          'text/event-stream: `snapshot`, then `bars`, `valuations`, `anomalies` with what is new and `health` ' +
          'about every second (JSON data). See docs/dashboard.md.',
        tags: ['dashboard'],
      },
    },
    async (req, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'close', // the socket ends with the stream (no idle keep-alive holding up app.close)
        'x-accel-buffering': 'no',
      });
      res.write('retry: 2000\n\n');
      open.add(res);
      let unsubscribe: (() => void) | undefined;
      let closed = false;
      const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
      const cleanup = () => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        open.delete(res);
        unsubscribe?.();
        // a client that went away may have only half-closed its socket: end the response so the socket closes
        if (!res.writableEnded) res.end();
      };
      res.on('close', cleanup);
      req.raw.on('close', cleanup);
      const send = (event: LiveEvent, data: unknown) => {
        if (closed) return;
        if (res.writableLength > MAX_UNSENT) {
          req.log.warn('live client too slow; dropped');
          res.end();
          cleanup();
          return;
        }
        res.write(sseFrame(event, data));
      };
      unsubscribe = await poller.subscribe(send);
      if (closed) unsubscribe();
    },
  );
}

// not encapsulated (as fastify-plugin would do): `app.live` and the close hook belong to the app itself
(liveRoutes as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
