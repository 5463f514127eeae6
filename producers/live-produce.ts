/**
 * `ticklake produce --live`: simulated exchanges as live feeds for a deployment where each runs on its own (one
 * container per exchange in docker-compose.yml). Event time follows the wall clock (a step every --tick-interval);
 * each exchange checkpoints its state under `<data-dir>/exchanges/` and, when restarted, continues its prices and
 * random stream from there with event time jumping to the clock (`resume: 'wall'`): the outage shows as a gap in
 * that exchange's bars, like a real feed outage, instead of a burst of late ticks.
 */
import { join } from 'node:path';
import { EventClock, type LiveExchange, startLiveExchange } from './live-exchange.js';
import type { TickEncode } from './tick-encoding.js';
import type { ExchangeSpec } from './universe.js';

export interface LiveProduceOptions {
  brokers: string[];
  topic: string;
  exchanges: ExchangeSpec[];
  seed: string;
  tickIntervalMs: number;
  dataDir: string;
  batchSize: number;
  retries: number;
  signal: AbortSignal;
  out?: { write(s: string): boolean };
  encode?: TickEncode;
}

export async function runLiveProduce(opts: LiveProduceOptions): Promise<number> {
  const out = opts.out ?? process.stderr;
  const now = Date.now();
  const clock = new EventClock(now - (now % opts.tickIntervalMs));
  const checkpointDir = join(opts.dataDir, 'exchanges');
  const running: LiveExchange[] = [];
  try {
    for (const x of opts.exchanges) {
      running.push(
        await startLiveExchange({
          exchange: x.id,
          symbols: x.symbols,
          brokers: opts.brokers,
          topic: opts.topic,
          seed: opts.seed,
          tickIntervalMs: opts.tickIntervalMs,
          clock,
          checkpointDir,
          batchSize: opts.batchSize,
          retries: opts.retries,
          resume: 'wall',
          encode: opts.encode,
        }),
      );
    }
    const symbols = opts.exchanges.reduce((a, x) => a + x.symbols.length, 0);
    out.write(
      `produce live: ${opts.exchanges.map((x) => x.id).join('+')}, ${symbols} symbols, a step every ` +
        `${opts.tickIntervalMs} ms of wall time to ${opts.topic}; checkpoints in ${checkpointDir}\n`,
    );
    const failed = new Promise<never>((_, reject) => {
      for (const r of running) r.done.catch(reject);
    });
    const stopped = new Promise<void>((resolve) => {
      if (opts.signal.aborted) resolve();
      opts.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await Promise.race([stopped, failed]);
  } finally {
    await Promise.allSettled(running.map((r) => r.close()));
  }
  const sent = running.reduce((a, r) => a + r.sent(), 0);
  out.write(`produce live: stopped; ${sent} ticks sent in total, checkpoints written\n`);
  return 0;
}
