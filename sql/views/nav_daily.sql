-- Derived view: end-of-day NAV per portfolio and UTC day (the valuation with the latest as_of that day, any
-- window), with the change against the previous day present, absolute and in percent (1.5 = 1.5%).
create or replace view nav_daily as
with eod as (
  select portfolio_id, cast(as_of as date) as day, arg_max(nav, as_of) as nav
  from valuations
  group by portfolio_id, cast(as_of as date)
)
select portfolio_id, day, nav,
       nav - lag(nav) over w as change,
       (nav / lag(nav) over w - 1) * 100 as change_pct
from eod
window w as (partition by portfolio_id order by day);
