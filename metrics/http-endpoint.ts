/**
 * A bare `GET /metrics` endpoint for processes without the HTTP API (`ticklake process --metrics-port 9464`), so
 * that Prometheus scrapes the processor of a docker-compose deployment directly. Everything else is 404.
 */
import { createServer, type Server } from 'node:http';
import type { MetricsRegistry } from './registry.js';

export async function serveMetrics(
  m: MetricsRegistry,
  port: number,
  host = '0.0.0.0',
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    m.render().then(
      (text) => res.writeHead(200, { 'content-type': m.contentType }).end(text),
      (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${e.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
