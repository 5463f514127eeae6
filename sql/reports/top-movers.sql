-- title: Top movers of a day
-- description: The symbols that moved most on day $day (UTC): the first 1m bar's open, the last 1m bar's close and
-- the change in percent (1.5 = 1.5%), largest absolute move first, at most $limit rows. A symbol with no 1m bars that
-- day (daily history) is measured by its 1d bar.
-- param: day    date     required              Day (UTC)
-- param: limit  integer  optional  default=10 min=0  Number of symbols
-- requires_window: 1m | 1d
with day_bars as (
  select *, min(case "window" when '1m' then 0 else 1 end) over (partition by symbol) as pick
  from bars
  where "window" in ('1m', '1d') and cast(window_start as date) = $day
)
select symbol,
       arg_min(open, window_start) as open,
       arg_max(close, window_start) as close,
       (arg_max(close, window_start) / arg_min(open, window_start) - 1) * 100 as change_pct,
       sum(volume) as volume
from day_bars
where case "window" when '1m' then 0 else 1 end = pick
group by symbol
order by abs(change_pct) desc, symbol
limit $limit;
