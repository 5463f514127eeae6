/**
 * One scheduler process of the race in exactly-once.test.ts: the real scheduler (openScheduler, then `start()`, the
 * loop `ticklake run` and `start` use) over a shared lake, on an injected clock that the test moves by rewriting a
 * file (epoch ms). Writes one JSON line to stdout per event, for the test to count:
 *
 *   {"ready": "<owner id>"}                          opened, waiting for the clock file
 *   {"ran": "<run id>", "status": "...", "owner": "<owner id>", "end": <interval end>}
 *   {"lost": "<job>", "end": <interval end>, "attempt": N}   a claim the other scheduler had taken first
 *
 * Runs until SIGTERM, then closes (waiting for the run in progress) and exits 0.
 *
 * Usage: node --import tsx race-child.ts <lake dir> <sql dir> <clock file>
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Claim } from '../claims.js';
import { openScheduler } from '../open.js';

const [lakeDir, sqlDir, clockFile] = process.argv.slice(2);
const say = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);

const s = await openScheduler({
  lakeDir,
  sqlDirs: [sqlDir],
  bundled: false,
  clock: () => Number(readFileSync(clockFile, 'utf8')),
  delayMs: 0,
  onRun: (_job, c) =>
    say({ ran: c.runId, status: c.outcome?.status, owner: c.owner.id, end: c.interval.end, attempt: c.attempt }),
});
const store = s.scheduler.store;
// count the claims lost to the other process (the scheduler skips them silently): evidence that the two raced
const tryClaim = store.tryClaim.bind(store);
store.tryClaim = async (fields): Promise<Claim | null> => {
  const c = await tryClaim(fields);
  if (!c) say({ lost: fields.job, end: fields.interval.end, attempt: fields.attempt });
  return c;
};
say({ ready: store.owner.id });

let stopping = false;
process.once('SIGTERM', () => {
  stopping = true;
  s.close().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`close failed: ${(e as Error).message}\n`);
      process.exit(1);
    },
  );
});
while (!existsSync(clockFile) && !stopping) await new Promise((r) => setTimeout(r, 20));
// tick at least every 50 ms: the injected clock jumps whenever the test rewrites the file
if (!stopping) s.scheduler.start(50);
// keep the process alive (the scheduler's timer is unref'd)
setInterval(() => {}, 1 << 30);
