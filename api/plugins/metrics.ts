/**
 * Prometheus metrics kept in process (text exposition format 0.0.4 at GET /metrics):
 * - `ticklake_http_requests_total{method,route,status}`
 * - `ticklake_http_request_duration_seconds{method,route}` histogram
 * - `ticklake_query_errors_total{code}`: failed queries, reports and checks by error code (TL_SQL_*, bad params)
 * Labels use the route pattern (`/api/reports/:name`), never the raw URL, so their number stays bounded.
 */
import type { FastifyInstance } from 'fastify';
import type { TicklakeError } from '../../core/errors.js';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly durations = new Map<string, Histogram>();
  private readonly queryErrors = new Map<string, number>();

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `method="${method}",route="${esc(route)}"`;
    const rk = `${key},status="${status}"`;
    this.requests.set(rk, (this.requests.get(rk) ?? 0) + 1);
    const h = this.durations.get(key) ?? { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) h.counts[i]++;
    });
    h.sum += seconds;
    h.count++;
    this.durations.set(key, h);
  }

  queryError(code: string): void {
    this.queryErrors.set(code, (this.queryErrors.get(code) ?? 0) + 1);
  }

  render(): string {
    const lines = [
      '# HELP ticklake_http_requests_total HTTP requests by method, route and status.',
      '# TYPE ticklake_http_requests_total counter',
      ...[...this.requests].map(([k, v]) => `ticklake_http_requests_total{${k}} ${v}`),
      '# HELP ticklake_http_request_duration_seconds HTTP request latency.',
      '# TYPE ticklake_http_request_duration_seconds histogram',
    ];
    for (const [k, h] of this.durations) {
      for (const [i, b] of BUCKETS.entries()) {
        lines.push(`ticklake_http_request_duration_seconds_bucket{${k},le="${b}"} ${h.counts[i]}`);
      }
      lines.push(`ticklake_http_request_duration_seconds_bucket{${k},le="+Inf"} ${h.count}`);
      lines.push(`ticklake_http_request_duration_seconds_sum{${k}} ${h.sum}`);
      lines.push(`ticklake_http_request_duration_seconds_count{${k}} ${h.count}`);
    }
    lines.push(
      '# HELP ticklake_query_errors_total Failed queries, reports and checks by error code.',
      '# TYPE ticklake_query_errors_total counter',
      ...[...this.queryErrors].map(([k, v]) => `ticklake_query_errors_total{code="${k}"} ${v}`),
    );
    return `${lines.join('\n')}\n`;
  }
}

function esc(s: string): string {
  return s.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

const START = Symbol('start');

export function metricsPlugin(app: FastifyInstance): Metrics {
  const m = new Metrics();
  app.decorate('metrics', m);
  app.addHook('onRequest', async (req) => {
    (req as unknown as Record<symbol, bigint>)[START] = process.hrtime.bigint();
  });
  app.addHook('onResponse', async (req, reply) => {
    const start = (req as unknown as Record<symbol, bigint>)[START];
    const seconds = start ? Number(process.hrtime.bigint() - start) / 1e9 : 0;
    m.observe(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, seconds);
  });
  return m;
}

/** Counts errors that come from running SQL or binding its parameters. */
export function isQueryError(e: TicklakeError): boolean {
  return e.code.startsWith('TL_SQL_') || e.code === 'TL_API_BAD_PARAM';
}
