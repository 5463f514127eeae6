/**
 * A lost or mistyped --state-dir (issue 21 item 4): a processor whose state is new used to process the whole topic
 * again into the existing lake (every tick and bar twice, result files overwritten as batch ids restarted at 1, exit
 * 0). Now it refuses with TL_LAKE_NOT_EMPTY, naming the state, the lake and a file that shows it, and leaves the lake
 * as it was; a new state over an empty lake, or over a lake holding only files others wrote, still starts.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../../broker/index.js';
import { produceAll, runTicklake } from '../../../test/helpers/processor-run.js';
import { seededRun } from './fixtures.js';

/** Every file under `dir` with its size, sorted. */
async function listing(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length))
    .sort();
}

describe('a new state over a lake a processor already wrote', () => {
  let dir: string;
  let broker: RunningBroker;
  // the tick engine alone (--sources ticks): the keyed-table engine's state has its own test
  const base = () => [
    'process',
    '--brokers',
    broker.address,
    '--until-idle',
    '--sources',
    'ticks',
    '--lake-dir',
    join(dir, 'lake'),
  ];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-lost-state-'));
    let run: Awaited<ReturnType<typeof seededRun>>;
    [broker, run] = await Promise.all([
      startBroker({ dataDir: join(dir, 'broker'), port: 0, defaultPartitions: 3, groupInitialRebalanceDelayMs: 0 }),
      seededRun(10),
    ]);
    await produceAll([broker.address], 'ticks', run.log.messages);
    const first = await runTicklake([...base(), '--state-dir', join(dir, 'state')]);
    expect(first.code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await broker?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is refused with TL_LAKE_NOT_EMPTY naming the state, the lake and a file, and the lake is left as it was', async () => {
    const before = await listing(join(dir, 'lake'));
    expect(before.some((f) => /\/ticks\/date=[\d-]+\/p\d+-\d+-\d+\.parquet$/.test(f))).toBe(true);
    const run = await runTicklake([...base(), '--state-dir', join(dir, 'mistyped'), '--group', 'other'], {}, 30_000);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`The state ${join(dir, 'mistyped', 'processor.duckdb')} is new, but the lake`);
    expect(run.stderr).toMatch(/already holds the output of a processor \(.*\.parquet\).*\[TL_LAKE_NOT_EMPTY\]/s);
    expect(await listing(join(dir, 'lake'))).toEqual(before);
  });

  it('the state that wrote the lake still resumes it (nothing new to do)', async () => {
    const run = await runTicklake([...base(), '--state-dir', join(dir, 'state')], {}, 30_000);
    expect([run.code, run.stderr.match(/processed \d+ messages/)?.[0]]).toEqual([0, 'processed 0 messages']);
  });

  it('a new state over a lake with only files others wrote starts, and processes the topic', async () => {
    const other = join(dir, 'other-lake');
    await mkdir(join(other, 'history', 'date=2026-01-02'), { recursive: true });
    await writeFile(join(other, 'history', 'date=2026-01-02', 'h1.parquet'), 'not ours');
    const run = await runTicklake(
      ['process', '--brokers', broker.address, '--until-idle', '--lake-dir', other, '--state-dir', join(dir, 's3')],
      {},
      60_000,
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/processed [1-9]\d* messages/);
  });
});
