/**
 * ticklake_duckdb_memory_bytes on a real GET /metrics: a tick state database (processors/ticks/state.ts) holding a
 * table of 1,000,000 BIGINTs — 8,000,000 bytes of values, by hand — shows at least that much under its name and the
 * tag IN_MEMORY_TABLE (a :memory: database keeps tables there), and nothing once the database is closed. One scrape
 * reads the databases' memory once for both gauges (memory and temp storage): counted by a wrapper around the real
 * duckDbMemory, which queries every open database once per call.
 */

import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { duckDbMemory, trackDuckDb, trackedDuckDbCount } from '../../core/duckdb-databases.js';
import { openState } from '../../processors/ticks/state.js';
import { duckdbMetrics } from '../duckdb-metrics.js';
import { MetricsRegistry } from '../registry.js';

function samples(text: string, database: string): Map<string, number> {
  const out = new Map<string, number>();
  const re = new RegExp(`^ticklake_duckdb_memory_bytes\\{database="${database}",tag="([A-Z_]+)"\\} (\\S+)$`, 'gm');
  for (const m of text.matchAll(re)) out.set(m[1], Number(m[2]));
  return out;
}

describe('DuckDB memory on /metrics', () => {
  const m = new MetricsRegistry({ processMetrics: false });
  duckdbMetrics(m);
  let closeState: (() => void) | undefined;
  afterAll(() => closeState?.());

  it('a database’s in-memory table is counted under its name, and a closed database disappears', async () => {
    const state = await openState(undefined, '256MB', 'metrics-test');
    closeState = () => state.instance.closeSync();
    await state.conn.run('create table big as select range::bigint as x from range(1000000)');
    const open = samples(await m.render(), 'metrics-test');
    expect(open.get('IN_MEMORY_TABLE')).toBeGreaterThanOrEqual(8_000_000);
    expect(open.get('IN_MEMORY_TABLE')).toBeLessThan(64_000_000); // bounded: the table, not the limit
    state.conn.closeSync();
    state.instance.closeSync();
    closeState = undefined;
    expect(samples(await m.render(), 'metrics-test').size).toBe(0);
  });

  it('one scrape reads every database’s memory once for both gauges', async () => {
    const counted = new MetricsRegistry({ processMetrics: false });
    let reads = 0;
    duckdbMetrics(counted, () => {
      reads++;
      return duckDbMemory();
    });
    const state = await openState(undefined, '256MB', 'metrics-count-test');
    try {
      await state.conn.run('create table t as select range::bigint as x from range(100000)');
      const text = await counted.render();
      expect(text).toContain('# TYPE ticklake_duckdb_temp_storage_bytes gauge');
      expect(samples(text, 'metrics-count-test').get('IN_MEMORY_TABLE')).toBeGreaterThanOrEqual(800_000);
      expect(reads).toBe(1);
      await counted.render();
      expect(reads).toBe(2); // the next scrape reads afresh
    } finally {
      state.conn.closeSync();
      state.instance.closeSync();
    }
  });

  it('a closed database leaves the registry when it is closed, with no scrape in between', async () => {
    const before = trackedDuckDbCount();
    for (let i = 0; i < 20; i++) {
      const instance = await DuckDBInstance.create(':memory:');
      trackDuckDb('closed-test', instance);
      trackDuckDb('closed-test', instance); // registering twice changes nothing
      instance.closeSync();
    }
    expect(trackedDuckDbCount()).toBe(before);
    const kept = await DuckDBInstance.create(':memory:');
    trackDuckDb('kept-test', kept);
    try {
      expect(trackedDuckDbCount()).toBe(before + 1);
      expect((await duckDbMemory()).every((x) => x.database !== 'closed-test')).toBe(true);
    } finally {
      kept.closeSync();
    }
    expect(trackedDuckDbCount()).toBe(before);
  });
});
