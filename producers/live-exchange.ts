/**
 * A simulated exchange as a live market (the producers of `ticklake start`): the simulator's event time follows a
 * shared event clock that runs at wall-clock speed, so ticks arrive in real time; each exchange has its own kafkajs
 * producer and its own checkpoint file.
 *
 * Resume without gap or duplicate: the checkpoint (`<dir>/<exchange>.json`) holds the simulator's whole state
 * (event time, step, every symbol's log price and random stream) at a point where every tick produced before it has
 * been acknowledged by Kafka (acks=-1) and none after it has been sent. It is written after a graceful stop and
 * every few seconds while running (after waiting for the request in flight), and on a first start before anything
 * is sent (so that even a crash before the first periodic checkpoint keeps the exchange's identity). A restarted
 * exchange continues with the very next tick, and the shared clock restarts at the latest checkpointed event time,
 * so event time continues where it stopped rather than jumping to the wall clock (no hole in the bars). After a crash (SIGKILL) the ticks sent
 * since the last checkpoint are sent again (at-least-once), each with the identity it had the first time: the
 * exchange's `src` (drawn at its first start, kept in the checkpoint, tick-source.ts) and its `seq` (the simulator's
 * count of ticks produced, also in the checkpoint), so the processor counts each once (docs/messages.md,
 * "Identity"). A graceful stop (Ctrl-C) loses and repeats nothing.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { settingDefault } from '../core/config.js';
import { crashPoint } from '../core/crash-points.js';
import { logger } from '../core/log.js';
import { TickSender } from './sender.js';
import { Simulator, type SimulatorSnapshot } from './simulator.js';
import type { TickEncode } from './tick-encoding.js';
import { liveSource } from './tick-source.js';
import type { SymbolSpec } from './universe.js';

/** Event time that follows the wall clock from an anchor: `anchorEvent + (now − anchorWall)`. */
export class EventClock {
  constructor(
    readonly anchorEvent: number,
    private anchorWall: number = Date.now(),
    private readonly wall: () => number = Date.now,
  ) {}
  now(): number {
    return this.anchorEvent + (this.wall() - this.anchorWall);
  }
  /** Anchors the wall again: event time is `anchorEvent` now (live-market.ts, once every exchange is connected). */
  startNow(): void {
    this.anchorWall = this.wall();
  }
}

export interface ExchangeCheckpoint {
  v: 1;
  exchange: string;
  seed: string;
  tickIntervalMs: number;
  /** The ticks' `src`; absent in a checkpoint written before ticks had an identity (a new one is drawn). */
  src?: string;
  /** Ticks acknowledged over the exchange's whole life. */
  sent: number;
  sim: SimulatorSnapshot;
}

export interface LiveExchangeOptions {
  exchange: string;
  symbols: readonly SymbolSpec[];
  brokers: string[];
  topic: string;
  seed: string;
  tickIntervalMs: number;
  clock: EventClock;
  /** Directory of the checkpoint files. */
  checkpointDir: string;
  /** Ticks per produce request at most (a request also goes out whenever the exchange is caught up). */
  batchSize?: number;
  retries?: number;
  /** Checkpoint period while running, ms (default 2000). */
  checkpointEveryMs?: number;
  /**
   * `exact` (default): continue at the checkpoint's event time (every exchange restarts together, as in
   * `ticklake start`). `wall`: continue prices and random streams but jump event time to the clock, like a real feed
   * after an outage — for an exchange restarted on its own while others keep running, whose old event times would
   * otherwise all arrive late.
   */
  resume?: 'exact' | 'wall';
  /** Message values other than the JSON text (--format avro: producers/tick-encoding.ts). */
  encode?: TickEncode;
}

export interface LiveExchange {
  readonly exchange: string;
  /** Ticks acknowledged, over the exchange's whole life (survives restarts). */
  sent(): number;
  /** Event time of the last tick produced (null before any). */
  eventTime(): number | null;
  /** Resolves after a stop (close()) with everything sent and checkpointed; rejects when Kafka keeps failing. */
  done: Promise<void>;
  close(): Promise<void>;
}

export function checkpointFile(dir: string, exchange: string): string {
  return join(dir, `${exchange}.json`);
}

