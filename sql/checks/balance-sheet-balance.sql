-- title: Balance sheets balance
-- description: Company periods whose balance sheet does not balance beyond the tolerance: total assets against
-- liabilities and equity as filed, and against liabilities + total equity when the filer reports total liabilities
-- (a derived total balances by construction). The difference is relative to total assets.
-- param: tolerance  double     optional  default=0.005  Largest accepted |difference| / assets (0.005 = 0.5%)
-- param: as_of      timestamp  optional  As known at this time (default: now)
with w as (
  select cik, any_value(name) as name, adsh, any_value(form) as form, any_value(fy) as fy, any_value(fp) as fp,
         any_value(period) as period,
         max(value) filter (where concept = 'assets') as assets,
         max(value) filter (where concept = 'liabilities_and_equity') as liabilities_and_equity,
         max(value) filter (where concept = 'liabilities' and not derived) as liabilities,
         max(value) filter (where concept = 'equity_total') as equity_total
  from fundamentals_long_as_of(coalesce($as_of, now()::timestamp)) group by cik, adsh
), d as (
  select *, 'liabilities_and_equity' as compared, assets - liabilities_and_equity as difference from w
  where liabilities_and_equity is not null
  union all
  select *, 'liabilities + equity_total', assets - (liabilities + equity_total) from w
  where liabilities is not null and equity_total is not null
)
select cik, name, adsh, form, fy, fp, period, assets, compared, difference, abs(difference) / assets as relative
from d
where assets is not null and abs(difference) > $tolerance * abs(assets)
order by relative desc;
