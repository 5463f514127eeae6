/**
 * bench:scale (issue 19): several `ticklake process --scale-out` instances against one, on this machine.
 *
 * One topic of 6 partitions (a seeded market, each symbol on one partition), processed to the end (`--until-idle`)
 * by, in alternating rounds: (a) one single-instance processor (the baseline: no commit log), (b) one `--scale-out`
 * instance (the per-partition cost alone), (c) two `--scale-out` instances in one group. Per run: wall time, the CPU
 * seconds (user + system) of every process and their sum per tick, and each process's peak RSS (GNU time). Then the
 * takeover: two `--scale-out` instances with `--session-timeout 3s`, one SIGKILLed once both committed; the time until
 * every partition the killed one held last has a newer commit entry by the other (session timeout, rebalance, the
 * partition's state rebuilt from its log, a first batch). Medians over the rounds.
 *
 * Expect no speed-up from (c) on 2 cores that (a) already keeps busy; what the figures show is the price per tick of
 * partition-scoped processing and how fast a partition moves.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../broker/index.js';
import { onSymbolPartitions, seededRun } from '../processors/ticks/test/fixtures.js';
import { produceAll } from '../test/helpers/processor-run.js';
import { type BenchFigure, peakRssMiB, startBench } from './result.js';
import { median } from './stats.js';

const BIN = join(import.meta.dirname, '..', 'cli', 'bin.js');
const PARTITIONS = 6;
const ROUNDS = Number(process.env.SCALE_ROUNDS ?? 3);
const MINUTES = Number(process.env.SCALE_MINUTES ?? 30);

interface Measured {
  wallS: number;
  cpuS: number;
  rssMiB: number[];
}

function cli(brokers: string, group: string, lake: string, state: string, more: string[]): string[] {
  return [BIN, 'process', '--brokers', brokers, '--group', group, '--lake-dir', lake, '--state-dir', state, ...more];
}

/** Runs the commands together under GNU time; resolves with the wall time, summed CPU and each peak RSS. */
async function timed(cmds: string[][]): Promise<Measured> {
  const t0 = performance.now();
  const runs = cmds.map(
    (args) =>
      new Promise<{ cpu: number; rss: number }>((resolve, reject) => {
        const child = spawn('/usr/bin/time', ['-f', 'TIME %U %S %M', process.execPath, ...args], {
          env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let err = '';
        child.stderr.on('data', (d) => {
          err += String(d);
        });
        child.on('exit', (code) => {
          const m = /TIME ([\d.]+) ([\d.]+) (\d+)/.exec(err);
          if (code !== 0 || !m) reject(new Error(`exit ${code}: ${err.slice(-2000)}`));
          else resolve({ cpu: Number(m[1]) + Number(m[2]), rss: Math.round(Number(m[3]) / 1024) });
        });
      }),
  );
  const r = await Promise.all(runs);
  return {
    wallS: (performance.now() - t0) / 1000,
    cpuS: r.reduce((a, x) => a + x.cpu, 0),
    rssMiB: r.map((x) => x.rss),
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Latest commit entry per partition: its writer and sequence. */
async function latestEntries(lake: string): Promise<Map<number, { writer: string; seq: number }>> {
  const out = new Map<number, { writer: string; seq: number }>();
  for (let p = 0; p < PARTITIONS; p++) {
    const dir = join(lake, '_commits', 'ticks', String(p));
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^\d{20}\.json$/.test(n)).sort();
    const last = names.at(-1);
    if (!last) continue;
    const e = JSON.parse(await readFile(join(dir, last), 'utf8').catch(() => '{}'));
    if (e.writer) out.set(p, { writer: e.writer, seq: e.seq });
  }
  return out;
}

async function takeover(brokers: string, dir: string, n: number): Promise<number> {
  const lake = join(dir, `takeover-${n}`, 'lake');
  const group = `takeover-${n}`;
  const more = ['--until-idle', '--scale-out', '--sources', 'ticks', '--max-batch', '500', '--session-timeout', '3s'];
  const start = (name: string): ChildProcess =>
    spawn(process.execPath, cli(brokers, group, lake, join(dir, `takeover-${n}`, name), more), {
      env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
  const a = start('a');
  const b = start('b');
  const exited = (c: ChildProcess) => new Promise((r) => c.once('exit', r));
  try {
    // both committed: each partition has an entry, from two writers
    let held: Map<number, { writer: string; seq: number }> = new Map();
    for (;;) {
      held = await latestEntries(lake);
      if (held.size === PARTITIONS && new Set([...held.values()].map((e) => e.writer)).size === 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const aWriter = [...held.values()].map((e) => e.writer).find((w) => w.includes(`-${a.pid}-`));
    if (!aWriter) throw new Error('no entry of the instance to kill');
    const killedAt = performance.now();
    a.kill('SIGKILL');
    const lost = [...held].filter(([, e]) => e.writer === aWriter);
    for (;;) {
      const now = await latestEntries(lake);
      if (lost.every(([p, e]) => (now.get(p)?.seq ?? 0) > e.seq && now.get(p)?.writer !== aWriter)) break;
      if (performance.now() - killedAt > 60_000) throw new Error('no takeover within 60 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    const ms = performance.now() - killedAt;
    await exited(b);
    return ms;
  } finally {
    a.kill('SIGKILL');
    b.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const bench = startBench('scale');
  const dir = await mkdtemp(join(tmpdir(), 'ticklake-bench-scale-'));
  const [broker, run] = await Promise.all([
    startBroker({ dataDir: join(dir, 'broker'), port: 0, groupInitialRebalanceDelayMs: 300 }),
    seededRun(MINUTES),
  ]);
  try {
    const messages = onSymbolPartitions(run.log.messages, PARTITIONS);
    await produceAll([broker.address], 'ticks', messages, PARTITIONS);
    const ticks = messages.length;
    const base = ['--until-idle', '--sources', 'ticks', '--max-batch', '5000'];
    const scaled = [...base, '--scale-out', '--session-timeout', '3s'];
    const results: Record<'one' | 'oneScaled' | 'twoScaled', Measured[]> = { one: [], oneScaled: [], twoScaled: [] };
    for (let r = 0; r < ROUNDS; r++) {
      // alternating: the order of the three kinds rotates every round
      const kinds = (['one', 'oneScaled', 'twoScaled'] as const).map((_, i, all) => all[(i + r) % all.length]);
      for (const kind of kinds) {
        const at = join(dir, `${kind}-${r}`);
        const lake = join(at, 'lake');
        const cmds =
          kind === 'one'
            ? [cli(broker.address, `${kind}-${r}`, lake, join(at, 'a'), base)]
            : kind === 'oneScaled'
              ? [cli(broker.address, `${kind}-${r}`, lake, join(at, 'a'), scaled)]
              : ['a', 'b'].map((s) => cli(broker.address, `${kind}-${r}`, lake, join(at, s), scaled));
        const m = await timed(cmds);
        results[kind].push(m);
        process.stderr.write(
          `round ${r} ${kind}: ${m.wallS.toFixed(1)} s wall, ${m.cpuS.toFixed(1)} s CPU, RSS ${m.rssMiB}\n`,
        );
        await rm(at, { recursive: true, force: true });
      }
    }
    const takeovers: number[] = [];
    for (let r = 0; r < ROUNDS; r++) takeovers.push(await takeover(broker.address, dir, r));
    const fig = (kind: keyof typeof results, label: string): BenchFigure[] => {
      const ms = results[kind];
      const one = results.one;
      const cpuPerTick = median(ms.map((m) => (m.cpuS / ticks) * 1e6));
      const baseCpu = median(one.map((m) => (m.cpuS / ticks) * 1e6));
      const wall = median(ms.map((m) => m.wallS));
      const baseWall = median(one.map((m) => m.wallS));
      return [
        {
          metric: `${label}: CPU per tick (all processes)`,
          value: round3(cpuPerTick),
          unit: 'µs',
          baseline: { metric: 'one single-instance processor', value: round3(baseCpu), unit: 'µs' },
          ratio: round3(cpuPerTick / baseCpu),
        },
        {
          metric: `${label}: wall time to the end of the topic`,
          value: round3(wall),
          unit: 's',
          baseline: { metric: 'one single-instance processor', value: round3(baseWall), unit: 's' },
          ratio: round3(wall / baseWall),
        },
        {
          metric: `${label}: peak RSS per process`,
          value: median(ms.flatMap((m) => m.rssMiB)),
          unit: 'MiB',
          baseline: {
            metric: 'one single-instance processor',
            value: median(one.flatMap((m) => m.rssMiB)),
            unit: 'MiB',
          },
        },
      ];
    };
    bench.finish(
      [
        ...fig('oneScaled', 'one --scale-out instance'),
        ...fig('twoScaled', 'two --scale-out instances'),
        {
          metric: 'takeover after a SIGKILL (--session-timeout 3s): every lost partition committed by the other',
          value: Math.round(median(takeovers)),
          unit: 'ms',
        },
      ],
      {
        ticks,
        partitions: PARTITIONS,
        rounds: ROUNDS,
        benchPeakRssMiB: peakRssMiB(),
        runs: results,
        takeoversMs: takeovers.map(Math.round),
        method:
          'alternating rounds (kinds rotated), medians; CPU = user + system of every process (GNU time), divided by the ticks of the topic',
      },
    );
  } finally {
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
