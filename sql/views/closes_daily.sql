-- Derived view: daily close per symbol and UTC day — the close of the 1m or 1d bar that ended last in the day (a bar
-- belongs to the day of window_end - 1 ms; on ties the 1d bar, so a day of daily history without minute bars has a
-- close too) — and the daily log return ln(close / previous day's close), null on a symbol's first day. Days are the
-- days the symbol traded: a weekday market has no weekend rows. (Only the 1m and 1d partitions are read.)
-- requires_window: 1m | 1d
create or replace view closes_daily as
with eod as (
  select symbol, cast(window_end - interval 1 millisecond as date) as day, close
  from bars
  where "window" in ('1m', '1d')
  qualify row_number() over (
    partition by symbol, cast(window_end - interval 1 millisecond as date)
    order by window_end desc, "window" = '1d' desc, "window"
  ) = 1
)
select symbol, day, close, ln(close / lag(close) over (partition by symbol order by day)) as log_return
from eod;
