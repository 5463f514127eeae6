import { describe, expect, it } from 'vitest';
import { bindStreamParams, loadStreamFiles, parseStreamFile } from '../stream-sql.js';

const header = (extra = '') => `-- title: T\n-- stage: ticks\n-- output: anomalies\n${extra}`;

describe('stream SQL files', () => {
  it('loads the shipped files with their stages and parameters', () => {
    const files = loadStreamFiles().map((f) => [f.file.split('/').pop(), f.stage, f.output, f.params]);
    expect(files).toEqual([
      ['bars.sql', 'close', 'bars', []],
      ['price-anomalies.sql', 'ticks', 'anomalies', ['critical_threshold', 'spike_threshold']],
      ['valuations.sql', 'valuation', 'valuations', []],
      ['volume-spikes.sql', 'bars', 'anomalies', ['volume_spike_factor']],
    ]);
  });

  it('names the file and line of a bad header', () => {
    expect(() => parseStreamFile('x.sql', '-- title: T\n-- stage: hourly\n-- output: bars\nselect 1')).toThrow(
      /x\.sql:2: unknown stage "hourly"/,
    );
    expect(() => parseStreamFile('x.sql', '-- title: T\n-- stage: close\n-- output: anomalies\nselect 1')).toThrow(
      /x\.sql:3: stage close writes bars/,
    );
    expect(() => parseStreamFile('x.sql', '-- title: T\n-- output: bars\nselect 1')).toThrow(
      /x\.sql:1: missing "-- stage: \.\.\." in the header/,
    );
    expect(() => parseStreamFile('x.sql', header())).toThrow(/no statement/);
  });

  it('reads its header like every SQL file header (lake/sql-file-header.ts): blank lines before it, a continued description, a comment before the statement', () => {
    const f = parseStreamFile(
      'x.sql',
      '\n-- title: T\n-- description: One\n--   two.\n-- stage: close\n-- output: bars\n\n-- the bars\nselect 1;\n',
    );
    expect([f.title, f.description, f.stage, f.output, f.sql, f.line]).toEqual([
      'T',
      'One two.',
      'close',
      'bars',
      'select 1',
      9,
    ]);
  });

  it('refuses a key it does not know, a repeated key, and text that continues nothing, naming the line', () => {
    expect(() => parseStreamFile('x.sql', `${header()}-- stgae: close\nselect 1`)).toThrow(
      /x\.sql:4: unknown header "stgae" \(use title, description, stage, output\)/,
    );
    expect(() => parseStreamFile('x.sql', `${header()}-- stage: close\nselect 1`)).toThrow(
      /x\.sql:4: "stage" given twice/,
    );
    expect(() => parseStreamFile('x.sql', `${header()}-- a note\nselect 1`)).toThrow(
      /x\.sql:4: expected "key: value", got "a note"/,
    );
  });

  it('binds only the parameters a file uses, and refuses unknown ones', () => {
    const f = parseStreamFile('x.sql', header('select $spike_threshold as a, $spike_threshold as b'));
    expect(bindStreamParams(f, { spike_threshold: 0.03, critical_threshold: 0.08 })).toEqual({ spike_threshold: 0.03 });
    const g = parseStreamFile('y.sql', header('select $nope'));
    expect(() => bindStreamParams(g, { spike_threshold: 0.03 })).toThrow(/y\.sql.*\$nope is not offered/);
  });
});

describe('a new metric is a new SQL file', () => {
  it('a custom ticks-stage file adds its anomalies next to the shipped ones', async () => {
    const { mkdtemp, rm, readdir } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { ProcessorCore } = await import('../core.js');
    const { createSchema, openState } = await import('../state.js');
    const { parseWindows } = await import('../../time/windows.js');
    const bigTrades = parseStreamFile(
      'big-trades.sql',
      `-- title: Big trades
-- description: A tick of more than 1000 units.
-- stage: ticks
-- output: anomalies
select symbol, ts, 'BIG_TRADE' as kind, 'WARNING' as severity, null as "window", size::double as value,
  1000.0 as threshold, price, kafka_partition, kafka_offset
from batch_ticks where size > 1000`,
    );
    const lakeDir = await mkdtemp(join(tmpdir(), 'ticklake-custom-'));
    const state = await openState(undefined);
    await createSchema(state.conn);
    const windows = parseWindows('1m');
    const core = await ProcessorCore.open({
      state,
      lakeDir,
      windows,
      latenessMs: 5000,
      topic: 'ticks',
      partitionCount: 1,
      portfolios: [],
      holdings: [],
      streams: [...loadStreamFiles(), bigTrades],
    });
    const E = Date.UTC(2026, 0, 1);
    const tick = (i: number, price: number, size: number) => ({
      partition: 0,
      offset: i,
      key: 'X',
      value: JSON.stringify({ v: 1, symbol: 'X', exchange: 'EX', assetClass: 'equity', ts: E + i * 1000, price, size }),
    });
    // offset 1: +10 % (shipped SPIKE) and 5000 units (custom BIG_TRADE); offset 2: 2000 units, no price move
    const r = await core.submit([tick(0, 100, 10), tick(1, 110, 5000), tick(2, 110, 2000)]);
    expect(r?.anomalies).toBe(3);
    const rows = await state.conn.runAndReadAll('SELECT kind, kafka_offset::INTEGER FROM ob_anomalies ORDER BY 2, 1');
    expect(rows.getRowsJS()).toEqual([
      ['BIG_TRADE', 1],
      ['SPIKE', 1],
      ['BIG_TRADE', 2],
    ]);
    expect(await readdir(join(lakeDir, 'ticks', 'date=2026-01-01'))).toEqual(['p0-0-2.parquet']);
    state.conn.closeSync();
    await rm(lakeDir, { recursive: true, force: true });
  });
});

