/**
 * Issue 16's fixture "done when": hand-made filings (test/helpers/filings-fixture.ts; one quarter in the 2009
 * num.txt layout and zipped, one in the newer layout with segments) go through the loader, the embedded broker and
 * `ticklake process` into the lake; the statement and KPI reports and the checks must give the numbers worked out
 * by hand below (YTD → discrete quarter, trailing twelve months, an amendment that replaces the original only
 * from its acceptance on), and market cap, EV, beta and WACC must equal an independent computation over the
 * fixture prices here, across ACME's 2:1 split of 2025-04-14. Loading both quarters again changes nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JsonValue, jsonRow } from '../../lake/json-value.js';
import { runSqlFile } from '../../lake/run-sql-file.js';
import type { LakeSession } from '../../lake/session.js';
import { SqlCatalog } from '../../lake/sql-catalog.js';
import {
  fixturePrices,
  SPLIT,
  writeFixtureBars,
  writeNewQuarter,
  writeOldQuarter,
} from '../../test/helpers/filings-fixture.js';
import { type FilingsLake, startFilingsLake } from '../../test/helpers/filings-lake.js';

let dir: string;
let lake: FilingsLake;
let session: LakeSession;
let quarters: string[];
const reports = SqlCatalog.load('report');
const checks = SqlCatalog.load('check');

type Row = Record<string, JsonValue>;
async function run(kind: 'report' | 'check', name: string, params: Record<string, string> = {}): Promise<Row[]> {
  const q = await runSqlFile(session, (kind === 'report' ? reports : checks).get(name), params);
  const names = q.columns.map((c) => c.name);
  return (await q.all()).map((r) => jsonRow(names, r));
}
const n = (v: JsonValue | undefined) => (v === null || v === undefined ? null : Number(v));
const pick = (rows: Row[], fp: string, fy = 2025) => {
  const r = rows.find((x) => x.fp === fp && x.fy === fy);
  if (!r) throw new Error(`no row for ${fy} ${fp}`);
  return r;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ticklake-fundamentals-'));
  quarters = [writeOldQuarter(dir), writeNewQuarter(dir)];
  lake = await startFilingsLake(dir);
  const summaries = await lake.load(quarters);
  expect(summaries.flatMap((s) => s.bad)).toEqual([]);
  await lake.process();
  await writeFixtureBars(lake.lakeDir);
  session = await lake.session();
}, 120_000);
afterAll(async () => {
  session?.close();
  await lake?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('statements from hand-made filings', () => {
  it('income statement of the amended 2025 Q2: quarter, year to date, TTM, the tag or "derived"', async () => {
    const rows = (await run('report', 'income-statement', { ticker: 'acme', fy: '2025' })).filter((r) => r.fp === 'Q2');
    const line = (l: string) => rows.find((r) => r.line === l);
    expect(rows.every((r) => r.form === '10-Q/A')).toBe(true);
    expect(rows.map((r) => r.line)).toEqual([
      'revenue',
      'cogs',
      'gross_profit',
      'operating_income',
      'interest_expense',
      'pretax_income',
      'income_tax',
      'net_income',
      'depreciation_amortization',
    ]);
    // [value (the quarter), year to date, ttm, source]
    const want: Record<string, [number, number, number | null, string]> = {
      revenue: [1150, 2150, 950 + (4000 - 2900) + 1000 + 1150, 'Revenues'],
      cogs: [680, 1280, 570 + (2400 - 1740) + 600 + 680, 'CostOfRevenue'],
      gross_profit: [1150 - 680, 2150 - 1280, 380 + (1600 - 1160) + 400 + 470, 'derived'],
      operating_income: [260, 490, 200 + (800 - 600) + 230 + 260, 'OperatingIncomeLoss'],
      interest_expense: [12, 23, 10 + (40 - 30) + 11 + 12, 'InterestExpense'],
      income_tax: [68, 127, 50 + (190 - 150) + 59 + 68, 'IncomeTaxExpenseBenefit'],
      pretax_income: [
        248,
        467,
        190 + (760 - 570) + 219 + 248,
        'IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest',
      ],
      net_income: [180, 340, 140 + (570 - 420) + 160 + 180, 'NetIncomeLoss'],
      // filed year to date only: the quarter is Q2's year to date − Q1's; no 2024 figures, so no TTM
      depreciation_amortization: [100 - 48, 100, null, 'DepreciationDepletionAndAmortization'],
    };
    for (const [l, [q, ytd, ttm, source]] of Object.entries(want)) {
      const r = line(l);
      expect([l, n(r?.value), n(r?.quarter), n(r?.year_to_date), n(r?.ttm), r?.source]).toEqual([
        l,
        q,
        q,
        ytd,
        ttm,
        source,
      ]);
    }
  });

  it('balance sheet of 2025 Q2: liabilities derived as liabilities-and-equity − equity', async () => {
    const rows = (await run('report', 'balance-sheet', { cik: '1001', fy: '2025' })).filter((r) => r.fp === 'Q2');
    expect(Object.fromEntries(rows.map((r) => [r.line, [n(r.value), r.source]]))).toEqual({
      cash: [450, 'CashAndCashEquivalentsAtCarryingValue'],
      receivables: [290, 'AccountsReceivableNetCurrent'],
      inventory: [380, 'InventoryNet'],
      current_assets: [1700, 'AssetsCurrent'],
      assets: [5800, 'Assets'],
      current_liabilities: [850, 'LiabilitiesCurrent'],
      debt: [1100, 'LongTermDebt'],
      liabilities: [5800 - 2400, 'derived'],
      equity: [2400, 'StockholdersEquity'],
      liabilities_and_equity: [5800, 'LiabilitiesAndStockholdersEquity'],
    });
  });

  it('cash flows: year-to-date 10-Q figures → discrete quarters and TTM; free cash flow', async () => {
    const rows = await run('report', 'cash-flow-statement', { ticker: 'ACME' });
    const get = (fy: number, fp: string, line: string) => {
      const r = rows.find((x) => x.fy === fy && x.fp === fp && x.line === line);
      return [n(r?.year_to_date), n(r?.quarter), n(r?.ttm)];
    };
    // 2024 Q3 has no Q2 before it: no quarter, no TTM
    expect(get(2024, 'Q3', 'operating_cash_flow')).toEqual([700, null, null]);
    // the 10-K's fourth quarter = the year − Q3 year to date; a 10-K's TTM is its year
    expect(get(2024, 'FY', 'operating_cash_flow')).toEqual([1000, 1000 - 700, 1000]);
    expect(get(2025, 'Q1', 'operating_cash_flow')).toEqual([250, 250, null]);
    expect(get(2025, 'Q2', 'operating_cash_flow')).toEqual([600, 600 - 250, null]);
    expect(get(2025, 'Q3', 'operating_cash_flow')).toEqual([900, 900 - 600, 300 + 250 + 350 + 300]);
    expect(get(2025, 'Q3', 'capex')).toEqual([260, 260 - 170, 100 + 80 + 90 + 90]);
    expect(get(2025, 'Q3', 'free_cash_flow')).toEqual([900 - 260, 300 - 90, 1200 - 360]);
    expect(get(2025, 'Q3', 'depreciation_amortization')).toEqual([150, 150 - 100, null]);
    expect(get(2025, 'Q1', 'depreciation_amortization')).toEqual([48, 48, null]);
    expect(rows.filter((r) => r.fy === 2025 && r.fp === 'Q3').map((r) => r.line)).toEqual([
      'operating_cash_flow',
      'capex',
      'free_cash_flow',
      'depreciation_amortization',
    ]);
  });
});

describe('KPIs and valuation', () => {
  const prices = fixturePrices();
  /** The close on the day or the last before it. */
  const closeOn = (sym: 'idx' | 'acme', day: string) => [...prices].reverse().find((p) => p.day <= day)![sym];
  /** Beta written out: split-adjusted log returns, days in (end − 365, end], cov/var (population). */
  function beta(end: string): number {
    const from = new Date(Date.parse(`${end}T00:00:00Z`) - 365 * 86_400_000).toISOString().slice(0, 10);
    const a: number[] = [];
    const m: number[] = [];
    for (let i = 1; i < prices.length; i++) {
      const [p, c] = [prices[i - 1], prices[i]];
      if (!(c.day > from && c.day <= end)) continue;
      const split = SPLIT.exDate > p.day && SPLIT.exDate <= c.day ? Math.log(SPLIT.ratio) : 0;
      a.push(Math.log(c.acme / p.acme) + split);
      m.push(Math.log(c.idx / p.idx));
    }
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const [ma, mm] = [mean(a), mean(m)];
    const cov = a.reduce((s, x, i) => s + (x - ma) * (m[i] - mm), 0) / a.length;
    const v = m.reduce((s, x) => s + (x - mm) ** 2, 0) / m.length;
    return cov / v;
  }
  const kpis = (extra: Record<string, string> = {}) =>
    run('report', 'company-kpis', { ticker: 'ACME', index_symbol: 'IDX', ...extra });

  it('2025 Q3: every KPI of the issue equals the hand-worked number', async () => {
    const r = pick(await kpis(), 'Q3');
    const want: Record<string, number> = {
      revenue: 1300,
      gross_profit: 520, // reported directly (GrossProfit), not derived
      operating_income: 300,
      net_income: 210,
      working_capital: 1800 - 900,
      current_ratio: 1800 / 900,
      quick_ratio: (1800 - 400) / 900,
      cash_ratio: 500 / 900,
      gross_margin: 520 / 1300,
      operating_margin: 300 / 1300,
      net_margin: 210 / 1300,
      fcf: 300 - 90,
      fcf_ttm: 1200 - 360,
      debt_to_equity: 1200 / 2500,
      asset_turnover: (1100 + 1000 + 1150 + 1300) / 6000,
      interest_coverage: 300 / 12,
      roa: (150 + 160 + 180 + 210) / 6000,
      roe: (150 + 160 + 180 + 210) / 2500,
    };
    expect(r).toMatchObject({ cik: 1001, name: 'ACME CORP', form: '10-Q', fy: 2025, fp: 'Q3', period: '2025-09-30' });
    for (const [k, v] of Object.entries(want)) expect([k, n(r[k])]).toEqual([k, expect.closeTo(v, 9)]);
    // segment, co-registrant, custom-tag and last year's rows of Revenues were ignored
    expect(n(r.revenue)).toBe(1300);
  });

  it('market cap, EV, beta and WACC equal an independent computation over the fixture prices, across the split', async () => {
    const rows = await kpis();
    const q3 = pick(rows, 'Q3');
    const mcap3 = closeOn('acme', '2025-09-30') * 210;
    const b3 = beta('2025-09-30');
    expect(n(q3.close)).toBeCloseTo(closeOn('acme', '2025-09-30'), 9);
    expect(n(q3.market_cap)).toBeCloseTo(mcap3, 6);
    expect(n(q3.enterprise_value)).toBeCloseTo(mcap3 + 1200 - 500, 6);
    expect(n(q3.beta)).toBeCloseTo(b3, 9);
    expect(b3).toBeGreaterThan(1.1); // the split would have wrecked it: the fixture's true beta is 1.3
    const re = 0.04 + b3 * 0.055;
    const rd = (12 + 11 + 12 + (40 - 30)) / ((1200 + 1100) / 2);
    const t = (40 + 59 + 68 + 78) / (190 + 219 + 248 + 288);
    expect(n(q3.cost_of_equity)).toBeCloseTo(re, 9);
    expect(n(q3.cost_of_debt)).toBeCloseTo(rd, 9);
    expect(n(q3.tax_rate)).toBeCloseTo(t, 9);
    expect(n(q3.wacc)).toBeCloseTo((mcap3 / (mcap3 + 1200)) * re + (1200 / (mcap3 + 1200)) * rd * (1 - t), 9);
    // 2025 Q1: shares as filed on 2025-04-25 (200, after the 2:1 split of 04-14), the close of 03-31 before it
    const q1 = pick(rows, 'Q1');
    expect(n(q1.split_factor)).toBeCloseTo(1 / 2, 12);
    expect(n(q1.market_cap)).toBeCloseTo(closeOn('acme', '2025-03-31') * 100, 6);
    // the 10-K: close of 2024-12-31, shares of 2025-02-10 (no split between)
    expect(n(pick(rows, 'FY', 2024).market_cap)).toBeCloseTo(closeOn('acme', '2024-12-31') * 100, 6);
    // other parameters flow through
    const alt = pick(await kpis({ risk_free: '0.01', equity_premium: '0.1', beta_days: '120' }), 'Q3');
    const b120 = (() => {
      const from = new Date(Date.parse('2025-09-30T00:00:00Z') - 120 * 86_400_000).toISOString().slice(0, 10);
      const a: number[] = [];
      const m: number[] = [];
      for (let i = 1; i < prices.length; i++) {
        const [p, c] = [prices[i - 1], prices[i]];
        if (!(c.day > from && c.day <= '2025-09-30')) continue;
        a.push(Math.log(c.acme / p.acme));
        m.push(Math.log(c.idx / p.idx));
      }
      const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
      const cov = a.reduce((s, x, i) => s + (x - mean(a)) * (m[i] - mean(m)), 0);
      return cov / m.reduce((s, x) => s + (x - mean(m)) ** 2, 0);
    })();
    expect(n(alt.beta)).toBeCloseTo(b120, 9);
    expect(n(alt.cost_of_equity)).toBeCloseTo(0.01 + b120 * 0.1, 9);
  });

  it('the amendment replaces the original from its acceptance on; as_of before it shows the original', async () => {
    const before = await kpis({ as_of: '2025-08-01 00:00:00' });
    const q2Before = pick(before, 'Q2');
    expect([q2Before.form, n(q2Before.revenue), n(q2Before.net_income)]).toEqual(['10-Q', 1200, 190]);
    expect(before.some((r) => r.fp === 'Q3' && r.fy === 2025)).toBe(false); // not accepted yet
    const inc = await run('report', 'income-statement', { ticker: 'ACME', as_of: '2025-08-01 00:00:00', fy: '2025' });
    expect(n(inc.find((r) => r.fp === 'Q2' && r.line === 'revenue')?.ttm)).toBe(950 + 1100 + 1000 + 1200);
    const q2Now = pick(await kpis(), 'Q2');
    expect([q2Now.form, n(q2Now.revenue), n(q2Now.net_income)]).toEqual(['10-Q/A', 1150, 180]);
    // the second the amendment is accepted
    const at = pick(await kpis({ as_of: '2025-08-20 16:00:00' }), 'Q2');
    expect(at.form).toBe('10-Q/A');
    const justBefore = pick(await kpis({ as_of: '2025-08-20 15:59:59' }), 'Q2');
    expect(justBefore.form).toBe('10-Q');
    // before the Q2 filing itself there is no Q2 at all
    expect((await kpis({ as_of: '2025-07-01 00:00:00' })).some((r) => r.fp === 'Q2' && r.fy === 2025)).toBe(false);
  });
});

