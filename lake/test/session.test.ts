import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { queryAll } from '../query.js';
import { LakeSession, printViews } from '../session.js';
import { LAKE_TABLES } from '../tables.js';
import { writeLakeFile } from '../writer.js';

let lake: LakeFixture;
let session: LakeSession;

const describeView = async (name: string) =>
  (await queryAll(session, `describe ${name}`)).rows.map((r) => `${r[0]} ${r[1]}`);

beforeAll(async () => {
  lake = await LakeFixture.create();
  session = await LakeSession.open({ lakeDir: lake.dir });
});
afterAll(() => {
  session?.close();
  lake?.close();
});

describe('lake session views', () => {
  it('a lake with no files: every table is an empty view of the contract columns, not an error', async () => {
    for (const t of LAKE_TABLES) {
      const expected = [...t.columns, ...t.partitions].map((c) => `${c.name} ${c.type}`);
      expect(await describeView(t.name)).toEqual(expected);
      expect((await queryAll(session, `select count(*) from ${t.name}`)).rows).toEqual([[0n]]);
    }
    expect((await queryAll(session, 'select count(*) from bars_1h')).rows).toEqual([[0n]]);
  });

  it('a file written after the session opened is visible to the next query, with the same columns', async () => {
    await lake.write(
      'ticks',
      { date: '2026-01-05' },
      `select 'AAPL' as symbol, 'SE1' as exchange, 'equity' as asset_class, timestamp '2026-01-05 10:00:00' as ts,
              187.5::double as price, 300::bigint as size, 0::integer as kafka_partition, 7::bigint as kafka_offset`,
    );
    const t = LAKE_TABLES.find((x) => x.name === 'ticks')!;
    expect(await describeView('ticks')).toEqual([...t.columns, ...t.partitions].map((c) => `${c.name} ${c.type}`));
    const { rows } = await queryAll(session, 'select symbol, price, size, date::varchar from ticks');
    expect(rows).toEqual([['AAPL', 187.5, 300, '2026-01-05']]);
    // a second file in another partition, written by an older writer without `exchange`: union_by_name fills null
    await lake.write(
      'ticks',
      { date: '2026-01-06' },
      `select 'MSFT' as symbol, 'equity' as asset_class, timestamp '2026-01-06 09:00:00' as ts, 415.0::double as price,
              100::bigint as size, 1::integer as kafka_partition, 3::bigint as kafka_offset`,
    );
    const all = await queryAll(session, 'select symbol, exchange, date::varchar from ticks order by ts');
    expect(all.rows).toEqual([
      ['AAPL', 'SE1', '2026-01-05'],
      ['MSFT', null, '2026-01-06'],
    ]);
  });

  it('bars carry the window from the path; bars_1h rolls 1m bars up with vwap = sum(notional)/sum(volume)', async () => {
    // two 1m bars in the 10:00 hour: 100 @ 10.0 (notional 1000) and 300 @ 11.0 (notional 3300)
    // vwap = 4300 / 400 = 10.75 (the mean of the two vwaps, 10.5, would be wrong)
    await lake.write(
      'bars',
      { window: '1m', date: '2026-01-05' },
      `select * from (values
         ('AAPL', timestamp '2026-01-05 10:00', timestamp '2026-01-05 10:01', 10.0, 10.5, 9.5, 10.2, 100::bigint, 1000.0, 10.0, 5::bigint, 5.0, 0.01, 0.02),
         ('AAPL', timestamp '2026-01-05 10:01', timestamp '2026-01-05 10:02', 10.2, 11.5, 10.1, 11.0, 300::bigint, 3300.0, 11.0, 7::bigint, 7.0, 0.01, 0.03)
       ) v(symbol, window_start, window_end, open, high, low, close, volume, notional, vwap, trades, trade_rate, volatility, log_return)`,
    );
    const bars = await queryAll(session, `select "window", count(*) from bars group by all`);
    expect(bars.rows).toEqual([['1m', 2n]]);
    const h = await queryAll(
      session,
      'select window_start::varchar, open, high, low, close, volume, vwap, realized_vol from bars_1h',
    );
    expect(h.rows).toHaveLength(1);
    const [start, open, high, low, close, volume, vwap, rv] = h.rows[0] as number[];
    expect([start, open, high, low, close, volume]).toEqual(['2026-01-05 10:00:00', 10.0, 11.5, 9.5, 11.0, 400]);
    expect(vwap).toBeCloseTo(10.75, 12);
    expect(rv).toBeCloseTo(Math.sqrt(0.02 ** 2 + 0.03 ** 2), 12);
  });

  it('views --print is plain SQL that the official DuckDB (here a plain instance) runs to the same rows', async () => {
    const sql = printViews(lake.dir);
    expect(sql).toContain('read_parquet(');
    const plain = await DuckDBInstance.create(':memory:');
    const c = await plain.connect();
    try {
      await c.run(sql);
      const a = (await c.runAndReadAll('select symbol, price from ticks order by ts')).getRows();
      const b = (await queryAll(session, 'select symbol, price from ticks order by ts')).rows;
      expect(a).toEqual(b);
      expect((await c.runAndReadAll('select count(*) from valuations')).getRows()).toEqual([[0n]]);
    } finally {
      c.closeSync();
      plain.closeSync();
    }
  });

  it('a table whose files all disappear reads as empty again instead of failing', async () => {
    const file = await lake.write(
      'rejected',
      { date: '2026-01-05' },
      `select 'ticks' as kafka_topic, 0 as kafka_partition, 9 as kafka_offset, timestamp '2026-01-05 10:00' as received_at,
              'value: not JSON' as reason, 'AAPL' as key, '{' as value`,
    );
    expect((await queryAll(session, 'select count(*) from rejected')).rows).toEqual([[1n]]);
    rmSync(file);
    expect((await queryAll(session, 'select count(*) from rejected')).rows).toEqual([[0n]]);
  });

  it('an unreadable first file of a table does not break the other tables', async () => {
    mkdirSync(join(lake.dir, 'late_ticks', 'date=2026-01-05'), { recursive: true });
    writeFileSync(join(lake.dir, 'late_ticks', 'date=2026-01-05', 'bad.parquet'), 'not parquet');
    expect((await queryAll(session, 'select count(*) from ticks')).rows).toEqual([[2n]]);
    expect((await queryAll(session, 'select count(*) from late_ticks')).rows).toEqual([[0n]]);
    rmSync(join(lake.dir, 'late_ticks'), { recursive: true });
  });

  it('files written by the lake writer (lake/writer.ts) read through the views, partition columns from the path', async () => {
    await writeLakeFile(lake.conn, {
      lakeDir: lake.dir,
      table: 'anomalies',
      partition: { date: '2026-01-09' },
      fileName: 'b42.parquet',
      query: `select 'MSFT' as symbol, timestamp '2026-01-09 12:00:00' as ts, 'SPIKE' as kind, 'WARNING' as severity,
                     null as "window", 0.04 as value, 0.03 as threshold, 400.0 as price, 1 as kafka_partition, 77 as kafka_offset`,
    });
    const r = await queryAll(session, 'select symbol, kind, value, kafka_offset, date::varchar from anomalies');
    expect(r.rows).toEqual([['MSFT', 'SPIKE', 0.04, 77n, '2026-01-09']]);
  });

  it('keeps no copy of the files it reads (a long-lived session would hold the lake up to its memory limit)', async () => {
    await lake.write(
      'ticks',
      { date: '2026-01-07' },
      `select 'S' || (i % 50) as symbol, 'SE1' as exchange, 'equity' as asset_class,
              timestamp '2026-01-07 10:00:00' + to_milliseconds(i) as ts, 100 + i % 7 as price, 1::bigint as size,
              0::integer as kafka_partition, i::bigint as kafka_offset
       from range(200000) t(i)`,
    );
    const count = await queryAll(session, "select count(*) from ticks where date = '2026-01-07'");
    expect(count.rows).toEqual([[200000n]]);
    await queryAll(session, "select symbol, avg(price) from ticks where date = '2026-01-07' group by symbol");
    // what DuckDB keeps between queries, by tag; a file read is not among it (the kernel's page cache holds it)
    const kept = await queryAll(
      session,
      "select tag, memory_usage_bytes from duckdb_memory() where tag = 'EXTERNAL_FILE_CACHE' and memory_usage_bytes > 0",
    );
    expect(kept.rows).toEqual([]);
  });

  it('a missing lake directory is TL_LAKE_NOT_FOUND', async () => {
    await expect(LakeSession.open({ lakeDir: `${lake.dir}/nope` })).rejects.toMatchObject({
      code: 'TL_LAKE_NOT_FOUND',
    });
  });
});

