/**
 * The history of the simulated market, made on the first `ticklake start` of a data directory so that every report
 * and page has data at once (docs/history.md):
 *
 *  1. daily: `--history` (default 2 years) of weekdays, 8 steps a day per symbol, from the same exchanges, seed and
 *     price models as the live market, computed as a batch (history/engine.ts) into 1d bars, anomalies and 1d
 *     valuations — one Parquet file per day and table;
 *  2. intraday: from 00:00 UTC `--history-intraday` ago (default: yesterday) until now, one step a minute, published
 *     to the ticks topic before the live exchanges start, so the processor builds today's bars (10s … 1d) and its own
 *     state as if the market had run since then;
 *  3. the live exchanges then continue each symbol's price and random stream from there (their checkpoints are
 *     written here), at the live step, on the wall clock.
 *
 * Prices are one path throughout: the daily part's last close is where the intraday part starts, and the live market
 * continues the intraday part. `<data>/history.json` records what was made; a data dir that has it, or that ran
 * before (exchange checkpoints), is not backfilled again. A crash during the backfill leaves no marker: the next start
 * does it again, and the files, named `h-backfill-*`, are replaced.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadPortfolioSeeds } from '../contracts/portfolio-seeds.js';
import { DuckDBInstance, DuckDBTimestampValue } from '../core/duckdb.js';
import { writeCheckpointFile } from '../producers/live-exchange.js';
import { TickSender } from '../producers/sender.js';
import { DAY_MS, Simulator, type SimulatorSnapshot } from '../producers/simulator.js';
import type { TickEncode } from '../producers/tick-encoding.js';
import type { Universe } from '../producers/universe.js';
import { HIST_TICKS_DDL, type HistoryResult, writeHistory } from './engine.js';

export const HISTORY_MARKER = 'history.json';
/** Steps per weekday of the daily history: enough for a daily bar to have a range. */
export const DAILY_STEPS = 8;
/** Event time between the steps of the intraday history. */
export const INTRADAY_STEP_MS = 60_000;

export interface BackfillOptions {
  dataDir: string;
  lakeDir: string;
  /** Directory of the live exchanges' checkpoints. */
  checkpointDir: string;
  universe: Universe;
  seed: string;
  /** Span of daily history before the intraday part (0: none). */
  dailyMs: number;
  /** The intraday part starts at 00:00 UTC of the day this long ago (0: no intraday part). */
  intradayMs: number;
  /** Live step of the exchanges, for their checkpoints. */
  liveIntervalMs: number;
  brokers: string[];
  topic: string;
  /** Message values other than the JSON text (--format avro: producers/tick-encoding.ts), as the live exchanges. */
  encode?: TickEncode;
  thresholds: { spike: number; critical: number; volumeSpikeFactor: number };
  now?: () => number;
}

export interface BackfillSummary {
  dailyFrom: string | null;
  intradayFrom: string | null;
  to: string;
  daily: HistoryResult | null;
  intradayTicks: number;
  seconds: number;
}

/** True when this data dir gets a backfill: no marker and no exchange checkpoint (it never ran). */
export function needsBackfill(dataDir: string, checkpointDir: string, exchanges: string[]): boolean {
  if (existsSync(join(dataDir, HISTORY_MARKER))) return false;
  return !exchanges.some((x) => existsSync(join(checkpointDir, `${x}.json`)));
}

