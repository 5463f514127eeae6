-- title: Fundamentals concept coverage
-- description: Per standardised concept, of the company periods in effect as of as_of (10-K and 10-Q, an
-- amendment in place of what it amends): how many have a value for the filing's own period (as
-- filed, year to date for a 10-Q's flows), read from a tag or derived, and how many have
-- none. Shows where the concept map needs another tag (sql/seeds/fundamental_concepts.csv).
-- param: as_of  timestamp optional  As known at this time (default: now)
with p as (
  select count(*) as periods from filing_periods_as_of(coalesce($as_of, now()::timestamp))
), l as (
  select concept, count(*) filter (where not derived and (value is not null or ytd is not null)) as reported,
         count(*) filter (where derived and (value is not null or ytd is not null)) as derived
  from fundamentals_long_as_of(coalesce($as_of, now()::timestamp)) group by concept
), c as (
  select distinct concept from filing_concepts
)
select c.concept, p.periods, coalesce(l.reported, 0) as reported, coalesce(l.derived, 0) as derived,
       p.periods - coalesce(l.reported, 0) - coalesce(l.derived, 0) as missing,
       (coalesce(l.reported, 0) + coalesce(l.derived, 0)) / p.periods as coverage
from c cross join p left join l using (concept)
order by c.concept;