describe('views from --sql-dir directories', () => {
  let own: LakeFixture;
  let sqlDir: string;
  beforeAll(async () => {
    own = await LakeFixture.create();
    await own.write(
      'ticks',
      { date: '2026-01-05' },
      `select * from (values ('AAPL', 'SE1', 'equity', timestamp '2026-01-05 10:00:00', 10.0, 3::bigint, 0, 1::bigint),
                             ('MSFT', 'SE1', 'equity', timestamp '2026-01-05 10:00:01', 20.0, 4::bigint, 0, 2::bigint))
         v(symbol, exchange, asset_class, ts, price, size, kafka_partition, kafka_offset)`,
    );
    sqlDir = join(own.dir, '..', `${own.dir.split('/').pop()}-sql`);
    mkdirSync(join(sqlDir, 'views'), { recursive: true });
    // a new view reading another new view (created in the order that works, whatever the names)
    writeFileSync(join(sqlDir, 'views', 'a_big.sql'), 'create view a_big as select * from z_priced where price > 15;');
    writeFileSync(join(sqlDir, 'views', 'z_priced.sql'), 'create view z_priced as select symbol, price from ticks;');
    // a bundled view replaced by the user's file of the same name
    writeFileSync(join(sqlDir, 'views', 'bars_1h.sql'), 'create or replace view bars_1h as select 42 as answer;');
    // a broken one: an unknown column, on line 3
    writeFileSync(join(sqlDir, 'views', 'broken.sql'), '-- my view\ncreate view broken as\nselect nope from ticks;');
  });
  afterAll(() => {
    own?.close();
    rmSync(sqlDir, { recursive: true, force: true });
  });

  it('adds the user views, replaces a bundled one, and leaves a broken one out naming file:line', async () => {
    const s = await LakeSession.open({ lakeDir: own.dir, sqlDirs: [sqlDir] });
    try {
      expect((await queryAll(s, 'select symbol from a_big')).rows).toEqual([['MSFT']]);
      expect((await queryAll(s, 'select answer from bars_1h')).rows).toEqual([[42]]);
      expect(s.viewNames()).toContain('z_priced');
      expect(s.viewNames()).not.toContain('broken');
      expect(s.brokenViews.map((b) => [b.name, b.error.code])).toEqual([['broken', 'TL_SQL_FILE']]);
      expect(s.brokenViews[0].error.message).toMatch(/broken\.sql:3: Binder Error: Referenced column "nope" not found/);
      // the other views work
      expect((await queryAll(s, 'select count(*) from ticks')).rows).toEqual([[2n]]);
    } finally {
      s.close();
    }
    // views --print prints the same set
    const printed = printViews(own.dir, { sqlDirs: [sqlDir] });
    expect(printed).toContain('create view a_big as');
    expect(printed).toContain('select 42 as answer');
  });

  it('a lake table whose only file is damaged is served empty (not left out) until it can be read', async () => {
    mkdirSync(join(own.dir, 'anomalies', 'date=2026-01-05'), { recursive: true });
    writeFileSync(join(own.dir, 'anomalies', 'date=2026-01-05', 'bad.parquet'), 'not parquet');
    const s = await LakeSession.open({ lakeDir: own.dir });
    try {
      expect(s.brokenViews).toEqual([]);
      expect((await queryAll(s, 'select count(*) from anomalies')).rows).toEqual([[0n]]);
    } finally {
      s.close();
      rmSync(join(own.dir, 'anomalies'), { recursive: true });
    }
  });
});
