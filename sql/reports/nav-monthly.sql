-- title: Monthly mean NAV
-- description: Mean end-of-day NAV per portfolio and month, newest month first.
-- param: portfolio  varchar  optional  Portfolio id, all when omitted
select portfolio_id,
       strftime(day, '%Y-%m') as month,
       count(*) as days,
       avg(nav) as mean_nav
from nav_daily
where $portfolio is null or portfolio_id = $portfolio
group by portfolio_id, strftime(day, '%Y-%m')
order by month desc, portfolio_id;
