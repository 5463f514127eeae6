/**
 * `npm run bench:filings`: loading the real SEC FSDS quarter 2009q3 (../shared/data/sec-fsds/2009q3.zip beside
 * the project, public SEC data, never copied into it; BENCH_FSDS_ZIP names another quarter) side by side with
 * DuckDB's own `read_csv` of its num.txt, alternating baseline and subject; figures are medians of the rounds.
 *
 * Subject 1: `ticklake filings load`'s code (producers/filings/load.ts) — the zip read and inflated, every row of
 *   sub/tag/num/pre.txt parsed by header name and checked, and published as one keyed message per row with
 *   acks=all to a broker running as its own process (`ticklake broker`), as a user runs it.
 * Subject 2: the same without Kafka (readQuarter: read, parse, check, build the messages).
 * Baseline: DuckDB `CREATE TABLE AS SELECT * FROM read_csv('num.txt', delim = '\t', header = true, quote = '')`
 *   (type detection on, in memory) over num.txt extracted to a temporary folder that is removed at the end.
 *
 * Rows/s of a subject counts every data line of the four files it reads; the baseline's counts num.txt's lines.
 * Both run in this process, so the peak RSS of the run is the larger of the two; the peak after the first
 * baseline round (before any loader round) is kept in details.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadQuarter, readQuarter } from '../producers/filings/load.js';
import { connectPublisher } from '../producers/filings/publish.js';
import { DEBIAN_PYTHON } from '../test/helpers/tools.js';
import { type BenchFigure, peakRssMiB, peakRssMiBOf, startBench } from './result.js';
import { median } from './stats.js';

const ROOT = resolve(import.meta.dirname, '..');
const ZIP =
  process.env.BENCH_FSDS_ZIP ??
  [join(ROOT, '..', 'shared'), join(ROOT, '..', '..', 'shared')]
    .map((d) => join(d, 'data', 'sec-fsds', '2009q3.zip'))
    .find((p) => existsSync(p));
if (!ZIP || !existsSync(ZIP)) {
  process.stderr.write(
    `bench:filings: ${ZIP ?? '../shared/data/sec-fsds/2009q3.zip'} is not present: nothing measured\n`,
  );
  process.exit(1);
}
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const FILES = ['sub.txt', 'tag.txt', 'num.txt', 'pre.txt'];
const BIN = join(ROOT, 'cli', 'bin.js');
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const bench = startBench('filings');
const root = await mkdtemp(join(tmpdir(), 'tl-bench-filings-'));

function startBrokerProcess(): Promise<{ child: ChildProcess; address: string }> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [BIN, 'broker', '--port', '0', '--data-dir', join(root, 'broker')], {
      env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /broker listening on (\S+)/.exec(out);
      if (m) ok({ child, address: m[1] });
    });
    child.on('exit', (code) => fail(new Error(`broker exited early with code ${code}`)));
  });
}

let broker: ChildProcess | undefined;
try {
  const raw = join(root, 'raw');
  execFileSync(DEBIAN_PYTHON, [
    '-c',
    'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])',
    ZIP,
    raw,
  ]);
  const lines = Object.fromEntries(
    FILES.map((f) => [
      f,
      readFileSync(join(raw, f), 'utf8')
        .split('\n')
        .filter((l) => l !== '').length - 1,
    ]),
  );
  const quarterRows = FILES.reduce((s, f) => s + lines[f], 0);
  const started = await startBrokerProcess();
  broker = started.child;

  const duck = async (files: string[]) => {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const c0 = cpu();
    const t0 = performance.now();
    let rows = 0;
    for (const f of files) {
      const r = await c.runAndReadAll(
        `create table "${f}" as select * from read_csv('${join(raw, f)}', delim = '\t', header = true, quote = '')`,
      );
      rows += Number(r.getRows()[0]?.[0] ?? 0);
    }
    const s = (performance.now() - t0) / 1000;
    const cpuS = cpu() - c0;
    c.closeSync();
    db.closeSync();
    return { s, rows, cpuS };
  };
  const load = async () => {
    const publisher = await connectPublisher({ brokers: [started.address] });
    try {
      const c0 = cpu();
      const t0 = performance.now();
      const summary = await loadQuarter(ZIP, publisher);
      const s = (performance.now() - t0) / 1000;
      if (summary.bad.length > 0) throw new Error(`${summary.bad.length} bad rows, e.g. ${summary.bad[0].reason}`);
      return { s, published: summary.published, cpuS: cpu() - c0 };
    } finally {
      await publisher.close();
    }
  };
  const parse = async () => {
    const c0 = cpu();
    const t0 = performance.now();
    const recs = await readQuarter(ZIP);
    const s = (performance.now() - t0) / 1000;
    return { s, rows: recs.reduce((n, r) => n + r.records.length, 0), cpuS: cpu() - c0 };
  };

  const base: number[] = [];
  const baseCpu: number[] = [];
  const baseAll: number[] = [];
  const loadS: number[] = [];
  const loadCpu: number[] = [];
  const parseS: number[] = [];
  let published: Record<string, number> = {};
  let parsedRows = 0;
  let baselineRows = 0;
  let peakAfterBaseline = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const b = await duck(['num.txt']);
    base.push(b.s);
    baseCpu.push(b.cpuS);
    baselineRows = b.rows;
    if (r === 0) peakAfterBaseline = peakRssMiB();
    const l = await load();
    loadS.push(l.s);
    loadCpu.push(l.cpuS);
    published = l.published;
    baseAll.push((await duck(FILES)).s);
    const p = await parse();
    parseS.push(p.s);
    parsedRows = p.rows;
  }
  if (baselineRows !== lines['num.txt'])
    throw new Error(`read_csv gave ${baselineRows} rows, num.txt has ${lines['num.txt']}`);
  if (parsedRows !== quarterRows) throw new Error(`the loader read ${parsedRows} rows, the files hold ${quarterRows}`);

  const baseRate = lines['num.txt'] / median(base);
  const baseline = {
    metric: 'DuckDB read_csv of num.txt (CREATE TABLE AS, types detected)',
    value: Math.round(baseRate),
    unit: 'rows/s',
  };
  const loadRate = quarterRows / median(loadS);
  const parseRate = quarterRows / median(parseS);
  const figures: BenchFigure[] = [
    {
      metric: `filings load of ${ZIP.split('/').pop()} (${quarterRows.toLocaleString('en-US')} rows: parse, check, publish acks=all)`,
      value: Math.round(loadRate),
      unit: 'rows/s',
      baseline,
      ratio: loadRate / baseRate,
      target: 'reported (issue 16 sets no ratio)',
      pass: true,
    },
    {
      metric: 'the same without Kafka (read, parse, check, build messages)',
      value: Math.round(parseRate),
      unit: 'rows/s',
      baseline,
      ratio: parseRate / baseRate,
      target: 'reported',
      pass: true,
    },
  ];
  /** Peak RSS of the broker process (VmHWM), MiB. */
  const brokerPeak = peakRssMiBOf(started.child.pid as number);
  bench.finish(figures, {
    zip: ZIP.split('/').pop(),
    rounds: ROUNDS,
    lines,
    published,
    baselineSeconds: base,
    baselineCpuSeconds: baseCpu,
    duckdbAllFourFilesSeconds: baseAll,
    duckdbAllFourFilesRowsPerSecond: Math.round(quarterRows / median(baseAll)),
    loadSeconds: loadS,
    loadCpuSeconds: loadCpu,
    parseSeconds: parseS,
    // CPU seconds per row, load over baseline (all threads; steadier than wall time on a shared machine)
    cpuPerRowRatio: median(loadCpu) / quarterRows / (median(baseCpu) / lines['num.txt']),
    peakRssMiBAfterFirstBaselineRound: peakAfterBaseline,
    brokerPeakRssMiB: brokerPeak,
    note: 'the broker runs as its own process: its peak RSS is brokerPeakRssMiB, not in peakRssMiB',
  });
} finally {
  if (broker && broker.exitCode === null) {
    const exited = new Promise((ok) => broker!.once('exit', ok));
    broker.removeAllListeners('exit');
    broker.once('exit', () => {});
    broker.kill('SIGTERM');
    await exited;
  }
  await rm(root, { recursive: true, force: true });
}
