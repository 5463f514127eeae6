-- title: Largest and smallest daily NAV change per year
-- description: Per portfolio and calendar year: the largest and the smallest day-over-day change of the
-- end-of-day NAV, absolute and in percent. A change belongs to the year of the later day.
-- param: portfolio  varchar  optional  Portfolio id, all when omitted
select portfolio_id,
       year(day) as year,
       count(change) as days,
       max(change) as max_change,
       arg_max(day, change) as max_change_day,
       min(change) as min_change,
       arg_min(day, change) as min_change_day,
       max(change_pct) as max_change_pct,
       arg_max(day, change_pct) as max_change_pct_day,
       min(change_pct) as min_change_pct,
       arg_min(day, change_pct) as min_change_pct_day
from nav_daily
where change is not null
  and ($portfolio is null or portfolio_id = $portfolio)
group by portfolio_id, year(day)
order by portfolio_id, year;