describe('a stream file that DuckDB cannot bind', () => {
  it('fails the batch with TL_SQL_FILE naming the file and the line of the bad column', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { ProcessorCore } = await import('../core.js');
    const { createSchema, openState } = await import('../state.js');
    const { parseWindows } = await import('../../time/windows.js');
    // line 6 names a column the output table does not have
    const extra = parseStreamFile(
      'sql/streams/extra.sql',
      `-- title: Extra column
-- stage: ticks
-- output: anomalies

select symbol, ts, 'X' as kind, 'WARNING' as severity, null as "window", price as value,
  0.0 as threshold, price, kafka_partition, kafka_offset, 42 as not_a_column
from batch_ticks`,
    );
    expect(extra.line).toBe(5);
    const lakeDir = await mkdtemp(join(tmpdir(), 'ticklake-bad-stream-'));
    const state = await openState(undefined);
    await createSchema(state.conn);
    const core = await ProcessorCore.open({
      state,
      lakeDir,
      windows: parseWindows('1m'),
      latenessMs: 5000,
      topic: 'ticks',
      partitionCount: 1,
      portfolios: [],
      holdings: [],
      streams: [extra],
    });
    const value = JSON.stringify({
      v: 1,
      symbol: 'X',
      exchange: 'EX',
      assetClass: 'equity',
      ts: 1e12,
      price: 1,
      size: 1,
    });
    await expect(core.submit([{ partition: 0, offset: 0, key: 'X', value }])).rejects.toThrow(
      /^sql\/streams\/extra\.sql:\d+: .*not_a_column/,
    );
    await expect(core.submit([{ partition: 0, offset: 0, key: 'X', value }])).rejects.toMatchObject({
      code: 'TL_SQL_FILE',
    });
    state.conn.closeSync();
    await rm(lakeDir, { recursive: true, force: true });
  });
});

describe('volume-spikes.sql: the mean of the previous 20 bars', () => {
  it('has the same bits whatever number of new bars the batch closes', async () => {
    // A bar's 20 previous bars are in bar_hist (the last 20 committed) or among the batch's new_bars. The same bar
    // closed alone (20 in bar_hist) or as the 13th of 13 new bars (8 in bar_hist, 12 new) must get the same mean:
    // DuckDB's windowed avg adds a frame through a segment tree whose nodes depend on where the frame sits in its
    // partition, and fractional volumes (sizes are DOUBLE) make the grouping show in the last bits.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const file = loadStreamFiles().find((f) => f.file.endsWith('volume-spikes.sql'));
    if (!file) throw new Error('volume-spikes.sql not found');
    const db = await (await DuckDBInstance.create(':memory:', { threads: '2' })).connect();
    const B0 = Date.UTC(2026, 0, 5);
    // 120 one-minute bars of one symbol, volumes with fractions that have no exact binary value
    const volumes = Array.from({ length: 120 }, (_, i) => ((i * 7919) % 1000) / 10 + 0.1 * (i % 7) + 1.3);
    const table = (name: string) =>
      db.run(`CREATE OR REPLACE TABLE ${name} (symbol VARCHAR, "window" VARCHAR, window_start TIMESTAMP,
        close DOUBLE, volume DOUBLE)`);
    const fill = async (name: string, from: number, to: number) => {
      await table(name);
      for (let i = from; i < to; i++) {
        await db.run(
          `INSERT INTO ${name} VALUES ('X', '1m', make_timestamp(${(B0 + i * 60_000) * 1000}), 1, ${volumes[i]})`,
        );
      }
    };
    // factor 0: every new bar with 20 previous ones is reported, with value = volume / mean of the previous 20
    const spikeValue = async (bar: number): Promise<number> => {
      const r = await db.runAndReadAll(
        `SELECT value FROM (${file.sql}) WHERE ts = make_timestamp(${(B0 + bar * 60_000) * 1000})`,
        bindStreamParams(file, { volume_spike_factor: 0 }),
      );
      return Number(r.getRowsJS()[0][0]);
    };
    const mismatches: string[] = [];
    for (let k = 40; k < 120; k++) {
      await fill('bar_hist', k - 20, k);
      await fill('new_bars', k, k + 1);
      const alone = await spikeValue(k);
      await fill('bar_hist', k - 32, k - 12);
      await fill('new_bars', k - 12, k + 1);
      const thirteenth = await spikeValue(k);
      // independent: the 20 volumes added one after the other in bar order
      let sum = 0;
      for (let i = k - 20; i < k; i++) sum += volumes[i];
      const expected = volumes[k] / (sum / 20);
      if (alone !== thirteenth || alone !== expected) mismatches.push(`bar ${k}: ${alone} ${thirteenth} ${expected}`);
    }
    db.closeSync();
    expect(mismatches).toEqual([]);
  });
});
