-- title: NAV mean and standard deviation
-- description: Mean and sample standard deviation of the end-of-day NAV per portfolio, over the days from $from
-- to $to inclusive (the whole history when omitted).
-- param: from       date     optional  First day included
-- param: to         date     optional  Last day included
-- param: portfolio  varchar  optional  Portfolio id, all when omitted
select portfolio_id,
       count(*) as days,
       min(day) as first_day,
       max(day) as last_day,
       avg(nav) as mean_nav,
       stddev_samp(nav) as stddev_nav
from nav_daily
where ($from is null or day >= $from)
  and ($to is null or day <= $to)
  and ($portfolio is null or portfolio_id = $portfolio)
group by portfolio_id
order by portfolio_id;
