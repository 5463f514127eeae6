/**
 * A lost or mistyped --state-dir for the keyed-table engine (issue 21 item 4, as processors/ticks/test/
 * lost-state-dir.test.ts for the tick engine): a new state over a lake the engine already wrote used to process the
 * topics again from offset 0, with batch ids from 1 again, so its change files `b1.parquet`… and dead letters
 * `t1.parquet`… were overwritten by a second copy of everything (exit 0). Now it refuses with TL_LAKE_NOT_EMPTY —
 * same code and message as the tick engine — naming the state, the lake and a file that shows it, and the lake is
 * left as it was; the state that wrote the lake resumes it; a new state over a lake with only others' files starts.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../../broker/index.js';
import { useBroker } from '../../../test/helpers/broker.js';
import { runTicklake } from '../../../test/helpers/processor-run.js';

const ITEMS = `-- title: Items
-- topic: lost.items
-- format: plain
create table items (id varchar primary key, name varchar not null, qty bigint);
`;
const STOCK = `-- title: Stock
-- key: name
select name, sum(qty) as qty from items group by name
`;

/** Every file under `dir` (relative), sorted. */
async function listing(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length))
    .sort();
}

describe('keyed-table engine: a new state over a lake it already wrote', () => {
  let dir: string;
  let broker: RunningBroker;
  const base = (lake = join(dir, 'lake')) => [
    'process',
    '--brokers',
    broker.address,
    '--sql-dir',
    join(dir, 'sql'),
    '--sources',
    'items',
    '--until-idle',
    '--compact-every',
    '0',
    '--lake-dir',
    lake,
  ];

  const embedded = useBroker('ticklake-tables-lost-state', { groupInitialRebalanceDelayMs: 0 });
  beforeAll(async () => {
    ({ dir, broker } = embedded);
    await mkdir(join(dir, 'sql', 'sources'), { recursive: true });
    await mkdir(join(dir, 'sql', 'jobs'), { recursive: true });
    await writeFile(join(dir, 'sql', 'sources', 'items.sql'), ITEMS);
    await writeFile(join(dir, 'sql', 'jobs', 'stock.sql'), STOCK);
    const kafka = new Kafka({ clientId: 'lost-state', brokers: [broker.address], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'lost.items',
      acks: -1,
      messages: [
        { key: 'A', value: JSON.stringify({ id: 'A', name: 'apple', qty: 3 }) },
        { key: 'B', value: JSON.stringify({ id: 'B', name: 'pear', qty: 4 }) },
        { key: 'C', value: JSON.stringify({ id: 'C', name: 'apple', qty: 5 }) },
        { key: 'X', value: '{not json' }, // a dead letter: rejected/date=…/t1.parquet
      ],
    });
    await producer.disconnect();
    const first = await runTicklake([...base(), '--state-dir', join(dir, 'state')], {}, 90_000);
    expect([first.code, first.stderr.match(/tables: \d+ messages/)?.[0]]).toEqual([0, 'tables: 4 messages']);
  }, 150_000);

  it('is refused with TL_LAKE_NOT_EMPTY naming the state, the lake and a file, and the lake is left as it was', async () => {
    const before = await listing(join(dir, 'lake'));
    // what the first run wrote: change files of the source and the job, and the dead letter (in its first batch
    // that had messages: on a loaded machine the first batch can come before them, empty)
    expect(before).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/items\/changes\/b\d+\.parquet$/),
        expect.stringMatching(/^\/stock\/changes\/b\d+\.parquet$/),
        expect.stringMatching(/^\/rejected\/date=[\d-]+\/t\d+\.parquet$/),
      ]),
    );
    const run = await runTicklake([...base(), '--state-dir', join(dir, 'mistyped'), '--group', 'other'], {}, 60_000);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`The state ${join(dir, 'mistyped', 'tables.duckdb')} is new, but the lake`);
    const named = /already holds the output of a processor \((.*)\).*\[TL_LAKE_NOT_EMPTY\]/s.exec(run.stderr)?.[1];
    // a change file of the lake, as it is: one the first run wrote
    expect(named).toMatch(/\/(items|stock)\/changes\/b\d+\.parquet$/);
    expect(before).toContain(named?.slice(join(dir, 'lake').length));
    expect(await listing(join(dir, 'lake'))).toEqual(before);
  });

  it('the state that wrote the lake still resumes it (nothing new to do)', async () => {
    const run = await runTicklake([...base(), '--state-dir', join(dir, 'state')], {}, 60_000);
    expect([run.code, run.stderr.match(/tables: \d+ messages/)?.[0]]).toEqual([0, 'tables: 0 messages']);
  });

  it("a new state over a lake holding only others' files (the tick engine's, an empty schema file) starts", async () => {
    const other = join(dir, 'other-lake');
    await mkdir(join(other, 'bars', 'window=1m', 'date=2026-01-02'), { recursive: true });
    await writeFile(join(other, 'bars', 'window=1m', 'date=2026-01-02', 'b1.parquet'), 'the tick engine');
    await mkdir(join(other, 'rejected', 'date=2026-01-02'), { recursive: true });
    await writeFile(join(other, 'rejected', 'date=2026-01-02', 'b1.parquet'), 'the tick engine');
    const run = await runTicklake([...base(other), '--state-dir', join(dir, 's3'), '--group', 's3'], {}, 60_000);
    expect([run.code, run.stderr.match(/tables: \d+ messages/)?.[0]]).toEqual([0, 'tables: 4 messages']);
  });
});
