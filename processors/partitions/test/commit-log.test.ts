/**
 * The per-partition commit log (commit-log.ts) on the real filesystem: put-if-absent entries through link(2), the
 * latest entry, a fenced writer's error, roll-forward of staged outputs, and pruning that cannot reopen a hole for a
 * writer that was paused for a long time.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTicklakeError } from '../../../core/errors.js';
import { entryName, PartitionLog, stagedPath } from '../commit-log.js';

interface St {
  next: number;
}

let lake: string;
beforeEach(async () => {
  lake = await mkdtemp(join(tmpdir(), 'ticklake-commitlog-'));
});
afterEach(async () => {
  await rm(lake, { recursive: true, force: true });
});

/** Writes a staged output as a writer would, returns its CommitOutput. */
async function stage(writer: string, final: string, text: string) {
  const staged = stagedPath(final, writer);
  await mkdir(dirname(join(lake, staged)), { recursive: true });
  await writeFile(join(lake, staged), text);
  return { staged, final };
}

async function fencedBy(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isTicklakeError(e, 'TL_LAKE_PARTITION_FENCED')) return e.message;
    throw e;
  }
  throw new Error('not fenced');
}

describe('PartitionLog', () => {
  it('entries follow each other from 1; latest reads the highest, past a change in digit count', async () => {
    const log = new PartitionLog<St>(lake, 'ticks', 3, 'w1');
    expect(await log.latest()).toBeNull();
    for (let s = 0; s < 11; s++) await log.commit(s, { next: s * 10 }, []);
    const names = await readdir(join(lake, '_commits', 'ticks', '3'));
    expect(names.sort()).toEqual(Array.from({ length: 11 }, (_, i) => `${String(i + 1).padStart(20, '0')}.json`));
    const latest = await log.latest();
    expect([latest?.seq, latest?.state, latest?.writer, latest?.partition]).toEqual([11, { next: 100 }, 'w1', 3]);
  });

  it('a second writer creating the same entry is fenced, names the winner, and the entry is the winner’s', async () => {
    const a = new PartitionLog<St>(lake, 'ticks', 0, 'writer-a');
    const zombie = new PartitionLog<St>(lake, 'ticks', 0, 'writer-z');
    await a.commit(0, { next: 5 }, []);
    // both read entry 1 as the latest; a commits 2 first
    await a.commit(1, { next: 9 }, [await stage('writer-a', 'bars/p0-s2.parquet', 'A')]);
    const msg = await fencedBy(zombie.commit(1, { next: 7 }, [await stage('writer-z', 'bars/p0-s2.parquet', 'Z')]));
    expect(msg).toContain('Partition 0 of ticks was taken over');
    expect(msg).toContain('writer-a');
    expect(msg).toContain('writer-z');
    const e2 = JSON.parse(await readFile(join(a.dir, entryName(2)), 'utf8'));
    expect([e2.writer, e2.state]).toEqual(['writer-a', { next: 9 }]);
    // no temp file of the fenced writer is left in the log
    expect((await readdir(a.dir)).sort()).toEqual([entryName(1), entryName(2)]);
    // publishing the winner's entry shows A's output, never Z's staged file
    await a.publish(e2);
    expect(await readFile(join(lake, 'bars/p0-s2.parquet'), 'utf8')).toBe('A');
    expect(await readdir(join(lake, 'bars'))).toContain('.p0-s2.parquet.writer-z.staged');
  });

  it('of 24 writers racing for one entry exactly one wins (link runs concurrently on the thread pool)', async () => {
    const writers = Array.from({ length: 24 }, (_, i) => new PartitionLog<St>(lake, 'ticks', 1, `w${i}`));
    const results = await Promise.allSettled(writers.map((w, i) => w.commit(0, { next: i }, [])));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect([won.length, lost.length]).toEqual([1, 23]);
    for (const r of lost)
      expect(isTicklakeError((r as PromiseRejectedResult).reason, 'TL_LAKE_PARTITION_FENCED')).toBe(true);
    const winner = (won[0] as PromiseFulfilledResult<{ writer: string; state: St }>).value;
    expect((await writers[0].latest())?.writer).toBe(winner.writer);
  });

  it('of 6 processes racing for each of 20 entries exactly one wins each, and the log has no gap', async () => {
    // separate processes, each committing seq 1..20 by reading the latest and trying the next, as owners would
    const script = `
      const { PartitionLog } = await import(${JSON.stringify(new URL('../commit-log.ts', import.meta.url).pathname)});
      const log = new PartitionLog(process.argv[1], 'ticks', 2, 'proc' + process.argv[2]);
      let won = 0;
      for (;;) {
        const l = await log.latest();
        const seq = l ? l.seq : 0;
        if (seq >= 20) break;
        try { await log.commit(seq, { next: seq + 1 }, []); won++; }
        catch (e) { if (e.code !== 'TL_LAKE_PARTITION_FENCED') throw e; }
      }
      process.stdout.write(String(won));`;
    const run = (i: number) =>
      new Promise<number>((resolve, reject) => {
        const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, lake, String(i)], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        c.stdout.on('data', (d) => {
          out += String(d);
        });
        c.on('error', reject);
        c.on('exit', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`exit ${code}`))));
      });
    const wins = await Promise.all([0, 1, 2, 3, 4, 5].map(run));
    expect(wins.reduce((a, b) => a + b, 0)).toBe(20);
    const log = new PartitionLog<St>(lake, 'ticks', 2, 'reader');
    expect(await log.seqs()).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    for (const s of [1, 7, 20]) expect((await log.read(s)).state).toEqual({ next: s });
  }, 60_000);

  it('acquire rolls forward the outputs of an entry whose writer died before publishing, once', async () => {
    const dead = new PartitionLog<St>(lake, 'ticks', 4, 'dead');
    const outs = [
      await stage('dead', 'bars/window=1m/date=2026-01-02/p4-s1.parquet', 'bars'),
      await stage('dead', 'anomalies/date=2026-01-02/p4-s1.parquet', 'anomalies'),
    ];
    await dead.commit(0, { next: 42 }, outs); // … and SIGKILL here: nothing published
    expect(await readdir(join(lake, 'bars/window=1m/date=2026-01-02'))).toEqual(['.p4-s1.parquet.dead.staged']);
    const heir = new PartitionLog<St>(lake, 'ticks', 4, 'heir');
    const e = await heir.acquire();
    expect(e?.state).toEqual({ next: 42 });
    expect(await readdir(join(lake, 'bars/window=1m/date=2026-01-02'))).toEqual(['p4-s1.parquet']);
    expect(await readFile(join(lake, 'anomalies/date=2026-01-02/p4-s1.parquet'), 'utf8')).toBe('anomalies');
    // again (a second restart): nothing to do, nothing lost
    expect(await heir.publish(e as NonNullable<typeof e>)).toBe(0);
    expect(await readFile(join(lake, 'bars/window=1m/date=2026-01-02/p4-s1.parquet'), 'utf8')).toBe('bars');
  });

  it('a writer paused past pruning finds its sequence number free, but is fenced all the same', async () => {
    const owner = new PartitionLog<St>(lake, 'ticks', 5, 'owner');
    const zombie = new PartitionLog<St>(lake, 'ticks', 5, 'zombie');
    await owner.commit(0, { next: 1 }, []);
    const seenByZombie = (await zombie.latest())?.seq as number; // 1, then the zombie is paused
    for (let s = 1; s < 30; s++) await owner.commit(s, { next: s + 1 }, []);
    expect(await owner.prune(10)).toBe(20); // entries 1..20 gone, 21..30 kept, the floor is 21
    expect(await owner.seqs()).toEqual(Array.from({ length: 10 }, (_, i) => 21 + i));
    // the zombie wakes up and creates entry 2, whose name is free again
    const msg = await fencedBy(zombie.commit(seenByZombie, { next: 999 }, []));
    expect(msg).toContain('the log is at 30');
    // its stale entry 2 stays below the floor, where no reader looks; the latest is the owner's
    expect(await owner.seqs()).toEqual([2, ...Array.from({ length: 10 }, (_, i) => 21 + i)]);
    expect((await owner.latest())?.state).toEqual({ next: 30 });
    // a second zombie that had read entry 2 long ago (before it was pruned) is fenced too, whatever entry 2 is now
    const msg2 = await fencedBy(new PartitionLog<St>(lake, 'ticks', 5, 'zombie-2').commit(2, { next: 998 }, []));
    expect(msg2).toContain('zombie-2');
    // the owner goes on; the next prune clears the stale entries
    await owner.commit(30, { next: 31 }, []);
    await owner.prune(10);
    expect(await owner.seqs()).toEqual(Array.from({ length: 10 }, (_, i) => 22 + i));
  });

  it('pruning keeps the entries a delivery still owes, and a writer below that floor is still fenced', async () => {
    const owner = new PartitionLog<St>(lake, 'ticks', 6, 'owner');
    for (let s = 0; s < 30; s++) await owner.commit(s, { next: s + 1 }, []);
    // entries from 12 on are owed (partition-engine.ts owedFrom): 1..11 go, not 1..20
    expect(await owner.prune(10, 12)).toBe(11);
    expect(await owner.seqs()).toEqual(Array.from({ length: 19 }, (_, i) => 12 + i));
    expect(await owner.floor()).toBe(12);
    const msg = await fencedBy(new PartitionLog<St>(lake, 'ticks', 6, 'zombie').commit(4, { next: 999 }, []));
    expect(msg).toContain('zombie');
    // delivered since: the next prune keeps the last 10 again (and clears the zombie's stale entry 5)
    expect(await owner.prune(10)).toBe(10);
    expect(await owner.seqs()).toEqual(Array.from({ length: 10 }, (_, i) => 21 + i));
  });

  it('refuses a topic name that is not one', () => {
    expect(() => new PartitionLog(lake, '../x', 0, 'w')).toThrow(/not a Kafka topic name/);
  });
});
