/**
 * The portfolio drill-down (GET /api/live/portfolios, /api/live/portfolios/:id): holdings from the seed files the
 * processor values (contracts/portfolio-seeds.ts), priced from the lake's bars, and the NAV history from the lake's
 * valuations.
 *
 * Over a range [from, to] (epoch ms; `to` defaults to the newest valuation, `from` to `span` before `to`, else to
 * the start of its UTC day):
 * a position's price is the close of its newest bar that ended at or before `to` (the last trade the valuation at
 * `to` knew), its reference price the close of its newest bar that ended at or before `from` (else the open of its
 * first bar after it), value = quantity × price, P&L = quantity × (price − reference), P&L % = price / reference − 1,
 * weight = value / the portfolio's value. Bars of the finest window are used (the same prices as the valuations).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PortfolioSeeds } from '../../contracts/portfolio-seeds.js';
import { BIGINT, type DuckDBType, type DuckDBValue, LIST, listValue, VARCHAR } from '../../core/duckdb.js';
import { tlError } from '../../core/errors.js';
import type { LakeSession } from '../../lake/session.js';
import { lakeRows, numOrNull, type Row } from './lake-rows.js';
import { finestWindow } from './series.js';

export interface PortfolioSummary {
  portfolioId: string;
  name: string;
  investorId: string;
  investor: string | null;
  positions: number;
  /** Newest NAV in the lake (finest valuation window), and when. */
  nav: number | null;
  asOf: number | null;
}

export interface Position {
  symbol: string;
  quantity: number;
  refPrice: number | null;
  price: number | null;
  /** window_end of the bar the price comes from (epoch ms). */
  priceAt: number | null;
  value: number | null;
  pnl: number | null;
  pnlPct: number | null;
  weight: number | null;
}

export interface PortfolioDetail {
  portfolio: Omit<PortfolioSummary, 'nav' | 'asOf' | 'positions'>;
  window: string | null;
  barWindow: string | null;
  from: number | null;
  to: number | null;
  holdings: Position[];
  totals: { value: number | null; pnl: number | null; pnlPct: number | null };
  nav: { t: number[]; nav: (number | null)[] };
  truncated: boolean;
}

const MAX_NAV_POINTS = 20_000;
const DAY_MS = 86_400_000;

async function list(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => !n.startsWith('.'));
  } catch {
    return [];
  }
}

/** Partition values of a lake directory: `window=` under bars, `date=` under valuations. */
async function partitions(dir: string, key: string): Promise<string[]> {
  return (await list(dir)).map((d) => (d.startsWith(`${key}=`) ? d.slice(key.length + 1) : '')).filter(Boolean);
}

function rows(
  session: LakeSession,
  sql: string,
  params: Record<string, DuckDBValue>,
  types: Record<string, DuckDBType>,
  timeoutMs: number,
): Promise<Row[]> {
  return lakeRows(session, sql, { params, types, timeoutMs });
}

export class Portfolios {
  constructor(
    private readonly session: LakeSession,
    private readonly seeds: () => Promise<PortfolioSeeds>,
    private readonly timeoutMs: number,
  ) {}

  private async valuationWindow(): Promise<{ window: string | null; newestDate: string | null }> {
    const dates = (await partitions(join(this.session.lakeDir, 'valuations'), 'date')).sort();
    if (dates.length === 0) return { window: null, newestDate: null };
    const newestDate = dates[dates.length - 1];
    const ws = await rows(
      this.session,
      'select distinct "window" as w from valuations where date = cast($d as date)',
      { d: newestDate },
      { d: VARCHAR },
      this.timeoutMs,
    );
    return { window: finestWindow(ws.map((r) => String(r.w))), newestDate };
  }

  async list(): Promise<PortfolioSummary[]> {
    const seeds = await this.seeds();
    const { window, newestDate } = await this.valuationWindow();
    const latest = new Map<string, Row>();
    if (window && newestDate) {
      for (const r of await rows(
        this.session,
        `select portfolio_id, arg_max(nav, as_of) as nav, epoch_ms(max(as_of)) as t
         from valuations where "window" = $w and date = cast($d as date) group by portfolio_id`,
        { w: window, d: newestDate },
        { w: VARCHAR, d: VARCHAR },
        this.timeoutMs,
      ))
        latest.set(String(r.portfolio_id), r);
    }
    const investors = new Map(seeds.investors.map((i) => [i.investorId, i.name]));
    return seeds.portfolios.map((p) => ({
      portfolioId: p.portfolioId,
      name: p.name,
      investorId: p.investorId,
      investor: investors.get(p.investorId) ?? null,
      positions: seeds.holdings.filter((h) => h.portfolioId === p.portfolioId).length,
      nav: numOrNull(latest.get(p.portfolioId)?.nav),
      asOf: numOrNull(latest.get(p.portfolioId)?.t),
    }));
  }

