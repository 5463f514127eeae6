-- title: Top movers of a day
-- description: The symbols that moved most on day $day (UTC): the first 1m bar's open, the last 1m bar's close and
-- the change in percent (1.5 = 1.5%), largest absolute move first, at most $limit rows.
-- param: day    date     required              Day (UTC)
-- param: limit  integer  optional  default=10 min=0  Number of symbols
select symbol,
       arg_min(open, window_start) as open,
       arg_max(close, window_start) as close,
       (arg_max(close, window_start) / arg_min(open, window_start) - 1) * 100 as change_pct,
       sum(volume)::bigint as volume
from bars
where "window" = '1m' and cast(window_start as date) = $day
group by symbol
order by abs(change_pct) desc, symbol
limit $limit;
