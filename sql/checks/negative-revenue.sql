-- title: Revenue not negative
-- description: Company periods with a negative standardised revenue (as filed for the period, or as the
-- discrete quarter derived from year-to-date figures: a negative quarter means a restated or mistagged year to
-- date).
-- param: as_of  timestamp  optional  As known at this time (default: now)
select cik, name, adsh, form, fy, fp, period, value as revenue, q as revenue_quarter, ytd as revenue_year_to_date
from fundamentals_long_as_of(coalesce($as_of, now()::timestamp))
where concept = 'revenue' and (value < 0 or q < 0 or ytd < 0)
order by cik, period;
