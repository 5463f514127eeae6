/**
 * Test-only crash hook: `TICKLAKE_CRASH_AT=after-commit:3` makes the process kill itself with SIGKILL the third time
 * it passes the point `after-commit` (several points: comma-separated, e.g. `mid-batch:2,mid-delivery:5`).
 * The exactly-once tests use it to die at exact places: `mid-batch` (inside the state transaction, before COMMIT),
 * `after-commit` (state committed, nothing delivered yet), `mid-archive` (some tick files written, batch not committed), `mid-delivery` (some lake files written, the batch not
 * yet marked delivered), `after-lake` (lake marked, MySQL not yet). The broker's log cleaner has `cleaner-mid-write`,
 * `cleaner-before-swap`, `cleaner-mid-swap`, `cleaner-after-swap` and `cleaner-before-checkpoint` (broker/log/cleaner.ts).
 * A live exchange has `exchange-sent` (ticks acknowledged since its start, producers/live-exchange.ts).
 * Unset, it costs one map lookup.
 */
const targets = new Map<string, number>();
for (const part of (process.env.TICKLAKE_CRASH_AT ?? '').split(',')) {
  const m = /^\s*([a-z-]+):(\d+)\s*$/.exec(part);
  if (m) targets.set(m[1], Number(m[2]));
}
const seen = new Map<string, number>();

export function crashPoint(name: string): void {
  if (targets.size === 0) return;
  const n = (seen.get(name) ?? 0) + 1;
  seen.set(name, n);
  if (targets.get(name) === n) {
    process.stderr.write(`TICKLAKE_CRASH_AT: killing myself at ${name}:${n}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
