/**
 * No interval runs twice: two schedulers over one lake (in one process, ticking the same instants concurrently; two
 * scheduler processes racing through a simulated day on an injected clock; and two `ticklake run` processes started
 * together), and a scheduler SIGKILLed mid-run (TICKLAKE_CRASH_AT), whose interval leaves no visible result and runs
 * again once.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/poll.js';
import { openScheduler } from '../open.js';
import { compactTime } from '../schedule.js';
import { DAY, expectedCounts, HOUR, MODEL, type SchedFixture, schedFixture } from './fixtures.js';

const exec = promisify(execFile);
const BIN = new URL('../../cli/bin.js', import.meta.url).pathname;
const RACE_CHILD = new URL('./race-child.ts', import.meta.url).pathname;
const JOB = 'model.hourly_counts';

let fx: SchedFixture | undefined;
afterEach(() => {
  fx?.close();
  fx = undefined;
});

async function records(dir: string) {
  if (!existsSync(join(dir, 'pipeline_runs'))) return [];
  // only the model's: `ticklake run` also runs the bundled checks that gate it (they read ticks too)
  return (fx as SchedFixture).lake.rows(`select job, status, attempt, epoch_ms(interval_end) as e, rows, error
    from read_parquet('${dir}/pipeline_runs/**/*.parquet') where job = '${JOB}' order by e, attempt`);
}

async function modelRows(dir: string) {
  return (fx as SchedFixture).lake.rows(`select run_id, epoch_ms(interval_start) as s, symbol, n
    from read_parquet('${dir}/hourly_counts/**/*.parquet') order by s, symbol`);
}

function attempts(dir: string, end: number): string[] {
  const d = join(dir, '_scheduler', 'runs', JOB, compactTime(end));
  return existsSync(d)
    ? readdirSync(d)
        .filter((n) => /^a\d+\.json$/.test(n))
        .sort()
    : [];
}

/** `ticklake run --at T JOB` over the fixture's lake and SQL dir: the model and the bundled checks that gate it. */
function runAt(t: number, env: Record<string, string> = {}) {
  const f = fx as SchedFixture;
  return exec(
    process.execPath,
    [
      BIN,
      'run',
      '--at',
      String(t),
      '--run-delay',
      '0',
      '--lake-dir',
      f.lake.dir,
      '--sql-dir',
      f.sqlDir,
      '--log-level',
      'warn',
      JOB,
    ],
    { env: { ...process.env, ...env } },
  );
}

function byHour(rows: Record<string, unknown>[], h: number) {
  return Object.fromEntries(rows.filter((m) => Number(m.s) === DAY + h * HOUR).map((m) => [m.symbol, Number(m.n)]));
}

