-- title: Standardised filing facts
-- description: The filers' numbers read through the concept map (filing_concepts, from
-- sql/seeds/fundamental_concepts.csv): per submission, concept, end date and duration, the value of the
-- concept's first tag in priority order that the submission reports. Only the registrant's own numbers (no
-- co-registrant, no segment) with a value, and only standard tags (a filer's custom tag has the submission as its
-- version). Derivations (a `source` starting with `=`) are applied by the views (sql/views/fundamentals.sql).
-- key: adsh, concept, ddate, qtrs
-- partition_by: adsh
-- mysql: off
select adsh, concept, ddate, qtrs, value, uom, tag, priority
from (
  select n.adsh, c.concept, n.ddate, n.qtrs, n.value, n.uom, n.tag, c.priority,
         row_number() over (
           partition by n.adsh, c.concept, n.ddate, n.qtrs
           order by c.priority, (n.uom = 'USD') desc, n.uom, n.version
         ) as rn
  from filing_numbers n
  join filing_concepts c on c.source = n.tag
  where n.coreg = '' and n.segments = '' and n.value is not null and n.version <> n.adsh
)
where rn = 1
