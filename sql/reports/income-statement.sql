-- title: Income statement
-- description: Standardised income statement of a company, one row per fiscal period: the period's own figures
-- (the discrete quarter of a 10-Q, the year of a 10-K) and the trailing twelve months, with the tag each line
-- was read from or "derived". Only submissions accepted by as_of count.
-- param: cik     bigint    optional  Company CIK
-- param: ticker  varchar   optional  Ticker
-- param: as_of   timestamp optional  As known at this time (default: now)
-- param: fy      integer   optional  Only this fiscal year
select l.cik, l.name, l.ticker, l.form, l.fy, l.fp, l.period, l.concept as line, c.label,
       l.value, l.q as quarter, l.ytd as year_to_date, l.ttm, l.uom,
       case when l.derived then 'derived' else f.tag end as source
from fundamentals_long_as_of(coalesce($as_of, now()::timestamp)) l
join (select concept, any_value(label) as label from filing_concepts group by concept) c using (concept)
left join filing_facts f on f.adsh = l.adsh and f.concept = l.concept and f.ddate = l.period and f.qtrs = l.ytd_qtrs
where l.concept in ('revenue', 'cogs', 'gross_profit', 'operating_income', 'interest_expense', 'pretax_income',
                    'income_tax', 'net_income', 'depreciation_amortization')
  and (l.value is not null or l.ytd is not null or l.q is not null)
  and ($cik is null or l.cik = $cik) and ($ticker is null or l.ticker = upper($ticker))
  and ($fy is null or l.fy = $fy)
order by l.cik, l.period, list_position(['revenue', 'cogs', 'gross_profit', 'operating_income', 'interest_expense',
  'pretax_income', 'income_tax', 'net_income', 'depreciation_amortization'], l.concept);
