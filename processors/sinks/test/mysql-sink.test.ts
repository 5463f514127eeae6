import { readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTicklakeError } from '../../../core/errors.js';
import {
  createDatabase,
  queryMysql,
  startTestMysql,
  type TestMysql,
  testMysqlAvailable,
} from '../../../test/helpers/mysql.js';
import { MysqlSink } from '../mysql-sink.js';

const SEEDS = new URL('../../../sql/seeds/', import.meta.url);
/** Data lines of a seed CSV, split naively (the seed files have no quoted fields). */
const csv = (name: string) =>
  readFileSync(new URL(name, SEEDS), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0); // 2026-01-01 00:00:00.000 UTC
const MIN = 60_000;

function bar(symbol: string, window: string, startMs: number, close: number, volume: number) {
  return {
    symbol,
    window,
    window_start: startMs,
    window_end: startMs + MIN,
    open: 10,
    high: 12,
    low: 9,
    close,
    volume,
    notional: close * volume,
    vwap: close,
    trades: 3,
    trade_rate: 0.05,
    volatility: null,
    log_return: null,
  };
}

let my: TestMysql;
let url: string;
let sink: MysqlSink;

describe.skipIf(!testMysqlAvailable())('MysqlSink', () => {
  beforeAll(async () => {
    my = await startTestMysql();
    url = await createDatabase(my.url, 'sink_test');
    sink = await MysqlSink.connect(url);
  });
  afterAll(async () => {
    await sink?.close();
    await my?.close();
  });

  it('a wrong password or database is a configuration error naming the URL without its password', async () => {
    const wrongPassword = new URL(url);
    wrongPassword.password = 'not-the-password';
    const a = await MysqlSink.connect(wrongPassword.toString()).catch((e) => e);
    expect(a).toMatchObject({ code: 'TL_CONFIG_BAD_VALUE', retriable: false });
    expect(a.message).toContain(`Invalid value for --mysql-url: ${wrongPassword.host}/sink_test`);
    expect(a.message).toContain('ER_ACCESS_DENIED_ERROR');
    expect(a.message).not.toContain('not-the-password');
    const wrongDb = new URL(url);
    wrongDb.pathname = '/no_such_db';
    await expect(MysqlSink.connect(wrongDb.toString())).rejects.toMatchObject({
      code: 'TL_CONFIG_BAD_VALUE',
      message: expect.stringContaining('ER_BAD_DB_ERROR'),
    });
  });

  it('applies the migrations once and records them', async () => {
    const applied = await queryMysql(url, 'SELECT version, name, applied_at FROM schema_migrations ORDER BY version');
    expect(applied.map((r) => [r.version, r.name])).toEqual([
      [1, 'portfolios'],
      [2, 'results'],
      [3, 'nullable_nav_fractional_volume'],
    ]);
    const again = await MysqlSink.connect(url);
    await again.close();
    expect(await queryMysql(url, 'SELECT version, name, applied_at FROM schema_migrations ORDER BY version')).toEqual(
      applied,
    );
    const tables = await queryMysql<{ t: string }>(
      url,
      'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1',
    );
    expect(tables.map((r) => r.t).sort()).toEqual([
      'anomalies',
      'bars',
      'holdings',
      'investors',
      'portfolio_valuations',
      'portfolios',
      'schema_migrations',
    ]);
  });

  it('loads the seed files into investors, portfolios and holdings, idempotently, with foreign keys', async () => {
    const holdings = csv('holdings.csv');
    const expected = {
      investors: csv('investors.csv').length,
      portfolios: csv('portfolios.csv').length,
      holdings: holdings.length,
      quantity: holdings.reduce((s, h) => s + Number(h[2]), 0),
    };
    const counts = async () => {
      const [r] = await queryMysql<Record<string, number>>(
        url,
        `SELECT (SELECT COUNT(*) FROM investors) AS investors, (SELECT COUNT(*) FROM portfolios) AS portfolios,
                (SELECT COUNT(*) FROM holdings) AS holdings, (SELECT SUM(quantity) FROM holdings) AS quantity`,
      );
      return {
        investors: Number(r.investors),
        portfolios: Number(r.portfolios),
        holdings: Number(r.holdings),
        quantity: Number(r.quantity),
      };
    };
    expect(await counts()).toEqual(expected);
    (await MysqlSink.connect(url)).close();
    expect(await counts()).toEqual(expected);

    const [p11] = csv('portfolios.csv').filter((p) => p[0] === 'P11');
    expect(await queryMysql(url, "SELECT investor_id, name FROM portfolios WHERE portfolio_id = 'P11'")).toEqual([
      { investor_id: p11[1], name: p11[2] },
    ]);
    await expect(queryMysql(url, "INSERT INTO holdings VALUES ('NOPE', 'AAPL', 1)")).rejects.toThrow(/foreign key/i);

    // A holding removed from the files disappears from MySQL at the next start.
    const dir = await mkdtemp(join(tmpdir(), 'tl-seeds-'));
    try {
      await cp(new URL(SEEDS), dir, { recursive: true });
      const lines = readFileSync(join(dir, 'holdings.csv'), 'utf8').trim().split('\n');
      await writeFile(join(dir, 'holdings.csv'), `${lines.slice(0, -1).join('\n')}\n`);
      await (await MysqlSink.connect(url, { seedsDir: dir })).close();
      const last = holdings[holdings.length - 1];
      expect((await counts()).holdings).toBe(expected.holdings - 1);
      expect(await queryMysql(url, 'SELECT * FROM holdings WHERE portfolio_id = ? AND symbol = ?', last)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await (await MysqlSink.connect(url)).close();
    }
  });

  it('upserts bars idempotently: the same rows twice change nothing, a changed row is updated', async () => {
    const rows = [
      bar('AAPL', '1m', T0, 10.5, 300),
      bar('AAPL', '1m', T0 + MIN, 11, 100),
      bar('AAPL', '1d', T0, 11, 400),
    ];
    await sink.upsertBars(rows);
    await sink.upsertBars(rows);
    const read = () =>
      queryMysql(
        url,
        'SELECT symbol, `window`, window_start, window_end, close, volume, notional, volatility FROM bars ORDER BY `window` DESC, window_start',
      );
    expect(await read()).toEqual([
      {
        symbol: 'AAPL',
        window: '1m',
        window_start: '2026-01-01 00:00:00.000',
        window_end: '2026-01-01 00:01:00.000',
        close: 10.5,
        volume: 300,
        notional: 3150,
        volatility: null,
      },
      {
        symbol: 'AAPL',
        window: '1m',
        window_start: '2026-01-01 00:01:00.000',
        window_end: '2026-01-01 00:02:00.000',
        close: 11,
        volume: 100,
        notional: 1100,
        volatility: null,
      },
      {
        symbol: 'AAPL',
        window: '1d',
        window_start: '2026-01-01 00:00:00.000',
        window_end: '2026-01-01 00:01:00.000',
        close: 11,
        volume: 400,
        notional: 4400,
        volatility: null,
      },
    ]);
    await sink.upsertBars([{ ...bar('AAPL', '1m', T0 + MIN, 12.25, 100), volatility: 0.002 }]);
    const changed = await queryMysql(
      url,
      'SELECT close, volatility FROM bars WHERE `window` = ? AND window_start = ?',
      ['1m', '2026-01-01 00:01:00.000'],
    );
    expect(changed).toEqual([{ close: 12.25, volatility: 0.002 }]);
    expect(await sink.count('bars')).toBe(3);
  });

  it('keeps millisecond UTC timestamps exactly, whatever the server time zone', async () => {
    const ms = Date.UTC(2026, 5, 30, 23, 59, 59, 987);
    await sink.upsertBars([bar('TZ', '1m', ms, 1, 1)]);
    const [r] = await queryMysql(
      url,
      "SELECT window_start, UNIX_TIMESTAMP(window_start) * 1000 AS ms FROM bars WHERE symbol = 'TZ'",
    );
    expect(r.window_start).toBe('2026-06-30 23:59:59.987');
    expect(Number(r.ms)).toBe(ms);
    // The sink's pooled sessions run in UTC whatever the server default (+05:00 on the private test server).
    const pool = (sink as unknown as { pool: { query(sql: string): Promise<[{ tz: string }[]]> } }).pool;
    const [[session]] = await pool.query('SELECT @@session.time_zone AS tz');
    expect(session.tz).toBe('+00:00');
  });

  it('splits big batches into several statements within one transaction', async () => {
    const small = await MysqlSink.connect(url, { maxRowsPerStatement: 7, seeds: false });
    try {
      const rows = Array.from({ length: 100 }, (_, i) => bar('CHUNK', '1m', T0 + i * MIN, 1 + i, i + 1));
      await small.upsertBars(rows);
      // Independent: sum of 1..100 volumes = 5050, closes 1..100 sum to 5050 as well.
      expect(
        await queryMysql(
          url,
          "SELECT COUNT(*) AS n, SUM(volume) AS v, SUM(close) AS c FROM bars WHERE symbol = 'CHUNK'",
        ),
      ).toEqual([{ n: 100, v: 5050, c: 5050 }]);

      // A row MySQL refuses (symbol longer than VARCHAR(32)) in the last statement: the call is split until that
      // row is alone; it comes back with MySQL's reason, the 20 others are written.
      const long = bar('X'.repeat(40), '1m', T0, 1, 1);
      const bad = [...Array.from({ length: 20 }, (_, i) => bar('SPLIT', '1m', T0 + i * MIN, 1, 1)), long];
      const refused = await small.upsertBars(bad);
      expect(refused).toEqual([{ table: 'bars', row: long, reason: expect.stringMatching(/bars: .*too long/i) }]);
      expect(await queryMysql(url, "SELECT COUNT(*) AS n FROM bars WHERE symbol = 'SPLIT'")).toEqual([{ n: 20 }]);
    } finally {
      await small.close();
    }
  });

  it('returns a row it cannot convert, naming the table, row and column, and writes the others', async () => {
    const bad = [
      { ...bar('BAD', '1m', T0, 1, 1), trades: 1.5 },
      { ...bar('BAD', '1m', T0 + MIN, 1, 1), close: Number.NaN },
      { ...bar('BAD', '1m', T0 + 2 * MIN, 1, 1), symbol: undefined },
    ];
    const refused = await sink.upsertBars([bar('GOOD', '1m', T0, 1, 1), ...bad]);
    expect(refused.map((r) => [r.row, r.reason])).toEqual([
      [bad[0], expect.stringMatching(/bars: row 1: trades must be an integer, got 1.5/)],
      [bad[1], expect.stringMatching(/row 2: close must be a finite number/)],
      [bad[2], expect.stringMatching(/row 3: symbol is missing/)],
    ]);
    expect(
      await queryMysql(url, "SELECT symbol, COUNT(*) AS n FROM bars WHERE symbol IN ('GOOD', 'BAD') GROUP BY symbol"),
    ).toEqual([{ symbol: 'GOOD', n: 1 }]);
  });

  it('a table MySQL refuses as a whole fails the call: no row is taken for the culprit', async () => {
    const other = await createDatabase(my.url, 'sink_no_table');
    const s2 = await MysqlSink.connect(other, { seeds: false });
    try {
      await queryMysql(other, 'DROP TABLE bars');
      const err = await s2.upsertBars([bar('GONE', '1m', T0, 1, 1)]).catch((e) => e);
      expect(isTicklakeError(err, 'TL_MYSQL_WRITE')).toBe(true);
      expect(err.message).toMatch(/bars: ER_NO_SUCH_TABLE/);
    } finally {
      await s2.close();
    }
  });

  it("stores a tick anomaly's missing window as '' in the key, next to a bar anomaly at the same ts", async () => {
    const tick = {
      symbol: 'TSLA',
      ts: T0 + 1234,
      kind: 'SPIKE',
      severity: 'WARNING',
      window: null,
      value: 0.034,
      threshold: 0.03,
      price: 250.5,
      kafka_partition: 2,
      kafka_offset: 9_007_199_254_740_000,
    };
    const volume = {
      ...tick,
      kind: 'VOLUME_SPIKE',
      window: '1m',
      value: 6.2,
      threshold: 5,
      kafka_partition: null,
      kafka_offset: null,
    };
    await sink.upsertAnomalies([tick, volume]);
    await sink.upsertAnomalies([tick, { ...volume, severity: 'CRITICAL' }]);
    expect(
      await queryMysql(
        url,
        'SELECT kind, `window`, ts, severity, `value`, kafka_partition, kafka_offset FROM anomalies ORDER BY kind',
      ),
    ).toEqual([
      {
        kind: 'SPIKE',
        window: '',
        ts: '2026-01-01 00:00:01.234',
        severity: 'WARNING',
        value: 0.034,
        kafka_partition: 2,
        kafka_offset: 9007199254740000,
      },
      {
        kind: 'VOLUME_SPIKE',
        window: '1m',
        ts: '2026-01-01 00:00:01.234',
        severity: 'CRITICAL',
        value: 6.2,
        kafka_partition: null,
        kafka_offset: null,
      },
    ]);
  });

  it('upserts valuations, quoting the reserved words window and change', async () => {
    const v = (asOf: number, nav: number, change: number | null) => ({
      portfolio_id: 'P11',
      investor_id: 'Inv1',
      window: '1m',
      as_of: asOf,
      nav,
      change,
      change_pct: change === null ? null : (change / (nav - change)) * 100,
      positions: 4,
      missing_prices: 0,
    });
    await sink.upsertValuations([v(T0 + MIN, 1000, null), v(T0 + 2 * MIN, 1010, 10)]);
    await sink.upsertValuations([v(T0 + 2 * MIN, 1010, 10)]);
    expect(
      await queryMysql(
        url,
        'SELECT `window`, as_of, nav, `change`, change_pct FROM portfolio_valuations ORDER BY as_of',
      ),
    ).toEqual([
      { window: '1m', as_of: '2026-01-01 00:01:00.000', nav: 1000, change: null, change_pct: null },
      { window: '1m', as_of: '2026-01-01 00:02:00.000', nav: 1010, change: 10, change_pct: 1 },
    ]);
  });
});

describe.skipIf(!testMysqlAvailable() || Boolean(process.env.TICKLAKE_TEST_MYSQL_URL))(
  'MysqlSink during an outage',
  () => {
    let server: TestMysql;
    let db: string;
    beforeAll(async () => {
      server = await startTestMysql();
      db = await createDatabase(server.url, 'outage_test');
    });
    afterAll(async () => {
      await server?.close();
    });

    it('throws TL_MYSQL_UNAVAILABLE while the server is down and writes again once it is back', async () => {
      const s = await MysqlSink.connect(db, { connectTimeoutMs: 1000 });
      try {
        await s.upsertBars([bar('UP', '1m', T0, 1, 1)]);
        expect(await s.ping()).toBe(true);

        await server.stop();
        expect(await s.ping()).toBe(false);
        const err = await s.upsertBars([bar('DOWN', '1m', T0, 2, 2)]).catch((e) => e);
        expect(isTicklakeError(err, 'TL_MYSQL_UNAVAILABLE')).toBe(true);
        expect(err.retriable).toBe(true);
        expect(err.message).not.toContain('ticklake-test'); // no password in messages
        await expect(MysqlSink.connect(db, { connectTimeoutMs: 1000 })).rejects.toMatchObject({
          code: 'TL_MYSQL_UNAVAILABLE',
        });

        await server.start();
        await s.upsertBars([bar('DOWN', '1m', T0, 2, 2), bar('AFTER', '1m', T0, 3, 3)]);
        expect(await s.ping()).toBe(true);
        expect(await queryMysql(db, 'SELECT symbol, volume FROM bars ORDER BY close')).toEqual([
          { symbol: 'UP', volume: 1 },
          { symbol: 'DOWN', volume: 2 },
          { symbol: 'AFTER', volume: 3 },
        ]);
      } finally {
        await s.close();
      }
    });

    it('a server killed during a big upsert leaves all or none of its rows; the re-delivery completes it', async () => {
      const s = await MysqlSink.connect(db, { connectTimeoutMs: 1000, maxRowsPerStatement: 500, seeds: false });
      try {
        const rows = Array.from({ length: 20_000 }, (_, i) => bar('BIG', '1m', T0 + i * MIN, 1, 1));
        const pending = s.upsertBars(rows).then(
          () => 'written',
          (e) => (isTicklakeError(e, 'TL_MYSQL_UNAVAILABLE') ? 'unavailable' : e),
        );
        await server.stop();
        expect(['written', 'unavailable']).toContain(await pending);
        await server.start();
        const [{ n }] = await queryMysql<{ n: number }>(db, "SELECT COUNT(*) AS n FROM bars WHERE symbol = 'BIG'");
        expect([0, 20_000]).toContain(n);
        await s.upsertBars(rows);
        expect(await queryMysql(db, "SELECT COUNT(*) AS n, SUM(volume) AS v FROM bars WHERE symbol = 'BIG'")).toEqual([
          { n: 20_000, v: 20_000 },
        ]);
      } finally {
        await s.close();
      }
    });
  },
);
