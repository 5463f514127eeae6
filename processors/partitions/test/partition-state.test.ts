/**
 * partition-state.ts: a partition's state read from one state database, through the JSON of a commit entry, into a
 * new one, is the same state bit for bit (the "no event time" watermark, doubles whose last bits matter, bar
 * timestamps), and the new database continues after the entry's sequence.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { createSchema, readMeta } from '../../ticks/state.js';
import { NO_WATERMARK } from '../../time/watermarks.js';
import { exportPartitionState, seedPartitionState } from '../partition-state.js';

const TABLES = {
  partitions: 'SELECT kafka_partition, next_offset, max_ts, watermark, buffered FROM partitions',
  last_tick: 'SELECT symbol, price FROM last_tick',
  seq_seen: 'SELECT src, symbol, seq FROM seq_seen',
  bar_hist: 'SELECT symbol, "window", window_start, close, volume FROM bar_hist',
};

describe('a partition state through a commit entry', () => {
  it('arrives in a new state database unchanged', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const from = await db.connect();
    await createSchema(from);
    await from.run(`INSERT INTO partitions VALUES (3, 1200, 1767225659999, 1767225654999, 17)`);
    await from.run(`INSERT INTO last_tick VALUES ('AAPL', 0.1 + 0.2), ('BTC-USD', 97012.125)`);
    await from.run(`INSERT INTO seq_seen VALUES ('nyse', 'AAPL', 9007199254740991), ('', 'BTC-USD', 7)`);
    await from.run(`INSERT INTO bar_hist VALUES ('AAPL', '1m', '2026-01-01 00:00:00.123', 1 / 3, 0.015),
      ('AAPL', '1d', '2026-01-01', 187.5, 1e9 + 0.5)`);
    const st = await exportPartitionState(from, 3, true);
    // a second partition that never had a tick: the engine's "no event time"
    const idle = await exportPartitionState(from, 4, false);
    expect([idle.nextOffset, idle.buffered, idle.watermark]).toEqual([0, 0, NO_WATERMARK]);

    const to = await (await DuckDBInstance.create(':memory:')).connect();
    await createSchema(to);
    await seedPartitionState(to, 41, JSON.parse(JSON.stringify(st)));
    for (const [t, sql] of Object.entries(TABLES)) {
      const a = (await from.runAndReadAll(`${sql} ORDER BY ALL`)).getRowsJS();
      const b = (await to.runAndReadAll(`${sql} ORDER BY ALL`)).getRowsJS();
      expect([t, b]).toEqual([t, a]);
    }
    expect(await readMeta(to, 'next_batch_id')).toBe('42');
    expect(await readMeta(to, 'flushed')).toBe('true');

    await from.run(`INSERT INTO partitions VALUES (5, 0, ${NO_WATERMARK}, ${NO_WATERMARK}, 0)`);
    const none = JSON.parse(JSON.stringify(await exportPartitionState(from, 5, false)));
    const to2 = await (await DuckDBInstance.create(':memory:')).connect();
    await createSchema(to2);
    await seedPartitionState(to2, 0, none);
    const row = (await to2.runAndReadAll('SELECT max_ts, watermark FROM partitions')).getRowsJS()[0];
    expect(row).toEqual([BigInt(NO_WATERMARK), BigInt(NO_WATERMARK)]);
  });
});
