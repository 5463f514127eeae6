-- title: Company KPIs
-- description: One row per company and fiscal period (10-K, 10-Q; an amendment in place of what it amends) with
-- the statements' main lines, liquidity, margins, cash flow, leverage and returns, and the valuation against the
-- lake's own prices: market cap, enterprise value, CAPM beta, cost of equity and debt, tax rate and WACC. Ratios
-- are fractions, money is in the filing's unit. Only submissions accepted by as_of count. The formulas and every
-- assumption are in docs/fundamentals.md.
-- param: cik             bigint    optional  Company CIK (all companies when neither cik nor ticker is given)
-- param: ticker          varchar   optional  Ticker (from the filing's instance name, e.g. csx-20090626.xml)
-- param: as_of           timestamp optional  As known at this time (default: now)
-- param: index_symbol    varchar   optional  default=SPY   Symbol of the lake whose returns are the market for beta
-- param: risk_free       double    optional  default=0.04  Annual risk-free rate (fraction)
-- param: equity_premium  double    optional  default=0.055 Annual equity risk premium (fraction)
-- param: beta_days       integer   optional  default=365   Calendar days of daily returns up to the period's close
select *
from company_kpis_as_of(coalesce($as_of, now()::timestamp), $index_symbol, $risk_free, $equity_premium, $beta_days)
where ($cik is null or cik = $cik) and ($ticker is null or ticker = upper($ticker))
order by cik, period, form;
