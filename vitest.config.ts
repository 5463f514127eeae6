import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/test/**/*.test.ts'],
    exclude: ['node_modules/**', 'data/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Suites start real servers (broker, MariaDB, Chromium) and many wait on them (group rebalances, session
    // timeouts, child processes): three forks on two cores keep both busy (two left them idle in those waits, and
    // the suite took 10.7 min on an idle 2-core machine).
    pool: 'forks',
    poolOptions: { forks: { maxForks: 3, minForks: 1 } },
    reporters: ['default'],
  },
});
