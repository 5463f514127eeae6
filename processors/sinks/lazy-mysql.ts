/**
 * The MySQL sink, connected on first use and reconnected after a failure, so that a processor can start (and keep
 * feeding the lake) while MySQL is down. Every failure to reach the server is TL_MYSQL_UNAVAILABLE (retriable),
 * which delivery answers with backoff.
 */

import type { PortfolioSeeds } from '../../contracts/portfolio-seeds.js';
import { isTicklakeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { MysqlTarget } from './delivery.js';
import type { MysqlSink, RefusedRow } from './mysql-sink.js';

export class LazyMysql implements MysqlTarget {
  private sink: MysqlSink | undefined;

  constructor(
    private readonly url: string,
    /** Portfolio seeds loaded at connect; `false` for a sink that writes no tick results (the tables engine). */
    private readonly seeds: PortfolioSeeds | false,
    private readonly log: Logger,
    /** Longest one MySQL call may take (`--mysql-timeout`; default mysql-sink.ts DEFAULT_MYSQL_TIMEOUT_MS). */
    private readonly timeoutMs?: number,
  ) {}

  /** Connects now (migrations, seeds) so configuration errors surface at start; an unreachable server only warns. */
  async warmUp(): Promise<void> {
    try {
      await this.get();
    } catch (e) {
      if (!isTicklakeError(e) || !e.retriable) throw e;
      this.log.warn({ err: e.message }, 'MySQL unavailable at start: rows wait in the outbox until it is reachable');
    }
  }

  private async get(): Promise<MysqlSink> {
    if (this.sink) return this.sink;
    const { MysqlSink } = await import('./mysql-sink.js');
    this.sink = await MysqlSink.connect(this.url, {
      seeds: this.seeds,
      logger: this.log,
      queryTimeoutMs: this.timeoutMs,
    });
    return this.sink;
  }

  /**
   * Runs `fn` on the connected sink; a failure drops the pool so that the next call reconnects from scratch. Every
   * failure to reach the server surfaces as TL_MYSQL_UNAVAILABLE (retriable).
   */
  async call<T>(fn: (s: MysqlSink) => Promise<T>): Promise<T> {
    const s = await this.get();
    try {
      return await fn(s);
    } catch (e) {
      // drop the pool: the next attempt reconnects from scratch
      this.sink = undefined;
      await s.close().catch(() => {});
      throw e;
    }
  }

  upsertBars(rows: Record<string, unknown>[]): Promise<RefusedRow[]> {
    return rows.length ? this.call((s) => s.upsertBars(rows)) : Promise.resolve([]);
  }
  upsertAnomalies(rows: Record<string, unknown>[]): Promise<RefusedRow[]> {
    return rows.length ? this.call((s) => s.upsertAnomalies(rows)) : Promise.resolve([]);
  }
  upsertValuations(rows: Record<string, unknown>[]): Promise<RefusedRow[]> {
    return rows.length ? this.call((s) => s.upsertValuations(rows)) : Promise.resolve([]);
  }

  async close(): Promise<void> {
    await this.sink?.close();
    this.sink = undefined;
  }
}
