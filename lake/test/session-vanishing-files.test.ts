/**
 * A lake session opened (or refreshed) while compaction deletes files (lake/session.ts `bindView`). DuckDB lists a
 * view's files when it binds it and then reads each footer; a file deleted in between failed the bind, and the
 * table was served empty: seen in cli/test/start-history.test.ts under load, where `ticklake report` printed "lake
 * table served empty for now" and then "could not switch view to the lake files" for `bars`. A query that came
 * between the two had read an empty table with nothing to say so.
 *
 * Here a deleter removes files one by one, between the compaction marks a real compaction writes
 * (lake/compact-epoch.ts), while the session binds ~1,000 files: the bind must wait for it and see every file
 * that is left, which a second DuckDB (the fixture's) counts independently.
 */
import { copyFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { markDeleting, markDone } from '../compact-epoch.js';
import { queryAll } from '../query.js';
import { LakeSession } from '../session.js';

const FILES = 1000;
const BAR = `select 'AAPL' as symbol, timestamp '2026-01-05 10:00:00' as window_start,
  timestamp '2026-01-05 10:01:00' as window_end, 1.0 as open, 2.0 as high, 0.5 as low, 1.5 as close, 10.0 as volume,
  15.0 as notional, 1.5 as vwap, 3 as trades, 0.05 as trade_rate, 0.1 as volatility, 0.01 as log_return`;

let lake: LakeFixture;
let session: LakeSession | undefined;
const barsDir = () => join(lake.dir, 'bars', 'window=1m', 'date=2026-01-05');

beforeEach(async () => {
  lake = await LakeFixture.create();
});
afterEach(() => {
  session?.close();
  session = undefined;
  lake.close();
});

/** FILES bar files of one row each (copies of one file under other names). */
async function writeBars(): Promise<void> {
  const first = await lake.write('bars', { window: '1m', date: '2026-01-05' }, BAR, 'f0000.parquet');
  for (let i = 1; i < FILES; i++) copyFileSync(first, join(barsDir(), `f${String(i).padStart(4, '0')}.parquet`));
}

/**
 * As compaction does: the mark `busy`, then files deleted (the last in name order first, one every 5 ms, for
 * `ms`), then `idle`. Resolves with how many it deleted.
 */
async function deleteWhileBinding(ms: number): Promise<number> {
  await markDeleting(lake.dir);
  const files = readdirSync(barsDir()).sort().reverse();
  let deleted = 0;
  const until = Date.now() + ms;
  while (Date.now() < until && deleted < files.length - 1) {
    rmSync(join(barsDir(), files[deleted++]));
    await sleep(5);
  }
  await markDone(lake.dir);
  return deleted;
}

/** The bar rows of the lake's files now, counted by the fixture's own DuckDB. */
async function barsOnDisk(): Promise<number> {
  const [r] = await lake.rows(`select count(*)::integer as n from read_parquet('${barsDir()}/*.parquet')`);
  return r.n as number;
}

describe('a lake session while compaction deletes files', () => {
  it('opening: waits for the deleter and binds the files that are left, not an empty table', async () => {
    await writeBars();
    const deleter = deleteWhileBinding(2000);
    session = await LakeSession.open({ lakeDir: lake.dir });
    const deleted = await deleter;
    expect(deleted).toBeGreaterThan(50); // the deleter really ran during the bind
    expect(session.isEmptyTable('bars')).toBe(false);
    const { rows } = await queryAll(session, 'select count(*)::integer from bars');
    expect(rows).toEqual([[await barsOnDisk()]]);
    expect(rows).toEqual([[FILES - deleted]]);
  });

  it('refreshing a table that had no files: binds them once the deleter is done', async () => {
    session = await LakeSession.open({ lakeDir: lake.dir });
    expect(session.isEmptyTable('bars')).toBe(true);
    await writeBars();
    const deleter = deleteWhileBinding(2000);
    await session.refresh();
    const deleted = await deleter;
    expect(deleted).toBeGreaterThan(50);
    expect(session.isEmptyTable('bars')).toBe(false);
    const { rows } = await queryAll(session, 'select count(*)::integer from bars');
    expect(rows).toEqual([[await barsOnDisk()]]);
  });
});
