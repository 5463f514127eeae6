-- Derived view: daily close per symbol and UTC day (the close of the day's last 1m bar) and the daily log
-- return ln(close / previous day's close), null on a symbol's first day.
create or replace view closes_daily as
with eod as (
  select symbol, cast(window_start as date) as day, arg_max(close, window_start) as close
  from bars
  where "window" = '1m'
  group by symbol, cast(window_start as date)
)
select symbol, day, close, ln(close / lag(close) over (partition by symbol order by day)) as log_return
from eod;
