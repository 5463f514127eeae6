-- Derived view (a table macro): KPIs and valuation per company and fiscal period, as known at `t`
-- (docs/fundamentals.md states every formula and assumption).
--
--   company_kpis_as_of(t, index_symbol, risk_free, equity_premium, beta_days)
--
-- Money is in the filing's unit; ratios are fractions. Income-statement and cash-flow figures are the filing's own
-- period (the discrete quarter for a 10-Q, the year for a 10-K); `_ttm` columns the trailing twelve months.
-- Prices are the lake's own daily closes (view closes_daily), the close on the period's date or the last one
-- within 7 days before it; shares as filed are put on the price's basis with stock_splits; beta is the slope of
-- the company's split-adjusted daily log returns on the index symbol's over the `beta_days` calendar days up to
-- that close (at least 20 common days).
-- The view fundamentals_kpis is company_kpis_as_of(now()) with the default parameters of the company-kpis report
-- (index SPY, risk-free 0.04, equity premium 0.055, 365 days of returns).
create or replace macro company_kpis_as_of(t, index_symbol, risk_free, equity_premium, beta_days) as table
with f as (
  select *, lag(debt) over (partition by cik order by fq) as prev_debt
  from fundamentals_as_of(t)
),
px as (
  select symbol, day, close from closes_daily where day <= cast(t as date)
),
rets as (
  -- daily log returns, a split's ratio added back on its ex date so that the split is no loss
  select r.symbol, r.day,
         ln(r.close / r.prev_close) + coalesce((
           select sum(ln(s.ratio)) from stock_splits s
           where s.symbol = r.symbol and s.ex_date > r.prev_day and s.ex_date <= r.day), 0) as r
  from (
    select symbol, day, close, lag(close) over by_day as prev_close, lag(day) over by_day as prev_day
    from px window by_day as (partition by symbol order by day)
  ) r
  where r.prev_close is not null
),
priced as (
  select f.*, c.day as price_date, c.close
  from f asof left join px c on c.symbol = f.ticker and c.day <= f.period
),
valued as (
  select p.* exclude (price_date, close),
         case when p.period - p.price_date <= 7 then p.price_date end as price_date,
         case when p.period - p.price_date <= 7 then p.close end as close,
         exp(coalesce((select sum(ln(s.ratio)) from stock_splits s
                       where s.symbol = p.ticker and s.ex_date > p.shares_date and s.ex_date <= p.price_date), 0)
           - coalesce((select sum(ln(s.ratio)) from stock_splits s
                       where s.symbol = p.ticker and s.ex_date > p.price_date and s.ex_date <= p.shares_date), 0))
           as split_factor,
         (select case when count(*) >= 20 then regr_slope(a.r, m.r) end
          from rets a join rets m on m.day = a.day and m.symbol = index_symbol
          where a.symbol = p.ticker and a.day <= p.price_date and a.day > p.price_date - cast(beta_days as integer))
           as beta
  from priced p
),
k as (
  select v.*,
         shares_outstanding * split_factor as shares_on_price_basis,
         close * shares_outstanding * split_factor as market_cap,
         case when fp = 'FY' then interest_expense else interest_expense * 4 end as interest_annualised,
         (debt + coalesce(prev_debt, debt)) / 2 as average_debt,
         coalesce(income_tax_ttm, income_tax) as tax_for_rate,
         coalesce(pretax_income_ttm, pretax_income) as pretax_for_rate
  from valued v
),
w as (
  select k.*,
         market_cap + coalesce(debt, 0) - coalesce(cash, 0) as enterprise_value,
         risk_free + beta * equity_premium as cost_of_equity,
         coalesce(interest_expense_ttm, interest_annualised) / nullif(average_debt, 0) as cost_of_debt,
         case when pretax_for_rate <= 0 then 0
              else least(greatest(tax_for_rate / pretax_for_rate, 0), 0.35) end as tax_rate
  from k
)
select cik, name, ticker, adsh, form, fy, fp, period, accepted, uom,
       revenue, cogs, gross_profit, operating_income, pretax_income, income_tax, net_income, interest_expense,
       depreciation_amortization, operating_cash_flow, capex,
       current_assets, current_liabilities, assets, liabilities, equity, cash, inventory, receivables, debt,
       revenue_ttm, net_income_ttm, operating_cash_flow_ttm, capex_ttm, interest_expense_ttm,
       current_assets - current_liabilities as working_capital,
       current_assets / nullif(current_liabilities, 0) as current_ratio,
       (current_assets - coalesce(inventory, 0)) / nullif(current_liabilities, 0) as quick_ratio,
       cash / nullif(current_liabilities, 0) as cash_ratio,
       gross_profit / nullif(revenue, 0) as gross_margin,
       operating_income / nullif(revenue, 0) as operating_margin,
       net_income / nullif(revenue, 0) as net_margin,
       operating_cash_flow - capex as fcf,
       operating_cash_flow_ttm - capex_ttm as fcf_ttm,
       debt / nullif(equity, 0) as debt_to_equity,
       revenue_ttm / nullif(assets, 0) as asset_turnover,
       operating_income / nullif(interest_expense, 0) as interest_coverage,
       net_income_ttm / nullif(assets, 0) as roa,
       net_income_ttm / nullif(equity, 0) as roe,
       price_date, close, shares_outstanding, shares_date, split_factor, shares_on_price_basis, market_cap,
       enterprise_value, beta, cost_of_equity, average_debt, cost_of_debt, tax_rate,
       market_cap / nullif(market_cap + coalesce(debt, 0), 0) * cost_of_equity
         + case when coalesce(debt, 0) = 0 then 0
                else debt / nullif(market_cap + debt, 0) * cost_of_debt * (1 - tax_rate) end as wacc,
       derived_concepts
from w;

create or replace view fundamentals_kpis as
select * from company_kpis_as_of(now()::timestamp, 'SPY', 0.04, 0.055, 365);
