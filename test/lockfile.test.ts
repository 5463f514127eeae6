import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

/**
 * `npm ci` refuses a lock without an entry for every optional dependency, including other platforms' binary
 * packages (DuckDB, biome, rollup), and this machine's registry cannot serve those, so `npm install` here drops
 * them from the lock. `.ci/fill-lock.py` adds them back; this test catches a lock that lost them again.
 */
it('package-lock.json has an entry for every optional dependency, so `npm ci` works on a fresh clone', () => {
  const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8')) as {
    packages: Record<string, { optionalDependencies?: Record<string, string> }>;
  };
  const missing: string[] = [];
  for (const [key, meta] of Object.entries(lock.packages)) {
    for (const name of Object.keys(meta.optionalDependencies ?? {})) {
      const nested = `${key ? `${key}/` : ''}node_modules/${name}`;
      if (!(nested in lock.packages) && !(`node_modules/${name}` in lock.packages)) missing.push(name);
    }
  }
  expect(missing, 'run: python3 .ci/fill-lock.py package-lock.json').toEqual([]);
});
