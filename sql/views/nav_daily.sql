-- Derived view: end-of-day NAV per portfolio on each UTC day the market traded, with the change against the
-- previous such day, absolute and in percent (1.5 = 1.5%). Consistent with closes_daily: a valuation values the
-- window that ends at its as_of, so it belongs to the day of (as_of - 1 ms) — the 1d window of a Friday ends
-- Saturday 00:00 and is Friday's end-of-day NAV, not a Saturday. A day's NAV is the valuation of the window that
-- ended last in it (on ties the 1d window: one window per day, never a mix); a day exists when a window with trades
-- ended in it, so a weekday market has no weekend days. nav is null when no holding had a price yet (missing_prices).
create or replace view nav_daily as
with eod as (
  select portfolio_id, cast(as_of - interval 1 millisecond as date) as day, nav, missing_prices
  from valuations
  qualify row_number() over (
    partition by portfolio_id, cast(as_of - interval 1 millisecond as date)
    order by as_of desc, "window" = '1d' desc, "window"
  ) = 1
)
select portfolio_id, day, nav,
       nav - lag(nav) over w as change,
       (nav / lag(nav) over w - 1) * 100 as change_pct,
       missing_prices
from eod
window w as (partition by portfolio_id order by day);
