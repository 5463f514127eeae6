/**
 * A small SQL directory and lake for the scheduler tests: one day (2026-03-02) of ticks, one every 10 minutes
 * (tick i at 00:00 + 10·i min; symbol B when i % 3 = 0, else A; price 100 + i % 7, except tick 33 at 05:30 whose
 * price is -1), a blocking check that fails on non-positive prices of its interval, a warn check that always fails,
 * and an hourly model counting ticks per symbol and interval.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';

export const DAY = Date.UTC(2026, 2, 2);
export const HOUR = 3_600_000;
export const BAD_TICK = 33;

export const MODEL = `-- title: Ticks per symbol and hour
-- description: Count of ticks per symbol in the interval.
-- schedule: hourly
-- param: interval_start timestamp optional Interval start
-- param: interval_end   timestamp optional Interval end
select symbol, count(*) as n
from ticks
where ts >= $interval_start and ts < $interval_end
group by symbol
`;

export const BLOCKING_CHECK = `-- title: Prices are positive
-- description: Ticks of the interval whose price is not positive.
-- schedule: hourly
-- severity: blocking
-- param: interval_start timestamp optional Interval start
-- param: interval_end   timestamp optional Interval end
select symbol, ts, price from ticks
where price <= 0 and ts >= $interval_start and ts < $interval_end
`;

export const WARN_CHECK = `-- title: Always warns
-- description: Fails on every run (at most one row), with severity warn: nothing waits for it.
-- schedule: hourly
-- severity: warn
select symbol from ticks limit 1
`;

/** The expected count of ticks per symbol in hour h (independent of the SQL: plain arithmetic). */
export function expectedCounts(h: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 6 * h; i < 6 * h + 6; i++) {
    const s = i % 3 === 0 ? 'B' : 'A';
    out[s] = (out[s] ?? 0) + 1;
  }
  return out;
}

export interface SchedFixture {
  lake: LakeFixture;
  sqlDir: string;
  close(): void;
}

export async function schedFixture(files: Record<string, string>): Promise<SchedFixture> {
  const lake = await LakeFixture.create();
  await lake.write(
    'ticks',
    { date: '2026-03-02' },
    `select case when i % 3 = 0 then 'B' else 'A' end as symbol, 'X' as exchange, 'equity' as asset_class,
            timestamp '2026-03-02' + to_minutes(i * 10) as ts,
            case when i = ${BAD_TICK} then -1 else 100 + i % 7 end as price, 1 as size, 0 as kafka_partition,
            i as kafka_offset
     from range(144) t(i)`,
  );
  const sqlDir = mkdtempSync(join(tmpdir(), 'ticklake-sql-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(sqlDir, path, '..'), { recursive: true });
    writeFileSync(join(sqlDir, path), text);
  }
  return {
    lake,
    sqlDir,
    close() {
      lake.close();
      rmSync(sqlDir, { recursive: true, force: true });
    },
  };
}
