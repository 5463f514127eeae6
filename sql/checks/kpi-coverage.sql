-- title: KPIs that could not be computed
-- description: One row per company period and KPI of the company-kpis report that is null, with why: the inputs
-- that are missing (a concept none of whose tags the filing reports, a trailing-twelve-months figure that needs
-- four consecutive quarters, no price of the ticker within 7 days before the period end, too few returns for
-- beta), or a zero denominator.
-- param: as_of           timestamp optional  As known at this time (default: now)
-- param: index_symbol    varchar   optional  default=SPY   As in company-kpis
-- param: risk_free       double    optional  default=0.04  As in company-kpis
-- param: equity_premium  double    optional  default=0.055 As in company-kpis
-- param: beta_days       integer   optional  default=365   As in company-kpis
with k as (
  select * from company_kpis_as_of(coalesce($as_of, now()::timestamp), $index_symbol, $risk_free, $equity_premium,
                                   $beta_days)
), needs(kpi, inputs) as (
  values ('working_capital', ['current_assets', 'current_liabilities']),
         ('current_ratio', ['current_assets', 'current_liabilities']),
         ('quick_ratio', ['current_assets', 'current_liabilities']),
         ('cash_ratio', ['cash', 'current_liabilities']),
         ('gross_margin', ['gross_profit', 'revenue']),
         ('operating_margin', ['operating_income', 'revenue']),
         ('net_margin', ['net_income', 'revenue']),
         ('fcf', ['operating_cash_flow', 'capex']),
         ('fcf_ttm', ['operating_cash_flow_ttm', 'capex_ttm']),
         ('debt_to_equity', ['debt', 'equity']),
         ('asset_turnover', ['revenue_ttm', 'assets']),
         ('interest_coverage', ['operating_income', 'interest_expense']),
         ('roa', ['net_income_ttm', 'assets']),
         ('roe', ['net_income_ttm', 'equity']),
         ('market_cap', ['close', 'shares_outstanding']),
         ('enterprise_value', ['close', 'shares_outstanding']),
         ('beta', ['close']),
         ('wacc', ['close', 'shares_outstanding', 'beta'])
), wide as (
  select cik, name, ticker, adsh, fy, fp, period,
         columns(* exclude (cik, name, ticker, adsh, form, fy, fp, period, accepted, uom, price_date, shares_date,
                            derived_concepts))::double
  from k
), long as (
  select * from wide
  unpivot include nulls (val for field in (columns(* exclude (cik, name, ticker, adsh, fy, fp, period))))
), missing as (
  select kl.cik, kl.name, kl.ticker, kl.adsh, kl.fy, kl.fp, kl.period, n.kpi,
         list(il.field order by il.field) filter (where il.val is null) as missing
  from long kl
  join needs n on n.kpi = kl.field
  join long il on il.adsh = kl.adsh and list_contains(n.inputs, il.field)
  where kl.val is null
  group by kl.cik, kl.name, kl.ticker, kl.adsh, kl.fy, kl.fp, kl.period, n.kpi
)
select cik, name, ticker, adsh, fy, fp, period, kpi,
       case when len(missing) > 0 then 'missing ' || array_to_string(list_transform(missing, x -> x || case
              when x like '%_ttm' then ' (needs four consecutive quarters, or a 10-K)'
              when x = 'close' then ' (no close of ' || coalesce(ticker, 'an unknown ticker')
                                    || ' in the lake within 7 days before the period end)'
              when x in ('operating_cash_flow', 'capex') then ' (a 10-Q files cash flows year to date: the quarter'
                                    || ' needs the previous quarter''s filing)'
              else '' end), ', ')
            when kpi = 'beta' then 'fewer than 20 daily returns of ' || coalesce(ticker, '(no ticker)') || ' and '
                 || $index_symbol || ' in the beta window'
            else 'a denominator is zero' end as reason
from missing
order by cik, period, kpi;