describe('exactly once per interval', () => {
  it('two schedulers in one process ticking together run each interval once', async () => {
    fx = await schedFixture({ 'models/hourly_counts.sql': MODEL });
    const open = () => openScheduler({ lakeDir: fx!.lake.dir, sqlDirs: [fx!.sqlDir], bundled: false });
    const [a, b] = await Promise.all([open(), open()]);
    const ran = { a: 0, b: 0 };
    try {
      for (let h = 1; h <= 12; h++) {
        const t = DAY + h * HOUR + 1000;
        await Promise.all([a.scheduler.tick(t), b.scheduler.tick(t)]);
      }
    } finally {
      for (const [k, s] of [
        ['a', a],
        ['b', b],
      ] as const) {
        for (const j of await s.scheduler.store.jobs()) {
          for (const e of await s.scheduler.store.intervalEnds(j)) {
            for (const x of await s.scheduler.store.attempts(j, e))
              if (x.claim.owner.id === s.scheduler.store.owner.id) ran[k]++;
          }
        }
      }
      await a.close();
      await b.close();
    }
    const recs = await records(fx.lake.dir);
    expect(recs.map((r) => Number(r.e))).toEqual(Array.from({ length: 12 }, (_, i) => DAY + (i + 1) * HOUR));
    expect(recs.every((r) => r.status === 'success' && Number(r.attempt) === 1)).toBe(true);
    for (let h = 1; h <= 12; h++) expect(attempts(fx.lake.dir, DAY + h * HOUR)).toEqual(['a1.json']);
    expect(ran.a + ran.b).toBe(12);
    const rows = await modelRows(fx.lake.dir);
    for (let h = 0; h < 12; h++) expect(byHour(rows, h), `hour ${h}`).toEqual(expectedCounts(h));
    expect(new Set(rows.map((r) => r.run_id)).size).toBe(12);
  });

  it('two scheduler processes racing through a day on an injected clock run each interval exactly once', async () => {
    fx = await schedFixture({ 'models/hourly_counts.sql': MODEL });
    const f = fx;
    const clockFile = join(f.sqlDir, 'clock');
    const setClock = (t: number) => {
      writeFileSync(`${clockFile}.tmp`, String(t));
      renameSync(`${clockFile}.tmp`, clockFile); // the children never read half a number
    };
    type Line = { ready?: string; ran?: string; lost?: string; status?: string; owner?: string; end?: number };
    const children = [0, 1].map(() => {
      const child: ChildProcess = spawn(
        process.execPath,
        ['--import', 'tsx', RACE_CHILD, f.lake.dir, f.sqlDir, clockFile],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' } },
      );
      const out = { child, lines: [] as Line[], stderr: '', exit: undefined as Promise<number | null> | undefined };
      let buf = '';
      child.stdout?.on('data', (d) => {
        buf += d;
        const parts = buf.split('\n');
        buf = parts.pop() ?? '';
        for (const l of parts) if (l.trim()) out.lines.push(JSON.parse(l) as Line);
      });
      child.stderr?.on('data', (d) => {
        out.stderr += d;
      });
      out.exit = new Promise((res) => child.once('exit', (code) => res(code)));
      return out;
    });
    const all = () => children.flatMap((c) => c.lines);
    /** Waits for `ok`, ended at once by a scheduler that exits; a timeout shows every line they printed. */
    const until = (what: string, ok: () => boolean) =>
      waitFor(what, ok, {
        timeoutMs: 90_000,
        everyMs: 25,
        failIf: () => {
          const dead = children.find((c) => c.child.exitCode !== null);
          return dead && `a scheduler exited (${dead.child.exitCode}): ${dead.stderr}`;
        },
        detail: () => JSON.stringify(all()),
      });
    /** Interval ends of the day whose newest claim is done. */
    const doneEnds = () =>
      Array.from({ length: 24 }, (_, i) => DAY + (i + 1) * HOUR).filter((e) => {
        const a = attempts(f.lake.dir, e).at(-1);
        if (!a) return false;
        const dir = join(f.lake.dir, '_scheduler/runs', JOB, compactTime(e));
        try {
          return JSON.parse(readFileSync(join(dir, a), 'utf8')).state === 'done';
        } catch {
          return false; // (only with a broken claim: the file is not written whole)
        }
      });
    try {
      await until('both schedulers to open', () => children.every((c) => c.lines.some((l) => l.ready)));
      // timeline (simulated, UTC on 2026-03-02): hours 1–3 one by one, an outage until 08:00 (five intervals to
      // catch up at once), 09:00–12:00 one by one, an outage until midnight (twelve at once). Each step waits until
      // every interval ending by then is done, so both schedulers see each step.
      const steps = [1, 2, 3, 8, 9, 10, 11, 12, 24];
      for (const h of steps) {
        setClock(DAY + h * HOUR + 1000);
        await until(`the intervals up to ${h}:00`, () => doneEnds().length >= h);
      }
      // a few more ticks at the end: nothing is left to run
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGTERM');
      await Promise.all(children.map((c) => c.exit));
    }
    for (const c of children) expect(await c.exit, c.stderr).toBe(0);
    const ends = Array.from({ length: 24 }, (_, i) => DAY + (i + 1) * HOUR);
    const owners = children.map((c) => c.lines.find((l) => l.ready)?.ready as string);

    // what the processes did: each interval executed once, by one of them, successfully
    const ran = all().filter((l) => l.ran);
    expect(
      ran.map((l) => Number(l.end)).sort((a, b) => a - b),
      'executions per interval',
    ).toEqual(ends);
    expect(ran.every((l) => l.status === 'success')).toBe(true);
    // they really raced: both ran intervals, and claims were lost to the other process (18 in a run here)
    for (const [i, c] of children.entries()) {
      expect(c.lines.filter((l) => l.ran).length, `scheduler ${i} ran`).toBeGreaterThan(0);
    }
    expect(all().filter((l) => l.lost).length, 'claims lost to the other process').toBeGreaterThan(0);

    // pipeline_runs: one record per interval, attempt 1, success, naming the process that reported running it. (A
    // record's file is named by job, interval and attempt, so a second run of attempt 1 would replace the first's
    // file: the count alone cannot show it, the owner can. With link() replaced by an overwriting copy, three runs
    // made 32 to 39 executions of the 24 intervals: the executions above, the statuses and this owner check failed.)
    const recs = await f.lake.rows(`select epoch_ms(interval_end) as e, status, attempt, scheduler, run_id
      from read_parquet('${f.lake.dir}/pipeline_runs/**/*.parquet') where job = '${JOB}' order by e, attempt`);
    expect(
      recs.map((r) => Number(r.e)),
      'pipeline_runs per interval',
    ).toEqual(ends);
    expect(recs.every((r) => r.status === 'success' && Number(r.attempt) === 1)).toBe(true);
    const ranBy = new Map(ran.map((l) => [Number(l.end), l.owner]));
    for (const r of recs) {
      expect(String(r.scheduler).split(':').at(-1), `recorded owner of ${r.run_id}`).toBe(ranBy.get(Number(r.e)));
      expect(owners).toContain(ranBy.get(Number(r.e)));
    }
    for (const e of ends) expect(attempts(f.lake.dir, e), compactTime(e)).toEqual(['a1.json']);

    // the model's output: every hour's counts exactly (plain arithmetic), from one run each
    const rows = await modelRows(f.lake.dir);
    for (let h = 0; h < 24; h++) expect(byHour(rows, h), `hour ${h}`).toEqual(expectedCounts(h));
    expect(rows.length).toBe(48);
    const runIds = [...new Set(rows.map((r) => String(r.run_id)))].sort();
    expect(runIds).toEqual(recs.map((r) => String(r.run_id)).sort());
  }, 240_000);

  it('two ticklake run processes started together never run an interval twice', async () => {
    fx = await schedFixture({ 'models/hourly_counts.sql': MODEL });
    for (let h = 1; h <= 2; h++) {
      const t = DAY + h * HOUR + 1000;
      const [x, y] = await Promise.all([runAt(t), runAt(t)]);
      // exactly one of the two printed the run
      const lines = `${x.stdout}${y.stdout}`.split('\n').filter((l) => l.startsWith(`${JOB}@`));
      expect(lines.length, `hour ${h}: ${lines.join(' | ')}`).toBe(1);
      expect(lines[0]).toMatch(new RegExp(`^${JOB}@${compactTime(DAY + h * HOUR)}#1 success rows=2$`));
    }
    const recs = await records(fx.lake.dir);
    expect(recs.map((r) => [Number(r.e), r.status, Number(r.attempt)])).toEqual(
      [1, 2].map((h) => [DAY + h * HOUR, 'success', 1]),
    );
  });

  it('a SIGKILL after the result was written but before it was committed: nothing visible, the interval runs again', async () => {
    fx = await schedFixture({ 'models/hourly_counts.sql': MODEL });
    const end = DAY + 3 * HOUR;
    const crashed = await runAt(end + 1000, { TICKLAKE_CRASH_AT: 'schedule-after-temp:1' }).catch((e) => e);
    expect(crashed.signal).toBe('SIGKILL');
    // the result exists only as an invisible dot-temp file; no record, the claim still says running
    const dir = join(fx.lake.dir, 'hourly_counts', 'date=2026-03-02');
    expect(readdirSync(dir)).toEqual([`.${compactTime(end)}.parquet.tmp`]);
    expect(await records(fx.lake.dir)).toEqual([]);
    const a1 = JSON.parse(readFileSync(join(fx.lake.dir, '_scheduler/runs', JOB, compactTime(end), 'a1.json'), 'utf8'));
    expect(a1.state).toBe('running');

    const again = await runAt(end + 2000);
    expect(again.stdout).toContain(`${JOB}@${compactTime(end)}#2 success rows=2`);
    expect(readdirSync(dir)).toEqual([`${compactTime(end)}.parquet`]);
    const recs = await records(fx.lake.dir);
    expect(recs.map((r) => [r.status, Number(r.attempt)])).toEqual([
      ['crashed', 1],
      ['success', 2],
    ]);
    expect(String(recs[0].error)).toMatch(/stopped mid-run; run again as attempt 2/);
    expect(byHour(await modelRows(fx.lake.dir), 2)).toEqual(expectedCounts(2));
    expect(attempts(fx.lake.dir, end)).toEqual(['a1.json', 'a2.json']);
  });

  it('a SIGKILL after the commit mark: the next scheduler publishes the written result without running again', async () => {
    fx = await schedFixture({ 'models/hourly_counts.sql': MODEL });
    const end = DAY + 4 * HOUR;
    const crashed = await runAt(end + 1000, { TICKLAKE_CRASH_AT: 'schedule-committing:1' }).catch((e) => e);
    expect(crashed.signal).toBe('SIGKILL');
    const dir = join(fx.lake.dir, 'hourly_counts', 'date=2026-03-02');
    expect(readdirSync(dir)).toEqual([`.${compactTime(end)}.parquet.tmp`]);
    const again = await runAt(end + 2000);
    expect(again.stdout).toContain(`${JOB}@${compactTime(end)}#2 success rows=2`);
    expect(readdirSync(dir)).toEqual([`${compactTime(end)}.parquet`]);
    const a2 = JSON.parse(readFileSync(join(fx.lake.dir, '_scheduler/runs', JOB, compactTime(end), 'a2.json'), 'utf8'));
    expect(a2.completes).toBe(1);
    // one run: attempt 1's, which did all the work; its rows carry attempt 1's run id
    const recs = await records(fx.lake.dir);
    expect(recs.map((r) => [r.status, Number(r.attempt)])).toEqual([['success', 1]]);
    const rows = await modelRows(fx.lake.dir);
    expect(byHour(rows, 3)).toEqual(expectedCounts(3));
    expect(new Set(rows.map((r) => r.run_id))).toEqual(new Set([`${JOB}@${compactTime(end)}#1`]));
  });
});
