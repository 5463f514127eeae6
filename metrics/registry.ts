/**
 * The one Prometheus registry of a ticklake process (prom-client; text format at GET /metrics, docs/metrics.md).
 * Components do not know about it: each `metrics/*-metrics.ts` file reads one component's own numbers (its stats()
 * or counters) when Prometheus scrapes, so a component's hot path pays nothing. Helpers here turn a component's
 * running totals into counters and its current values into gauges.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export type Labels = Record<string, string | number>;
export type Sample = [labels: Labels, value: number];
type Reader = () => Sample[] | Promise<Sample[]>;

export class MetricsRegistry {
  readonly registry = new Registry();
  /** Extra text appended to the exposition (the API's own HTTP metrics, api/plugins/metrics.ts). */
  private readonly extras: (() => string)[] = [];
  /** The reads shared within the one render() in progress (its async context), by oncePerScrape key. */
  private readonly scrape = new AsyncLocalStorage<Map<object, Promise<unknown>>>();

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'ticklake_' });
  }

  /** Readers per metric name: two components may feed one metric (ticklake_mysql_up{component}). */
  private readonly readers = new Map<string, Reader[]>();

  private readAll(name: string): Promise<Sample[]> {
    return Promise.all((this.readers.get(name) ?? []).map((r) => r())).then((x) => x.flat());
  }

  /** A counter whose value is a component's running total, read at scrape time. */
  counterFrom(name: string, help: string, labelNames: string[], read: Reader): void {
    if (this.addReader(name, read)) return;
    const all = () => this.readAll(name);
    new Counter({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        const samples = await all();
        this.reset();
        for (const [labels, v] of samples) if (Number.isFinite(v) && v >= 0) this.inc(labels, v);
      },
    });
  }

  /** A gauge read at scrape time; samples with a non-finite value are left out. */
  gaugeFrom(name: string, help: string, labelNames: string[], read: Reader): void {
    if (this.addReader(name, read)) return;
    const all = () => this.readAll(name);
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        const samples = await all();
        this.reset();
        for (const [labels, v] of samples) if (Number.isFinite(v)) this.set(labels, v);
      },
    });
  }

  /** True when the metric exists already (the reader is added to it). */
  private addReader(name: string, read: Reader): boolean {
    const have = this.readers.get(name);
    if (have) {
      have.push(read);
      return true;
    }
    this.readers.set(name, [read]);
    return false;
  }

  /**
   * A read that several metrics' readers share: within one render() it runs once, and every reader of that scrape
   * gets its result (ticklake_duckdb_memory_bytes and ..._temp_storage_bytes, one query of each database). Each
   * render reads afresh, overlapping renders each their own; called outside a render it simply reads.
   */
  oncePerScrape<T>(read: () => Promise<T>): () => Promise<T> {
    const key = {};
    return () => {
      const shared = this.scrape.getStore();
      if (!shared) return read();
      let p = shared.get(key) as Promise<T> | undefined;
      if (!p) {
        p = read();
        shared.set(key, p);
      }
      return p;
    };
  }

  addText(render: () => string): void {
    this.extras.push(render);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async render(): Promise<string> {
    const text = await this.scrape.run(new Map(), () => this.registry.metrics());
    return [text.trimEnd(), ...this.extras.map((r) => r().trimEnd())].filter(Boolean).join('\n') + '\n';
  }
}

/** One value as a labelless sample (none when undefined or null). */
export function one(v: number | null | undefined, labels: Labels = {}): Sample[] {
  return v === undefined || v === null ? [] : [[labels, v]];
}
