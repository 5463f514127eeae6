/**
 * `npm run bench:history`: two years of daily history of the bundled market, made two ways, side by side, alternating
 * (docs/history.md):
 *
 *  - baseline, the stream path as it was before the first-start backfill existed: `ticklake produce --daily` of two
 *    years into the embedded broker, then `ticklake process --until-idle` with `ticklake start`'s windows
 *    (10s,1m,1h,1d): every daily tick becomes a bar in every window, and every batch writes a file per window, date,
 *    table and Kafka partition;
 *  - subject, the batch path of `ticklake start`'s first start (history/backfill.ts, daily part): eight steps a day
 *    (eight times the ticks, so that daily bars have a range), 1d bars, anomalies and 1d valuations, one COPY per
 *    table, one file per partition.
 *
 * Figures: seconds (median of 3 alternating runs each; the machine is shared, ±15% noise), Parquet files in the lake
 * (the stream path's also after `ticklake compact`, its most compact: one file per partition of every closed date,
 * untimed), and the peak RSS of each side's processes (GNU time, /usr/bin/time -f %M).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../broker/index.js';
import { startBench } from './result.js';
import { median } from './stats.js';

const BIN = new URL('../cli/bin.js', import.meta.url).pathname;
const DAY = 86_400_000;
const END = Math.floor(Date.now() / DAY) * DAY;
const START = END - 730 * DAY;
const ROUNDS = 3;
const env = { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' };

/** Runs a command under GNU time (asynchronously: the broker runs in this process); wall seconds, peak RSS (MiB). */
async function timed(cmd: string[], cwd: string): Promise<{ seconds: number; rssMiB: number }> {
  const t0 = performance.now();
  const child = spawn('/usr/bin/time', ['-f', 'RSS %M', ...cmd], { cwd, env });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`${cmd.join(' ')} failed:\n${out}`);
  const rss = Number(/RSS (\d+)/.exec(out)?.[1] ?? 0) / 1024;
  return { seconds: (performance.now() - t0) / 1000, rssMiB: Math.round(rss) };
}

const parquetFiles = (dir: string) =>
  readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.parquet')).length;

async function baseline(): Promise<{ seconds: number; files: number; compacted: number; rssMiB: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-history-base-'));
  const broker = await startBroker({ dataDir: join(dir, 'broker'), port: 0, groupInitialRebalanceDelayMs: 0 });
  try {
    const iso = (ms: number) => new Date(ms).toISOString();
    const p = await timed(
      [
        process.execPath,
        BIN,
        'produce',
        '--brokers',
        broker.address,
        '--daily',
        '--start',
        iso(START),
        '--end',
        iso(END),
      ],
      dir,
    );
    const q = await timed(
      [
        process.execPath,
        BIN,
        'process',
        '--brokers',
        broker.address,
        '--lake-dir',
        join(dir, 'lake'),
        '--state-dir',
        join(dir, 'state'),
        '--until-idle',
        '--windows',
        '10s,1m,1h,1d',
        '--compact-every',
        '0',
      ],
      dir,
    );
    const written = parquetFiles(join(dir, 'lake'));
    // the stream path at its most compact: every closed date merged into one file per partition (not timed)
    await timed([process.execPath, BIN, 'compact', '--lake-dir', join(dir, 'lake')], dir);
    return {
      seconds: p.seconds + q.seconds,
      files: written,
      compacted: parquetFiles(join(dir, 'lake')),
      rssMiB: Math.max(p.rssMiB, q.rssMiB),
    };
  } finally {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function subject(): Promise<{ seconds: number; files: number; rssMiB: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-history-new-'));
  try {
    const script = new URL('./history-daily-run.ts', import.meta.url).pathname;
    const tsx = new URL('../node_modules/.bin/tsx', import.meta.url).pathname;
    const r = await timed([tsx, script, dir, String(START), String(END)], dir);
    return { ...r, files: parquetFiles(join(dir, 'lake')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const bench = startBench('history');
const base: Awaited<ReturnType<typeof baseline>>[] = [];
const mine: Awaited<ReturnType<typeof subject>>[] = [];
for (let i = 0; i < ROUNDS; i++) {
  base.push(await baseline());
  mine.push(await subject());
  process.stdout.write(
    `round ${i + 1}: stream ${base[i].seconds.toFixed(1)} s, batch ${mine[i].seconds.toFixed(1)} s\n`,
  );
}
const bs = median(base.map((x) => x.seconds));
const ms = median(mine.map((x) => x.seconds));
bench.finish(
  [
    {
      metric: 'two years of daily history, seconds (batch, 8 steps a day)',
      value: ms,
      unit: 's',
      baseline: { metric: 'produce --daily + process --until-idle', value: bs, unit: 's' },
      ratio: ms / bs,
      target: 'ratio <= 0.5',
      pass: ms / bs <= 0.5,
    },
    {
      metric: 'two years of daily history, Parquet files',
      value: mine[0].files,
      unit: 'files',
      baseline: { metric: 'produce --daily + process --until-idle', value: base[0].files, unit: 'files' },
      ratio: mine[0].files / base[0].files,
      target: 'one file per table partition (ratio <= 0.5)',
      pass: mine[0].files / base[0].files <= 0.5,
    },
    {
      metric: 'two years of daily history, Parquet files',
      value: mine[0].files,
      unit: 'files',
      baseline: { metric: 'the same after ticklake compact', value: base[0].compacted, unit: 'files' },
      ratio: mine[0].files / base[0].compacted,
      target: 'fewer files than the stream path compacted (ratio < 1)',
      pass: mine[0].files / base[0].compacted < 1,
    },
    { metric: 'peak RSS, batch', value: Math.max(...mine.map((x) => x.rssMiB)), unit: 'MiB' },
    { metric: 'peak RSS, stream (largest process)', value: Math.max(...base.map((x) => x.rssMiB)), unit: 'MiB' },
  ],
  { rounds: ROUNDS, stream: base, batch: mine, span: [new Date(START).toISOString(), new Date(END).toISOString()] },
);
