/**
 * One run of the first start's daily history (history/backfill.ts, no intraday part) into `<dir>/lake`, for
 * bench/history.bench.ts: `tsx bench/history-daily-run.ts DIR START_MS END_MS`.
 */
import { join } from 'node:path';
import { backfill } from '../history/backfill.js';
import { loadUniverse } from '../producers/universe.js';

const [dir, start, end] = process.argv.slice(2);
const universe = await loadUniverse();
await backfill({
  dataDir: dir,
  lakeDir: join(dir, 'lake'),
  checkpointDir: join(dir, 'exchanges'),
  universe,
  seed: '1',
  dailyMs: Number(end) - Number(start),
  intradayMs: 0,
  liveIntervalMs: 290,
  brokers: [],
  topic: 'ticks',
  thresholds: { spike: 0.03, critical: 0.08, volumeSpikeFactor: 5 },
  now: () => Number(end) + 1,
});
