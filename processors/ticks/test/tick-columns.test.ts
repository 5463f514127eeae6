import { DuckDBDataChunk, DuckDBDoubleType, type DuckDBDoubleVector, DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import {
  ATTACH_SCRATCH,
  batchTablesDdl,
  batchTicksDdl,
  batchTicksFor,
  fillDoubles,
  TickColumns,
} from '../tick-columns.js';

async function connection() {
  const conn = await (await DuckDBInstance.create(':memory:')).connect();
  for (const ddl of [ATTACH_SCRATCH, ...batchTablesDdl(0), ...batchTablesDdl(1), batchTicksDdl(0)]) await conn.run(ddl);
  return conn;
}

describe('TickColumns: a batch written as data chunks and read back through batch_ticks', () => {
  it('keeps every value, type, null and the row order, across chunk boundaries and batches', async () => {
    const conn = await connection();
    const symbols = ['AAPL', 'BTC/USD', 'ÉTÉ^1', 'X'];
    const n = 20_000; // ten chunks of at most 2,048 rows, in two appenders (16,384 rows each)
    const cols = new TickColumns();
    for (let i = 0; i < n; i++) {
      const offset = 2 ** 40 + i; // beyond 32 bits
      cols.pushIds(
        cols.intern(symbols[i % 4]),
        cols.intern(i % 2 ? 'SE2' : 'SE1'),
        cols.intern(i % 3 ? 'equity' : 'crypto'),
        1767225600000 + i * 7,
        100 + i / 8,
        i + 1,
        i % 3,
        offset,
        i % 5 === 0 ? undefined : i / 4,
      );
    }
    await cols.write(conn);
    const r = await conn.runAndReadAll(`SELECT symbol, exchange, asset_class, epoch_ms(ts)::VARCHAR, price, size,
        kafka_partition, kafka_offset::VARCHAR, prev_price, date::VARCHAR, typeof(ts), typeof(size),
        typeof(kafka_partition), typeof(kafka_offset) FROM batch_ticks`);
    const rows = r.getRowsJS();
    expect(rows).toHaveLength(n);
    for (const i of [0, 1, 2047, 2048, 2049, 4095, 4096, 4999, 16383, 16384, 16385, 19999]) {
      const ts = 1767225600000 + i * 7;
      expect(rows[i]).toEqual([
        symbols[i % 4],
        i % 2 ? 'SE2' : 'SE1',
        i % 3 ? 'equity' : 'crypto',
        String(ts),
        100 + i / 8,
        i + 1,
        i % 3,
        String(2 ** 40 + i),
        i % 5 === 0 ? null : i / 4,
        new Date(ts).toISOString().slice(0, 10),
        'TIMESTAMP',
        'DOUBLE',
        'INTEGER',
        'BIGINT',
      ]);
    }
    // every row in order, and a null prev_price exactly where none was given
    expect(rows.map((r) => r[7])).toEqual(Array.from({ length: n }, (_, i) => String(2 ** 40 + i)));
    expect(rows.flatMap((r, i) => (r[8] === null ? [i] : []))).toEqual(Array.from({ length: n / 5 }, (_, k) => k * 5));
    // the next batch replaces the previous one, dictionary included
    const next = new TickColumns();
    next.pushIds(next.intern('MSFT'), next.intern('SE9'), next.intern('forex'), 5, 1.5, 2, 1, 7, undefined);
    await next.write(conn);
    const again = await conn.runAndReadAll('SELECT symbol, exchange, asset_class, kafka_offset FROM batch_ticks');
    expect(again.getRowsJS()).toEqual([['MSFT', 'SE9', 'forex', 7n]]);
    // an empty batch leaves the view empty
    await new TickColumns().write(conn);
    expect((await conn.runAndReadAll('SELECT count(*) FROM batch_ticks')).getRowsJS()).toEqual([[0n]]);
    conn.closeSync();
  });
});

describe('fillDoubles: a column range into a DOUBLE vector', () => {
  it("copies the range into this @duckdb/node-api's vector in one step", () => {
    const v = DuckDBDataChunk.create([DuckDBDoubleType.instance], 3).getColumnVector(0) as DuckDBDoubleVector;
    fillDoubles(v, new Float64Array([9, 1.5, -2, 2 ** 53 - 1, 7]), 1, 3);
    expect([0, 1, 2].map((i) => v.getItem(i))).toEqual([1.5, -2, 2 ** 53 - 1]);
    // the one-step path relies on the vector's own Float64Array: a version without it takes the slow path below
    expect((v as unknown as { items: unknown }).items).toBeInstanceOf(Float64Array);
  });

  it('falls back to setItem per value on a vector without that array', () => {
    const set: [number, number | null][] = [];
    const fake = { setItem: (i: number, x: number | null) => set.push([i, x]) } as unknown as DuckDBDoubleVector;
    fillDoubles(fake, new Float64Array([9, 1.5, -2, 4]), 1, 2);
    expect(set).toEqual([
      [0, 1.5],
      [1, -2],
    ]);
  });
});

describe('batchTicksFor: the ticks-stage SQL pointed at one scratch slot', () => {
  it('renames every whole-word batch_ticks and nothing that merely contains it', () => {
    const sql = 'select t.*, batch_ticks.price from batch_ticks t join my_batch_ticks m using (x) join batch_ticks_x y';
    expect(batchTicksFor(sql, 1)).toBe(
      'select t.*, batch_ticks_1.price from batch_ticks_1 t join my_batch_ticks m using (x) join batch_ticks_x y',
    );
    expect(batchTicksFor('FROM batch_ticks\nWHERE 1', 0)).toBe('FROM batch_ticks_0\nWHERE 1');
  });
});
