-- title: Cash-flow statement
-- description: Standardised cash flows of a company per fiscal period: operating cash flow, capital expenditure,
-- depreciation and amortisation and free cash flow, as filed (year to date in a 10-Q), as the discrete quarter
-- (this year to date − the previous quarter's) and over the trailing twelve months. Only submissions accepted by
-- as_of count.
-- param: cik     bigint    optional  Company CIK
-- param: ticker  varchar   optional  Ticker
-- param: as_of   timestamp optional  As known at this time (default: now)
-- param: fy      integer   optional  Only this fiscal year
with l as (
  select * from fundamentals_long_as_of(coalesce($as_of, now()::timestamp))
  where concept in ('operating_cash_flow', 'capex', 'depreciation_amortization')
    and ($cik is null or cik = $cik) and ($ticker is null or ticker = upper($ticker))
    and ($fy is null or fy = $fy)
), fcf as (
  select cik, any_value(name) as name, any_value(ticker) as ticker, adsh, any_value(form) as form,
         any_value(fy) as fy, any_value(fp) as fp, any_value(period) as period, 'free_cash_flow' as concept,
         'Free cash flow' as label,
         max(ytd) filter (where concept = 'operating_cash_flow') - max(ytd) filter (where concept = 'capex') as ytd,
         max(q) filter (where concept = 'operating_cash_flow') - max(q) filter (where concept = 'capex') as q,
         max(ttm) filter (where concept = 'operating_cash_flow') - max(ttm) filter (where concept = 'capex') as ttm,
         any_value(uom) as uom
  from l group by cik, adsh
)
select cik, name, ticker, form, fy, fp, period, concept as line, label, ytd as year_to_date, q as quarter, ttm, uom
from (
  select l.cik, l.name, l.ticker, l.adsh, l.form, l.fy, l.fp, l.period, l.concept, c.label, l.ytd, l.q, l.ttm, l.uom
  from l join (select concept, any_value(label) as label from filing_concepts group by concept) c using (concept)
  union all
  select cik, name, ticker, adsh, form, fy, fp, period, concept, label, ytd, q, ttm, uom from fcf
)
order by cik, period, list_position(['operating_cash_flow', 'capex', 'free_cash_flow', 'depreciation_amortization'],
  concept);