describe('checks', () => {
  it('balance sheet not balancing, negative revenue, and KPIs that could not be computed with the reason', async () => {
    const unbalanced = await run('check', 'balance-sheet-balance');
    expect(unbalanced.map((r) => [r.name, r.compared, n(r.difference)])).toEqual([
      ['GLOBEX INC', 'liabilities_and_equity', 1000 - 990],
    ]);
    expect((await run('check', 'balance-sheet-balance', { tolerance: '0.02' })).length).toBe(0);
    const negative = await run('check', 'negative-revenue');
    expect(negative.map((r) => [r.name, n(r.revenue)])).toEqual([['GLOBEX INC', -5]]);
    const missing = await run('check', 'kpi-coverage', { index_symbol: 'IDX' });
    const why = (fy: number, fp: string, kpi: string) =>
      missing.find((r) => r.ticker === 'ACME' && r.fy === fy && r.fp === fp && r.kpi === kpi)?.reason;
    expect(why(2025, 'Q1', 'fcf_ttm')).toMatch(
      /^missing capex_ttm \(needs four consecutive quarters.*operating_cash_flow_ttm/,
    );
    expect(why(2025, 'Q3', 'wacc')).toBeUndefined();
    expect(why(2025, 'Q3', 'roe')).toBeUndefined();
    expect(missing.find((r) => r.name === 'GLOBEX INC' && r.kpi === 'market_cap')?.reason).toMatch(
      /^missing close \(no close of GBX in the lake/,
    );
  });
});

describe('loading again', () => {
  it('the same quarters a second time change nothing', async () => {
    const count = async () => {
      const c = await session.connect();
      try {
        const r = await c.runAndReadAll(
          `select (select count(*) from filing_numbers_changes) + (select count(*) from filing_submissions_changes)
             + (select count(*) from filing_facts_changes) + (select count(*) from filing_concepts_changes) as n`,
        );
        return Number(r.getRowObjectsJS()[0].n);
      } finally {
        c.closeSync();
      }
    };
    const before = await count();
    expect(before).toBeGreaterThan(150);
    await lake.load(quarters);
    await lake.process();
    await session.refresh();
    expect(await count()).toBe(before);
  }, 120_000);
});
