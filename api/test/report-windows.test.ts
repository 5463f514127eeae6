/**
 * Reports and the bar windows of the lake (issue 22, "a hidden contract"; docs/reports.md, "Windows"): a lake made
 * with `--windows 5m,1d` has no 1m bars, so a report over 1m bars (directly, or through the views bars_1h and
 * closes_daily) used to answer 200 with no rows. Now it is listed as unavailable and running it is 409
 * TL_SQL_WINDOW_MISSING naming the report, the window and the lake's windows; a report the 1d bars satisfy still
 * runs; a user's own report and view (--sql-dir) are held to their `-- requires_window:` lines; a line naming
 * something that is not a window is a broken file with its file:line. Through buildApp (inject) and through a real
 * `ticklake serve` process.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declaredLakeTables } from '../../processors/tables/lake-tables.js';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { writeSampleLake } from '../../test/helpers/sample-lake.js';
import { type ServeProcess, startServe } from '../../test/helpers/serve-process.js';
import { UserSqlDir } from '../../test/helpers/user-sql-dir.js';
import { QUARTER_VOLUME_CHECK, windowLake, writeWindowLake } from '../../test/helpers/window-lake.js';
import { buildApp } from '../app.js';

let lake: LakeFixture;
let sql: UserSqlDir;
let dir: string;
let app: FastifyInstance;
let serve: ServeProcess | undefined;

beforeAll(async () => {
  lake = await windowLake();
  sql = UserSqlDir.create('tl-windows-', ['views', 'reports', 'checks']);
  dir = sql.dir;
  sql.write('checks', 'quarter-volume', QUARTER_VOLUME_CHECK);
  sql.write(
    'reports',
    'five-minute-count',
    '-- title: 5m bars\n-- description: How many\n-- requires_window: 5m\nselect count(*) as n from bars where "window" = \'5m\';\n',
  );
  sql.write(
    'reports',
    'quarter-hours',
    "-- title: 15m bars\n-- description: How many\n-- requires_window: 15m | 30m\nselect count(*) as n from bars where \"window\" in ('15m', '30m');\n",
  );
  sql.write(
    'views',
    'quarter_bars',
    '-- The 15m bars.\n-- requires_window: 15m\ncreate or replace view quarter_bars as select * from bars where "window" = \'15m\';\n',
  );
  sql.write(
    'reports',
    'quarter-view',
    '-- title: Over a view\n-- description: Through the view quarter_bars\nselect count(*) as n from "quarter_bars";\n',
  );
  sql.write(
    'reports',
    'seven',
    '-- title: Seven\n-- description: Not a window\n-- requires_window: 1m | 7m\nselect 1 as one;\n',
  );
  // the declared keyed tables too, so that every bundled check can run (the retail ones read invoice_lines)
  app = await buildApp({ lakeDir: lake.dir, sqlDirs: [dir], tables: await declaredLakeTables([dir]) });
});
afterAll(async () => {
  await app?.close();
  await serve?.close();
  lake?.close();
  sql?.remove();
});

type Listed = { name: string; available: boolean; unavailable?: { code: string; message: string } };
const listing = async (a: { inject: FastifyInstance['inject'] } = app) => (await a.inject('/api/reports')).json();
const entry = (l: { reports: Listed[] }, name: string) => l.reports.find((r) => r.name === name) as Listed;

describe('a lake made with --windows 5m,1d', () => {
  it('lists the lake windows, and the reports needing 1m as unavailable, naming the window and the view', async () => {
    const l = await listing();
    expect(l.windows).toEqual(['5m', '1d']);
    const hourly = entry(l, 'hourly-kpis');
    expect(hourly.available).toBe(false);
    expect(hourly.unavailable).toEqual({
      code: 'TL_SQL_WINDOW_MISSING',
      message:
        'report hourly-kpis needs bars of window 1m (sql/views/bars_1h.sql:5 through view bars_1h); ' +
        'the lake has bars of 5m, 1d',
    });
    // a report over bars of any window: its window parameter; by default 1m, else the lake's shortest
    expect(entry(l, 'vwap-volatility')).toMatchObject({
      available: true,
      requires_window: [{ windows: [], param: 'window', file: 'sql/reports/vwap-volatility.sql', line: 9 }],
    });
    // satisfied by the daily bars, or needing no window at all
    for (const name of ['top-movers', 'daily-closes', 'symbol-risk', 'return-correlation', 'nav-monthly'])
      expect(entry(l, name).available, name).toBe(true);
    expect(entry(l, 'top-movers')).toMatchObject({
      requires_window: [{ windows: ['1m', '1d'], file: 'sql/reports/top-movers.sql', line: 7, via: [] }],
    });
    expect(entry(l, 'daily-closes')).toMatchObject({
      requires_window: [{ windows: ['1m', '1d'], file: 'sql/views/closes_daily.sql', via: ['closes_daily'] }],
    });
  });

  it('running a report that needs 1m is 409 naming it and the window, not an empty result', async () => {
    for (const [url, name, via] of [
      ['hourly-kpis', 'hourly-kpis', 'through view bars_1h'],
      ['vwap-volatility?window=1m', 'vwap-volatility', 'parameter window, sql/reports/vwap-volatility.sql:9'],
    ]) {
      const r = await app.inject(`/api/reports/${url}`);
      expect(r.statusCode, r.body).toBe(409);
      expect(r.json().error.code).toBe('TL_SQL_WINDOW_MISSING');
      expect(r.json().error.message).toContain(`report ${name} needs bars of window 1m`);
      expect(r.json().error.message).toContain(via);
      expect(r.json().error.message).toContain('the lake has bars of 5m, 1d');
    }
  });

  it('vwap-volatility runs over the window asked for, by default 1m, else the shortest in the lake (5m here)', async () => {
    // by hand from WINDOW_BARS: AAPL's two 5m bars, volume 10 each, notional 10 × close: (105 + 110) / 20
    const rows = (await app.inject('/api/reports/vwap-volatility')).json().rows;
    expect(rows.map((r: Record<string, unknown>) => [r.symbol, r.window, r.bars, r.vwap, r.volume])).toEqual([
      ['AAPL', '5m', 2, 10.75, 20],
    ]);
    const daily = (await app.inject('/api/reports/vwap-volatility?window=1d')).json().rows;
    // AAPL 1d: closes 11 and 12.1 → (110 + 121) / 20; MSFT 1d: (3800 + 3990) / 20
    expect(daily.map((r: Record<string, unknown>) => [r.symbol, r.window, r.bars])).toEqual([
      ['AAPL', '1d', 2],
      ['MSFT', '1d', 2],
    ]);
    expect(daily[0].vwap).toBeCloseTo(231 / 20, 12);
    expect(daily[1].vwap).toBeCloseTo(7790 / 20, 12);
  });

  it('a report the 1d bars satisfy still works (top-movers, daily-closes)', async () => {
    const movers = await app.inject('/api/reports/top-movers?day=2026-01-05');
    expect(movers.statusCode, movers.body).toBe(200);
    const rows = movers.json().rows as { symbol: string; open: number; close: number; change_pct: number }[];
    // by hand from WINDOW_BARS' 1d bars (test/helpers/window-lake.ts): AAPL 10 → 11 (+10 %), MSFT 400 → 380 (−5 %), largest move first
    expect(rows.map((r) => [r.symbol, r.open, r.close])).toEqual([
      ['AAPL', 10, 11],
      ['MSFT', 400, 380],
    ]);
    expect(rows[0].change_pct).toBeCloseTo(10, 9);
    expect(rows[1].change_pct).toBeCloseTo(-5, 9);
    const closes = (await app.inject('/api/reports/daily-closes?symbol=AAPL')).json().rows;
    expect(closes.map((r: { day: string; close: number }) => [r.day, r.close])).toEqual([
      ['2026-01-05', 11],
      ['2026-01-06', 12.1],
    ]);
    expect(closes[1].log_return).toBeCloseTo(Math.log(12.1 / 11), 12);
  });

  it("honours a user's own reports and views in --sql-dir", async () => {
    const l = await listing();
    expect(entry(l, 'five-minute-count').available).toBe(true);
    expect((await app.inject('/api/reports/five-minute-count')).json().rows).toEqual([{ n: 2 }]);
    expect(entry(l, 'quarter-hours').unavailable?.message).toMatch(
      /^report quarter-hours needs bars of window 15m or 30m \(.*reports\/quarter-hours\.sql:3\); the lake has bars of 5m, 1d$/,
    );
    const r = await app.inject('/api/reports/quarter-view');
    expect([r.statusCode, r.json().error.code]).toEqual([409, 'TL_SQL_WINDOW_MISSING']);
    expect(r.json().error.message).toMatch(
      /needs bars of window 15m \(.*views\/quarter_bars\.sql:2 through view quarter_bars\)/,
    );
  });

  it('a check needing a missing window: 409 by name, left out of a run of all and listed as unavailable', async () => {
    const list = (await app.inject('/api/checks')).json();
    expect(list.checks.find((c: Listed) => c.name === 'quarter-volume')).toMatchObject({
      available: false,
      unavailable: { code: 'TL_SQL_WINDOW_MISSING' },
    });
    expect(list.checks.find((c: Listed) => c.name === 'kpi-coverage').available).toBe(true); // 1d is there
    const one = await app.inject({ method: 'POST', url: '/api/checks/run', payload: { checks: ['quarter-volume'] } });
    expect([one.statusCode, one.json().error.code]).toEqual([409, 'TL_SQL_WINDOW_MISSING']);
    expect(one.json().error.message).toMatch(
      /^check quarter-volume needs bars of window 15m \(.*quarter-volume\.sql:3\)/,
    );
    const all = await app.inject({ method: 'POST', url: '/api/checks/run', payload: {} });
    expect(all.statusCode, all.body).toBe(200);
    const body = all.json();
    expect(body.checks.map((c: { name: string }) => c.name)).not.toContain('quarter-volume');
    expect(body.checks.map((c: { name: string }) => c.name)).toContain('ohlc-consistency');
    expect(body.unavailable).toEqual([
      {
        name: 'quarter-volume',
        title: '15m volume',
        code: 'TL_SQL_WINDOW_MISSING',
        message: expect.stringMatching(/the lake has bars of 5m, 1d$/),
      },
    ]);
  });

  it('a header naming something that is not a window is a broken file with file:line', async () => {
    const l = await listing();
    expect(l.reports.map((x: Listed) => x.name)).not.toContain('seven');
    expect(l.broken).toEqual([
      {
        name: 'seven',
        file: expect.stringMatching(/reports\/seven\.sql$/),
        line: 3,
        error: expect.stringMatching(
          /seven\.sql:3: requires_window: "7m" is not a window \(a window must divide a day/,
        ),
      },
    ]);
    const r = await app.inject('/api/reports/seven');
    expect([r.statusCode, r.json().error.code]).toEqual([500, 'TL_SQL_BAD_HEADER']);
  });

  it('the same over a real `ticklake serve` process', async () => {
    serve = await startServe(['--lake-dir', lake.dir, '--sql-dir', dir, '--no-schedule']);
    const base = serve.base;
    const list = (await (await fetch(`${base}/api/reports`)).json()) as { reports: Listed[] };
    expect(entry(list, 'hourly-kpis').available).toBe(false);
    const r = await fetch(`${base}/api/reports/hourly-kpis`);
    expect(r.status).toBe(409);
    expect(((await r.json()) as { error: { message: string } }).error.message).toContain(
      'report hourly-kpis needs bars of window 1m',
    );
    expect((await fetch(`${base}/api/reports/top-movers?day=2026-01-05`)).status).toBe(200);
  });
});

describe('vwap-volatility on a lake with 1m bars too', () => {
  it('keeps 1m as its default window (as before the parameter)', async () => {
    const both = await LakeFixture.create();
    await writeSampleLake(both);
    await writeWindowLake(both);
    const a = await buildApp({ lakeDir: both.dir });
    try {
      const rows = (await a.inject('/api/reports/vwap-volatility')).json().rows as Record<string, unknown>[];
      // sample-lake.ts BARS_1M: 6 AAPL and 5 MSFT 1m bars
      expect(rows.map((r) => [r.symbol, r.window, r.bars])).toEqual([
        ['AAPL', '1m', 6],
        ['MSFT', '1m', 5],
      ]);
    } finally {
      await a.close();
      both.close();
    }
  });
});

describe('the windows of the processor of the same process (ticklake start)', () => {
  it('count before their first bars are written', async () => {
    const empty = await LakeFixture.create();
    const started = await buildApp({ lakeDir: empty.dir, windows: ['10s', '1m'] });
    try {
      const l = await listing(started);
      expect(l.windows).toEqual(['10s', '1m']);
      expect(entry(l, 'hourly-kpis').available).toBe(true);
      expect((await started.inject('/api/reports/hourly-kpis')).statusCode).toBe(200);
      // an empty lake served without a processor: nothing is available that needs a window
      const bare = await buildApp({ lakeDir: empty.dir });
      try {
        const b = await listing(bare);
        expect(b.windows).toEqual([]);
        expect(entry(b, 'top-movers').unavailable?.message).toBe(
          'report top-movers needs bars of window 1m or 1d (sql/reports/top-movers.sql:7); the lake has bars of none',
        );
      } finally {
        await bare.close();
      }
    } finally {
      await started.close();
      empty.close();
    }
  });
});