  async detail(
    id: string,
    range: { from?: number; to?: number; span?: number; window?: string },
  ): Promise<PortfolioDetail> {
    const seeds = await this.seeds();
    const p = seeds.portfolios.find((x) => x.portfolioId === id);
    if (!p) throw tlError('TL_API_NOT_FOUND', { what: `portfolio "${id}"` });
    const investor = seeds.investors.find((i) => i.investorId === p.investorId)?.name ?? null;
    const holdings = seeds.holdings.filter((h) => h.portfolioId === id);
    const vw = await this.valuationWindow();
    const window = range.window ?? vw.window;
    const barWindow = finestWindow(await partitions(join(this.session.lakeDir, 'bars'), 'window'));

    let to = range.to ?? null;
    if (to === null && window) {
      const [r] = await rows(
        this.session,
        `select epoch_ms(max(as_of)) as t from valuations
         where portfolio_id = $p and "window" = $w ${vw.newestDate ? 'and date >= cast($d as date) - 1' : ''}`,
        { p: id, w: window, ...(vw.newestDate ? { d: vw.newestDate } : {}) },
        { p: VARCHAR, w: VARCHAR, ...(vw.newestDate ? { d: VARCHAR } : {}) },
        this.timeoutMs,
      );
      to = numOrNull(r?.t);
    }
    const dayStart = (t: number) => Math.floor((t - 1) / DAY_MS) * DAY_MS;
    const from = range.from ?? (to === null ? null : range.span !== undefined ? to - range.span : dayStart(to));

    const nav: PortfolioDetail['nav'] = { t: [], nav: [] };
    let truncated = false;
    if (window) {
      const where = ['portfolio_id = $p', '"window" = $w'];
      const params: Record<string, DuckDBValue> = { p: id, w: window, n: BigInt(MAX_NAV_POINTS + 1) };
      const types: Record<string, DuckDBType> = { p: VARCHAR, w: VARCHAR, n: BIGINT };
      if (from !== null) {
        where.push('as_of >= epoch_ms($from)', 'date >= cast(epoch_ms($from) as date)');
        params.from = BigInt(from);
        types.from = BIGINT;
      }
      if (to !== null) {
        where.push('as_of <= epoch_ms($to)', 'date <= cast(epoch_ms($to) as date)');
        params.to = BigInt(to);
        types.to = BIGINT;
      }
      const navRows = await rows(
        this.session,
        `select epoch_ms(as_of) as t, nav from valuations where ${where.join(' and ')} order by as_of desc limit $n`,
        params,
        types,
        this.timeoutMs,
      );
      truncated = navRows.length > MAX_NAV_POINTS;
      if (truncated) navRows.length = MAX_NAV_POINTS;
      for (const r of navRows.reverse()) {
        nav.t.push(Number(r.t));
        nav.nav.push(numOrNull(r.nav));
      }
    }

    const prices = new Map<string, Row>();
    if (barWindow && holdings.length && to !== null) {
      const start = from ?? to;
      for (const r of await rows(
        this.session,
        `select symbol,
                arg_max(close, window_start) as price,
                epoch_ms(max(window_end)) as price_at,
                arg_max(close, window_start) filter (where window_end <= epoch_ms($from)) as ref_close,
                arg_min(open, window_start) filter (where window_start >= epoch_ms($from)) as ref_open
         from bars
         where "window" = $w and list_contains($symbols, symbol)
           and window_end <= epoch_ms($to)
           and date <= cast(epoch_ms($to) as date) and date >= cast(epoch_ms($from) as date) - 1
         group by symbol`,
        { w: barWindow, symbols: listValue(holdings.map((h) => h.symbol)), from: BigInt(start), to: BigInt(to) },
        { w: VARCHAR, symbols: LIST(VARCHAR), from: BIGINT, to: BIGINT },
        this.timeoutMs,
      ))
        prices.set(String(r.symbol), r);
    }

    const positions: Position[] = holdings.map((h) => {
      const r = prices.get(h.symbol);
      const price = numOrNull(r?.price);
      const ref = numOrNull(r?.ref_close) ?? numOrNull(r?.ref_open);
      const value = price !== null ? h.quantity * price : null;
      return {
        symbol: h.symbol,
        quantity: h.quantity,
        refPrice: ref,
        price,
        priceAt: numOrNull(r?.price_at),
        value,
        pnl: price !== null && ref !== null ? h.quantity * (price - ref) : null,
        pnlPct: price !== null && ref ? (price / ref - 1) * 100 : null,
        weight: null,
      };
    });
    const priced = positions.filter((x) => x.value !== null);
    const total = priced.length ? priced.reduce((s, x) => s + (x.value as number), 0) : null;
    for (const x of positions) x.weight = x.value !== null && total ? (x.value / total) * 100 : null;
    const withPnl = positions.filter((x) => x.pnl !== null);
    const pnl = withPnl.length ? withPnl.reduce((s, x) => s + (x.pnl as number), 0) : null;
    const refValue = withPnl.reduce((s, x) => s + x.quantity * (x.refPrice as number), 0);
    return {
      portfolio: { portfolioId: p.portfolioId, name: p.name, investorId: p.investorId, investor },
      window,
      barWindow,
      from,
      to,
      holdings: positions,
      totals: { value: total, pnl, pnlPct: pnl !== null && refValue ? (pnl / refValue) * 100 : null },
      nav,
      truncated,
    };
  }
}
