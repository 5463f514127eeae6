/** The market's history made on the first `ticklake start` of a data dir (history/backfill.ts, docs/history.md). */
import type { Config } from '../../core/config.js';

/**
 * The history of the first start (history/backfill.ts), or what an earlier start made; returns the banner line.
 */
export async function makeHistory(
  config: Config,
  o: {
    dataDir: string;
    lakeDir: string;
    cpDir: string;
    ids: string[];
    universe: import('../../producers/universe.js').Universe;
    interval: number;
    brokers: string[];
    topic: string;
    encode?: import('../../producers/tick-encoding.js').TickEncode;
    say: (line: string) => void;
  },
): Promise<string> {
  const { backfill, needsBackfill, readBackfillMarker } = await import('../../history/backfill.js');
  const daily = config.num('history');
  const intraday = config.num('historyIntraday');
  const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '-');
  if (!needsBackfill(o.dataDir, o.cpDir, o.ids) || (daily === 0 && intraday === 0)) {
    const m = await readBackfillMarker(o.dataDir);
    return m
      ? `daily since ${day(m.dailyFrom ?? m.intradayFrom)}, made on the first start (docs/history.md)`
      : 'none made (--history 0, or this data dir started before history was made); docs/history.md';
  }
  o.say(`ticklake start: first start in ${o.dataDir}: making the market's history (--history, --history-intraday) ...`);
  const b = await backfill({
    dataDir: o.dataDir,
    lakeDir: o.lakeDir,
    checkpointDir: o.cpDir,
    universe: o.universe,
    seed: config.str('seed'),
    dailyMs: daily,
    intradayMs: intraday,
    liveIntervalMs: o.interval,
    brokers: o.brokers,
    topic: o.topic,
    encode: o.encode,
    thresholds: {
      spike: config.num('spikeThreshold'),
      critical: config.num('criticalThreshold'),
      volumeSpikeFactor: config.num('volumeSpikeFactor'),
    },
  });
  const parts = [
    b.dailyFrom ? `daily since ${day(b.dailyFrom)} (${b.daily?.files ?? 0} files)` : '',
    b.intradayFrom ? `intraday since ${b.intradayFrom.slice(0, 16)}Z (${b.intradayTicks} ticks, processing)` : '',
  ].filter(Boolean);
  return `${parts.join(', ')}; made in ${b.seconds.toFixed(1)} s on this first start`;
}
