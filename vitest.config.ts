import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/test/**/*.test.ts'],
    exclude: ['node_modules/**', 'data/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // expect.poll gives up after 1 s by default: a page that loads its data in 1.2 s on a loaded machine (a suite
    // run beside a benchmark) failed page-framework.test.ts with "Matcher did not succeed in time"
    expect: { poll: { timeout: 15_000 } },
    // Suites start real servers (broker, MariaDB, Chromium) and many wait on them (group rebalances, session
    // timeouts, child processes): three forks on two cores keep both busy (two left them idle in those waits, and
    // the suite took 10.7 min on an idle 2-core machine).
    pool: 'forks',
    // A fork runs test file after test file without a fresh process and module graph for each (isolate: false): the
    // suite is bound by CPU (npm run bench:suite), and each file paid for a new fork and for loading DuckDB, kafkajs
    // and our modules again. Measured: the 23 core/ and lake/ files 73-86 against 87-101 CPU-s of the machine; the
    // whole suite 835 against 1,033 s (bench/HISTORY.md). Files share nothing else: no module mocks, no global
    // stubs, and each opens and closes what it uses. minForks = maxForks: with fewer, tinypool ends idle forks
    // mid-run and vitest 3 reports "Terminating worker thread" as an unhandled rejection (vitest-dev/vitest#8564).
    isolate: false,
    poolOptions: { forks: { maxForks: 3, minForks: 3 } },
    reporters: ['default'],
  },
});
