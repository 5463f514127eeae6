/**
 * The simulated exchanges of `ticklake start` as one market: every exchange on one event clock, each with its own
 * kafkajs producer and checkpoint (live-exchange.ts).
 *
 * The exchanges share the topic's partitions (the key is the symbol), and the processor decides lateness per
 * partition: a tick is late for a window once another tick of its partition is `--lateness` past that window's end.
 * So no exchange may run ahead of another by more than the lateness. Connecting a producer can take seconds on a busy
 * machine; if the clock ran (and the exchanges connected first produced) while a later one connected, that one's
 * first ticks would come behind the others' by the whole connection time, late on every partition they share: whole
 * bars missing after every (re)start. Hence every exchange is connected and restored first, and only then does the
 * clock start (event time `anchorEvent` at that moment) and every exchange begin producing.
 */
import {
  EventClock,
  type LiveExchange,
  type LiveExchangeOptions,
  type OpenLiveExchange,
  openLiveExchange,
} from './live-exchange.js';
import type { SymbolSpec } from './universe.js';

export interface LiveMarketOptions extends Omit<LiveExchangeOptions, 'exchange' | 'symbols' | 'clock'> {
  exchanges: readonly { id: string; symbols: readonly SymbolSpec[] }[];
  /** Event time when the clock starts: the latest checkpoint's, else now on a step boundary (resumeEventTime). */
  anchorEvent: number;
  /** The wall clock (tests inject one). */
  wall?: () => number;
  /** Called once each exchange is connected (tests: a connection that takes a while). */
  afterConnect?: (exchange: string) => Promise<void> | void;
}

export interface LiveMarket {
  readonly clock: EventClock;
  /** In the order of `exchanges`. */
  readonly exchanges: LiveExchange[];
  /** Stops every exchange (all ticks produced are acknowledged and checkpointed). */
  close(): Promise<void>;
}

export async function startLiveMarket(opts: LiveMarketOptions): Promise<LiveMarket> {
  const { exchanges: specs, anchorEvent, wall = Date.now, afterConnect, ...common } = opts;
  const clock = new EventClock(anchorEvent, wall(), wall);
  const opened: OpenLiveExchange[] = [];
  try {
    for (const x of specs) {
      opened.push(await openLiveExchange({ ...common, exchange: x.id, symbols: x.symbols, clock }));
      await afterConnect?.(x.id);
    }
  } catch (e) {
    await Promise.all(opened.map((x) => x.abort()));
    throw e;
  }
  clock.startNow();
  const exchanges = opened.map((x) => x.start());
  return { clock, exchanges, close: async () => void (await Promise.all(exchanges.map((e) => e.close()))) };
}
