import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tickFileName } from '../../../lake/tick-file-name.js';
import { removeOrphanTickFiles } from '../tick-archive.js';

describe('tick archive orphans', () => {
  let lake: string;
  beforeAll(async () => {
    lake = await mkdtemp(join(tmpdir(), 'ticklake-orphans-'));
  });
  afterAll(async () => {
    await rm(lake, { recursive: true, force: true });
  });

  it('removes exactly the files that start at or past the next offset of their partition', async () => {
    const day1 = join(lake, 'ticks', 'date=2026-01-01');
    const day2 = join(lake, 'ticks', 'date=2026-01-02');
    await mkdir(day1, { recursive: true });
    await mkdir(day2, { recursive: true });
    // partition 0 committed up to offset 100 (next = 101), partition 1 up to 49 (next = 50), partition 2 never
    const files = [
      [day1, tickFileName(0, 0, 100)], // committed
      [day2, tickFileName(0, 101, 180)], // uncommitted batch spanning midnight, day 2 part
      [day1, tickFileName(1, 0, 49)], // committed
      [day1, tickFileName(1, 50, 60)], // uncommitted
      [day1, tickFileName(2, 0, 5)], // uncommitted, partition never committed
      [day1, 'compacted-0001.parquet'], // not a batch file: left alone
    ];
    for (const [d, f] of files) await writeFile(join(d, f), 'x');
    const next = new Map([
      [0, 101],
      [1, 50],
    ]);
    const removed = await removeOrphanTickFiles(lake, (p) => next.get(p) ?? 0);
    expect(removed.map((p) => p.slice(lake.length)).sort()).toEqual(
      [
        '/ticks/date=2026-01-01/p1-50-60.parquet',
        '/ticks/date=2026-01-01/p2-0-5.parquet',
        '/ticks/date=2026-01-02/p0-101-180.parquet',
      ].sort(),
    );
    expect((await readdir(day1)).sort()).toEqual(['compacted-0001.parquet', 'p0-0-100.parquet', 'p1-0-49.parquet']);
  });

  it('does nothing when the lake has no ticks yet', async () => {
    expect(await removeOrphanTickFiles(join(lake, 'nothing-here'), () => 0)).toEqual([]);
  });
});
