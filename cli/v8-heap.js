// Imported by bin.js before any work starts: V8 lets the old generation grow to about three times what survived its
// last full collection before it collects again (a growing factor it chooses between 1.1 and 4), and a ticklake
// process promotes a few MiB a second of short-lived objects (a batch's messages outlive two scavenges), so `start`'s
// heap swung between ~50 and ~200 MiB every minute. A fixed factor of 1.3 keeps it near what is live. Measured on
// `ticklake start` (2,000 ticks/s, 50 ms batches; three alternating 7-minute runs each, bench/HISTORY.md "Twenty-second
// stop"): RSS p90 398 against 465 MiB, peak 457 against 517, V8's heap p90 105 against 172, CPU 0.78 against 0.81
// cores (no cost seen: 74 full collections in 285 s instead of 18, 1 s of pauses instead of 0.25). The flag is read
// at each full collection, so setting it here, after V8 started, takes effect. A value given on node's command line
// (`node --heap-growing-percent=N cli/bin.js`) or in TICKLAKE_HEAP_GROWING_PERCENT (0: V8's own choice) wins.
import { setFlagsFromString } from 'node:v8';

const given = process.execArgv.some(
  (a) => a.startsWith('--heap-growing-percent') || a.startsWith('--heap_growing_percent'),
);
const percent = process.env.TICKLAKE_HEAP_GROWING_PERCENT ?? '30';
if (!/^\d+$/.test(percent)) {
  process.stderr.write(
    `ticklake: TICKLAKE_HEAP_GROWING_PERCENT=${percent}: expected a whole number of percent (30 by default; 0: V8's own choice)\n`,
  );
  process.exit(2);
}
if (!given && percent !== '0') setFlagsFromString(`--heap-growing-percent=${percent}`);
