/**
 * The plan's rules, each broken one an error naming file:line, and the dependency graph from the SQL: producer edges,
 * a check gating what reads its tables, a check of a model's output running after it (a test), views expanded, CTEs
 * ignored, a run report after everything, and a cycle refused with its files.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../plan.js';
import { fireTimes, parseSchedule } from '../schedule.js';

let db: DuckDBInstance;
beforeAll(async () => {
  db = await DuckDBInstance.create(':memory:');
});
afterAll(() => db.closeSync());

const head = (extra: string) => `-- title: T\n-- description: D\n${extra}`;

async function plan(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'tl-plan-'));
  try {
    for (const [p, t] of Object.entries(files)) {
      mkdirSync(join(dir, p, '..'), { recursive: true });
      writeFileSync(join(dir, p), t);
    }
    const conn = await db.connect();
    try {
      return await loadPlan({ conn, sqlDirs: [dir], bundled: false });
    } finally {
      conn.closeSync();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const err = async (files: Record<string, string>) =>
  plan(files).then(
    () => 'no error',
    (e) => `${e.code} ${String(e.message).replace(/^.*?(models|checks|reports|tests)\//, '$1/')}`,
  );

describe('scheduler plan', () => {
  it('refuses bad files with file:line', async () => {
    expect(await err({ 'models/m.sql': head('select 1') })).toMatch(
      /^TL_SQL_BAD_HEADER models\/m.sql:1: a model needs a "-- schedule:" line/,
    );
    expect(await err({ 'models/m.sql': head('-- schedule: every hour\nselect 1') })).toBe(
      'TL_SQL_BAD_HEADER models/m.sql:3: schedule "every hour" is not hourly, daily or a cron expression of 5 (or 6) fields',
    );
    expect(await err({ 'models/m.sql': head('-- schedule: 61 * * * *\nselect 1') })).toMatch(
      /^TL_SQL_BAD_HEADER models\/m.sql:3: schedule "61 \* \* \* \*": /,
    );
    expect(await err({ 'models/ticks.sql': head('-- schedule: hourly\nselect 1') })).toBe(
      'TL_SQL_BAD_HEADER models/ticks.sql:1: "ticks" is a lake table or view; materialize into another name',
    );
    expect(await err({ 'reports/r.sql': head('-- materialize: out\nselect 1') })).toBe(
      'TL_SQL_BAD_HEADER reports/r.sql:3: materialize needs a "-- schedule:" line',
    );
    expect(await err({ 'reports/r.sql': head('-- schedule: hourly\n-- severity: warn\nselect 1') })).toBe(
      'TL_SQL_BAD_HEADER reports/r.sql:4: severity is for checks only',
    );
    expect(
      await err({ 'reports/r.sql': head('-- schedule: hourly\n-- param: day date required Day\nselect $day') }),
    ).toBe(
      'TL_SQL_BAD_HEADER reports/r.sql:4: param day is required, but a scheduled run has no value for it (make it optional with a default)',
    );
    expect(
      await err({
        'models/a.sql': head('-- schedule: hourly\nselect * from b'),
        'models/b.sql': head('-- schedule: hourly\nselect * from a'),
      }),
    ).toMatch(/^TL_SCHEDULE_CYCLE models\/a.sql, .*models\/b.sql$/);
  });

  it('orders jobs from what they read: producers, gates, tests, views, CTEs, run reports', async () => {
    const p = await plan({
      'checks/ticks-ok.sql': head('-- schedule: hourly\n-- severity: blocking\nselect * from ticks where price <= 0'),
      'models/stats.sql': head(
        '-- schedule: hourly\nwith ticks_cte as (select * from bars_1h) select * from ticks_cte',
      ),
      'models/joined.sql': head('-- schedule: hourly\nselect * from stats join ticks using (symbol)'),
      'tests/stats-ok.sql': head('-- schedule: hourly\nselect * from stats where volume < 0'),
      'models/report.sql': head('-- schedule: daily\nselect * from pipeline_runs'),
    });
    const ups = (j: string) => [...new Set((p.graph.upstream.get(j) ?? []).map((u) => `${u.job}:${u.via}`))].sort();
    // stats reads bars_1h, a view over bars: not gated by the ticks check, and the CTE name is no table
    expect([...(p.jobs.get('model.stats')?.reads ?? [])].sort()).toEqual(['bars', 'bars_1h']);
    expect(ups('model.stats')).toEqual([]);
    expect(ups('model.joined')).toEqual(['check.ticks-ok:gate', 'model.stats:reads', 'test.stats-ok:gate']);
    expect(ups('test.stats-ok')).toEqual(['model.stats:reads']);
    expect(ups('model.report')).toEqual(
      ['check.ticks-ok:runs', 'model.joined:runs', 'model.stats:runs', 'test.stats-ok:runs'].sort(),
    );
    expect(p.graph.order).toEqual(['check.ticks-ok', 'model.stats', 'test.stats-ok', 'model.joined', 'model.report']);
    expect(p.jobs.get('test.stats-ok')?.severity).toBe('error');
  });

  it('cuts time into data intervals ending at fire times, and bounds catch-up', () => {
    const s = parseSchedule('daily');
    const t = Date.UTC(2026, 0, 5, 10, 30);
    expect(new Date(s.latest(t)).toISOString()).toBe('2026-01-05T00:00:00.000Z');
    expect(s.intervalEndingAt(Date.UTC(2026, 0, 5))).toEqual({
      start: Date.UTC(2026, 0, 4),
      end: Date.UTC(2026, 0, 5),
    });
    const cron = parseSchedule('*/15 * * * *');
    const f = fireTimes(cron, Date.UTC(2026, 0, 5, 10, 0), Date.UTC(2026, 0, 5, 11, 0), 3);
    expect(f.times.map((x) => new Date(x).toISOString().slice(11, 16))).toEqual(['10:30', '10:45', '11:00']);
    expect([f.dropped, new Date(f.firstDropped ?? 0).toISOString().slice(11, 16)]).toEqual([1, '10:15']);
  });
});
