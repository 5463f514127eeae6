/**
 * One side of `npm run bench:scheduler-memory` (bench/scheduler-memory.bench.ts), in a process of its own so that its
 * resident memory is the scheduler's: `ticklake start`'s scheduler (the bundled SQL) ticking at the end of each hour
 * of the lake given, the resident memory and the tick's time printed after each tick as one JSON line.
 * `per-tick`: as ticklake runs it (a session opened by each tick that runs something); `kept`: one session held
 * across every tick, as before (scheduler/on-demand-session.ts).
 */
import { openScheduler } from '../scheduler/open.js';
import { procStatus } from '../test/helpers/serve-process.js';

const [lakeDir, hoursText, mode, startText] = process.argv.slice(2);
const HOURS = Number(hoursText);
const T0 = Date.parse(startText);
const HOUR = 3_600_000;

const s = await openScheduler({ lakeDir, catchUp: 1 });
const ticks = async () => {
  for (let h = 1; h <= HOURS; h++) {
    const t = performance.now();
    await s.scheduler.tick(T0 + h * HOUR + 30_000);
    const tickMs = performance.now() - t;
    await new Promise((r) => setTimeout(r, 1000));
    process.stdout.write(
      `${JSON.stringify({ hour: h, tickMs: Math.round(tickMs), rssMiB: Math.round((procStatus(process.pid)?.rss ?? 0) / 1048576) })}\n`,
    );
  }
};
if (mode === 'kept') await s.lake.hold(ticks);
else await ticks();
await s.close();
