-- title: Balance sheet
-- description: Standardised balance sheet of a company at each period end, with the tag each line was read from
-- or "derived" (liabilities = liabilities and equity − total equity when the filer reports no total). Only
-- submissions accepted by as_of count.
-- param: cik     bigint    optional  Company CIK
-- param: ticker  varchar   optional  Ticker
-- param: as_of   timestamp optional  As known at this time (default: now)
-- param: fy      integer   optional  Only this fiscal year
select l.cik, l.name, l.ticker, l.form, l.fy, l.fp, l.period, l.concept as line, c.label, l.value, l.uom,
       case when l.derived then 'derived' else f.tag end as source
from fundamentals_long_as_of(coalesce($as_of, now()::timestamp)) l
join (select concept, any_value(label) as label from filing_concepts group by concept) c using (concept)
left join filing_facts f on f.adsh = l.adsh and f.concept = l.concept and f.ddate = l.period and f.qtrs = 0
where l.concept in ('cash', 'receivables', 'inventory', 'current_assets', 'assets', 'current_liabilities', 'debt',
                    'liabilities', 'equity', 'liabilities_and_equity')
  and (l.value is not null or l.ytd is not null or l.q is not null)
  and ($cik is null or l.cik = $cik) and ($ticker is null or l.ticker = upper($ticker))
  and ($fy is null or l.fy = $fy)
order by l.cik, l.period, list_position(['cash', 'receivables', 'inventory', 'current_assets', 'assets',
  'current_liabilities', 'debt', 'liabilities', 'equity', 'liabilities_and_equity'], l.concept);
