/**
 * The scheduler's MySQL copy against a real MariaDB (test/helpers/mysql.ts): every run in `pipeline_runs` and each
 * interval's rows of a materialized model, equal to the lake's; an interval run again replaces its rows (no
 * duplicate); MySQL down (the server killed) does not stop the runs — the lake has them, the claims say `pending` —
 * and once it is back the next tick copies them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDatabase,
  queryMysql,
  startTestMysql,
  type TestMysql,
  testMysqlAvailable,
} from '../../test/helpers/mysql.js';
import { openScheduler } from '../open.js';
import { DAY, expectedCounts, HOUR, MODEL, type SchedFixture, schedFixture } from './fixtures.js';

let my: TestMysql;
let fx: SchedFixture;

describe.skipIf(!testMysqlAvailable())('scheduler → MySQL', () => {
  beforeAll(async () => {
    my = await startTestMysql();
    fx = await schedFixture({ 'models/hourly_counts.sql': MODEL });
  });
  afterAll(async () => {
    fx?.close();
    await my?.close();
  });

  it('copies runs and results, replaces a re-run interval, and catches up after an outage', async () => {
    const url = await createDatabase(my.url, 'scheduler_test');
    const s = await openScheduler({ lakeDir: fx.lake.dir, sqlDirs: [fx.sqlDir], bundled: false, mysqlUrl: url });
    try {
      for (let h = 1; h <= 3; h++) await s.scheduler.tick(DAY + h * HOUR + 1000);
      const counts = async () =>
        queryMysql<{ s: string; symbol: string; n: number }>(
          url,
          'SELECT DATE_FORMAT(interval_start, "%H") AS s, symbol, n FROM hourly_counts ORDER BY interval_start, symbol',
        );
      const byHour = (rows: { s: string; symbol: string; n: number }[], h: number) =>
        Object.fromEntries(rows.filter((r) => Number(r.s) === h).map((r) => [r.symbol, Number(r.n)]));
      let rows = await counts();
      for (const h of [0, 1, 2]) expect(byHour(rows, h), `hour ${h}`).toEqual(expectedCounts(h));
      const runs = await queryMysql<{ run_id: string; status: string }>(
        url,
        'SELECT run_id, status FROM pipeline_runs ORDER BY run_id',
      );
      expect(runs.map((r) => [r.run_id, r.status])).toEqual(
        [1, 2, 3].map((h) => [`model.hourly_counts@20260302T0${h}0000Z#1`, 'success']),
      );
      // a re-run of 01:00-02:00 replaces that interval's rows
      await s.scheduler.rerun('model.hourly_counts', DAY + 2 * HOUR);
      rows = await counts();
      expect(rows.length).toBe(6);
      expect(byHour(rows, 1)).toEqual(expectedCounts(1));
      // MySQL down: hours 3 and 4 still run (lake), their MySQL copy waits
      await my.stop();
      for (const h of [4, 5]) await s.scheduler.tick(DAY + h * HOUR + 1000);
      const lake = await fx.lake.rows(
        `select count(*)::int as n from read_parquet('${fx.lake.dir}/pipeline_runs/**/*.parquet') where status = 'success'`,
      );
      expect(lake[0].n).toBe(6);
      const pending = [];
      for (const e of await s.scheduler.store.intervalEnds('model.hourly_counts')) {
        for (const a of await s.scheduler.store.attempts('model.hourly_counts', e))
          if (a.claim.mysql === 'pending') pending.push(e);
      }
      expect(pending).toEqual([DAY + 4 * HOUR, DAY + 5 * HOUR]);
      expect(s.mysql?.up).toBe(false);
      // back: the next tick copies what waited
      await my.start();
      await s.scheduler.tick(DAY + 5 * HOUR + 2000);
      rows = await counts();
      for (const h of [0, 1, 2, 3, 4]) expect(byHour(rows, h), `hour ${h}`).toEqual(expectedCounts(h));
      expect(rows.length).toBe(10);
      const all = await queryMysql<{ n: number }>(
        url,
        "SELECT count(*) AS n FROM pipeline_runs WHERE status = 'success'",
      );
      expect(Number(all[0].n)).toBe(6);
      expect(s.mysql?.up).toBe(true);
    } finally {
      await s.close();
    }
  });
});