export async function readBackfillMarker(dataDir: string): Promise<BackfillSummary | undefined> {
  try {
    return JSON.parse(await readFile(join(dataDir, HISTORY_MARKER), 'utf8')) as BackfillSummary;
  } catch {
    return undefined;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

export async function backfill(o: BackfillOptions): Promise<BackfillSummary> {
  const now = o.now ?? Date.now;
  const started = performance.now();
  const today = Math.floor(now() / DAY_MS) * DAY_MS;
  const intradayFrom = o.intradayMs > 0 ? today - Math.ceil(o.intradayMs / DAY_MS) * DAY_MS : null;
  const dailyTo = intradayFrom ?? today;
  const dailyFrom = o.dailyMs > 0 ? dailyTo - o.dailyMs : null;

  // 1. daily history, one simulator per exchange (as live), all computed in one batch
  const snapshots = new Map<string, SimulatorSnapshot>();
  let daily: HistoryResult | null = null;
  if (dailyFrom !== null) {
    const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
    const conn = await instance.connect();
    try {
      await conn.run(HIST_TICKS_DDL);
      const app = await conn.createAppender('hist_ticks');
      let seq = 0;
      for (const x of o.universe.exchanges) {
        const sim = new Simulator(x.symbols, {
          seed: o.seed,
          start: dailyFrom,
          tickIntervalMs: INTRADAY_STEP_MS,
          daily: true,
          stepsPerDay: DAILY_STEPS,
          end: dailyTo,
        });
        for (let m = sim.next(); m !== null; m = sim.next()) {
          app.appendVarchar(m.spec.symbol);
          app.appendVarchar(m.spec.exchange);
          app.appendVarchar(m.spec.assetClass);
          app.appendTimestamp(new DuckDBTimestampValue(BigInt(sim.ts) * 1000n));
          app.appendDouble(m.price);
          app.appendDouble(m.size);
          app.appendBigInt(BigInt(seq++));
          app.endRow();
        }
        snapshots.set(x.id, sim.snapshot());
      }
      app.closeSync();
      const seeds = await loadPortfolioSeeds();
      const investor = new Map(seeds.portfolios.map((p) => [p.portfolioId, p.investorId]));
      daily = await writeHistory(conn, {
        lakeDir: o.lakeDir,
        windows: [{ label: '1d', ms: DAY_MS }],
        tag: 'backfill',
        ticks: false,
        valuations: {
          windows: ['1d'],
          portfolios: seeds.portfolios.map((p) => ({ portfolioId: p.portfolioId, investorId: p.investorId })),
          holdings: seeds.holdings.map((h) => ({ ...h, investorId: investor.get(h.portfolioId) ?? '' })),
        },
        thresholds: o.thresholds,
      });
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  }

  // 2. intraday history through Kafka, continuing each exchange's path; 3. the live exchanges' checkpoints
  let intradayTicks = 0;
  await mkdir(o.checkpointDir, { recursive: true });
  const liveStart = () => now() - (now() % o.liveIntervalMs);
  for (const x of o.universe.exchanges) {
    const from = intradayFrom ?? liveStart();
    const sim = new Simulator(x.symbols, {
      seed: o.seed,
      start: from,
      tickIntervalMs: INTRADAY_STEP_MS,
      end: liveStart(),
    });
    const daySnap = snapshots.get(x.id);
    // continue the daily path (prices, random streams) at the first intraday step
    if (daySnap) sim.restore({ ...daySnap, ts: from - INTRADAY_STEP_MS, index: x.symbols.length, dt: undefined });
    let sent = 0;
    if (intradayFrom !== null) {
      const sender = await TickSender.connect({
        brokers: o.brokers,
        topic: o.topic,
        batchSize: 2000,
        retries: 10,
        clientId: `ticklake-history-${x.id}`,
      });
      try {
        for (let m = sim.next(); m !== null; m = sim.next()) {
          if (sender.push(m.spec.symbol, o.encode ? o.encode(sim.tick()) : sim.encode())) await sender.flush();
        }
        await sender.close();
      } catch (e) {
        await sender.abort();
        throw e;
      }
      sent = sender.acked;
      intradayTicks += sent;
    }
    // the live exchange's next step is at the clock's start; nothing between the last intraday step and it
    const snap = sim.snapshot();
    await writeCheckpointFile(o.checkpointDir, {
      v: 1,
      exchange: x.id,
      seed: o.seed,
      tickIntervalMs: o.liveIntervalMs,
      sent,
      sim: { ...snap, ts: Math.max(snap.ts, liveStart() - o.liveIntervalMs), index: x.symbols.length, dt: undefined },
    });
  }

  const summary: BackfillSummary = {
    dailyFrom: dailyFrom === null ? null : iso(dailyFrom),
    intradayFrom: intradayFrom === null ? null : iso(intradayFrom),
    to: iso(liveStart()),
    daily,
    intradayTicks,
    seconds: (performance.now() - started) / 1000,
  };
  await writeFile(join(o.dataDir, HISTORY_MARKER), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}
