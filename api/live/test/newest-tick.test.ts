/**
 * The newest tick from the newest files only: per Kafka partition the file with the highest last offset of the
 * newest date directory, plus files named otherwise (compacted); the answer equals max(ts) over the whole table.
 */
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeSession } from '../../../lake/session.js';
import { LakeFixture } from '../../../test/helpers/lake-fixture.js';
import { newestTick, newestTickFiles } from '../newest-tick.js';

let lake: LakeFixture;
let session: LakeSession;

const ticks = (rows: [string, number, number][]) =>
  `select * from (values ${rows
    .map(([ts, p, o]) => `('AAA', 'SE1', 'equity', timestamp '${ts}', 1.0, 1, ${p}, ${o})`)
    .join(', ')}) v(symbol, exchange, asset_class, ts, price, size, kafka_partition, kafka_offset)`;

beforeAll(async () => {
  lake = await LakeFixture.create();
  session = await LakeSession.open({ lakeDir: lake.dir });
});
afterAll(() => {
  session?.close();
  lake?.close();
});

describe('newestTick', () => {
  it('is null on an empty lake', async () => {
    expect(await newestTickFiles(lake.dir)).toEqual([]);
    expect(await newestTick(session, 5000)).toBeNull();
  });

  it('reads the newest file per partition of the newest date, and equals max(ts) over all ticks', async () => {
    await lake.write('ticks', { date: '2026-01-04' }, ticks([['2026-01-04 23:59:59', 0, 0]]), 'p0-0-0.parquet');
    await lake.write('ticks', { date: '2026-01-05' }, ticks([['2026-01-05 00:00:01', 0, 1]]), 'p0-1-9.parquet');
    // offsets 10..100 sort after 1..9 only as numbers
    await lake.write('ticks', { date: '2026-01-05' }, ticks([['2026-01-05 00:00:07', 0, 100]]), 'p0-10-100.parquet');
    await lake.write('ticks', { date: '2026-01-05' }, ticks([['2026-01-05 00:00:09', 1, 4]]), 'p1-0-4.parquet');
    await lake.write('ticks', { date: '2026-01-05' }, ticks([['2026-01-05 00:00:03', 2, 5]]), 'merged-p2.parquet');
    const files = (await newestTickFiles(lake.dir)).map((f) => basename(f)).sort();
    expect(files).toEqual(['merged-p2.parquet', 'p0-10-100.parquet', 'p1-0-4.parquet']);
    const [all] = await lake.rows(`select epoch_ms(max(ts)) as t from read_parquet('${lake.dir}/ticks/**/*.parquet')`);
    expect(await newestTick(session, 5000)).toBe(Number(all.t));
    expect(Number(all.t)).toBe(Date.UTC(2026, 0, 5, 0, 0, 9));
  });

  it('skips a newest date directory without files yet', async () => {
    await lake.write('ticks', { date: '2026-01-06' }, ticks([['2026-01-06 00:00:01', 0, 101]]), '.p0-101-101.tmp');
    expect(await newestTick(session, 5000)).toBe(Date.UTC(2026, 0, 5, 0, 0, 9));
  });
});