export async function readCheckpoint(dir: string, exchange: string): Promise<ExchangeCheckpoint | undefined> {
  try {
    const cp = JSON.parse(await readFile(checkpointFile(dir, exchange), 'utf8')) as ExchangeCheckpoint;
    return cp.v === 1 && cp.exchange === exchange ? cp : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Writes an exchange's checkpoint atomically (also the history backfill's hand-over to the live exchanges). */
export async function writeCheckpointFile(dir: string, cp: ExchangeCheckpoint): Promise<void> {
  const file = checkpointFile(dir, cp.exchange);
  const tmp = `${file}.tmp`;
  await writeFile(tmp, JSON.stringify(cp));
  await rename(tmp, file);
}

export async function startLiveExchange(opts: LiveExchangeOptions): Promise<LiveExchange> {
  return (await openLiveExchange(opts)).start();
}

/** An exchange connected to Kafka and restored from its checkpoint, not producing yet. */
export interface OpenLiveExchange {
  /** Starts producing what the clock has due (from its checkpoint on). */
  start(): LiveExchange;
  /** Disconnects without producing (another exchange of the market failed to open). */
  abort(): Promise<void>;
}

/** Connects and restores an exchange; `start()` begins its loop (live-market.ts opens every exchange first). */
export async function openLiveExchange(opts: LiveExchangeOptions): Promise<OpenLiveExchange> {
  const log = logger('exchange').child({ exchange: opts.exchange });
  await mkdir(opts.checkpointDir, { recursive: true });
  const previous = await readCheckpoint(opts.checkpointDir, opts.exchange);
  const src = previous?.src ?? liveSource(opts.exchange);
  const sim = new Simulator(opts.symbols, {
    seed: opts.seed,
    start: opts.clock.anchorEvent,
    tickIntervalMs: opts.tickIntervalMs,
    source: src,
  });
  let sentBefore = 0;
  if (previous) {
    if (opts.resume === 'wall' && previous.sim.ts < opts.clock.anchorEvent) {
      // next step at the clock: a gap in this exchange's event time, no late ticks
      sim.restore({ ...previous.sim, ts: opts.clock.anchorEvent - opts.tickIntervalMs, index: opts.symbols.length });
    } else sim.restore(previous.sim);
    sentBefore = previous.sent;
    log.info({ eventTime: new Date(previous.sim.ts).toISOString(), sent: previous.sent }, 'resuming');
  }
  const sender = await TickSender.connect({
    brokers: opts.brokers,
    topic: opts.topic,
    batchSize: opts.batchSize ?? settingDefault('batchSize'),
    retries: opts.retries ?? settingDefault('sendRetries'),
    clientId: `ticklake-exchange-${opts.exchange}`,
  });
  const checkpoint = () =>
    writeCheckpointFile(opts.checkpointDir, {
      v: 1,
      exchange: opts.exchange,
      seed: opts.seed,
      tickIntervalMs: opts.tickIntervalMs,
      src,
      sent: sentBefore + sender.acked,
      sim: sim.snapshot(),
    });
  // a first start stores its identity before it sends: a crash before the first periodic checkpoint then restarts
  // from here with the same src, and the ticks it sends again are the same identities (not new trades)
  if (!previous) await checkpoint();
  let stopping = false;
  let wake: (() => void) | undefined;
  let lastTs: number | null = previous ? previous.sim.ts : null;
  const every = opts.checkpointEveryMs ?? 2000;

  const loop = async () => {
    let lastCheckpoint = Date.now();
    while (!stopping) {
      const now = opts.clock.now();
      // everything due up to the event clock, in requests of at most batchSize
      while (!stopping && sim.upcomingTs <= now) {
        const m = sim.next();
        if (m === null) return;
        lastTs = sim.ts;
        if (sender.push(m.spec.symbol, opts.encode ? opts.encode(sim.tick()) : sim.encode())) await sender.flush();
      }
      await sender.flush();
      if (sender.acked > 0) crashPoint('exchange-sent');
      if (Date.now() - lastCheckpoint >= every) {
        // nothing queued and nothing in flight: the simulator state matches exactly what Kafka has
        await sender.settle();
        await checkpoint();
        lastCheckpoint = Date.now();
      }
      const wait = Math.min(250, Math.max(5, sim.upcomingTs - opts.clock.now()));
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, wait);
      });
      wake = undefined;
    }
  };

  const start = (): LiveExchange => {
    const done = loop().then(
      async () => {
        await sender.close();
        await checkpoint();
        log.info({ sent: sentBefore + sender.acked }, 'exchange stopped');
      },
      async (e) => {
        // keep the last good checkpoint: ticks after it may or may not be in Kafka
        await sender.abort();
        throw e;
      },
    );
    done.catch(() => {});
    return {
      exchange: opts.exchange,
      sent: () => sentBefore + sender.acked,
      eventTime: () => lastTs,
      done,
      close: async () => {
        stopping = true;
        wake?.();
        await done;
      },
    };
  };
  return { start, abort: () => sender.abort() };
}

/** The event time the shared clock of a (re)start begins at: the latest checkpoint, else now on a step boundary. */
export async function resumeEventTime(dir: string, exchanges: string[], intervalMs: number): Promise<number> {
  let latest: number | undefined;
  for (const x of exchanges) {
    const cp = await readCheckpoint(dir, x);
    if (cp && (latest === undefined || cp.sim.ts > latest)) latest = cp.sim.ts;
  }
  if (latest !== undefined) return latest;
  const now = Date.now();
  return now - (now % intervalMs);
}
