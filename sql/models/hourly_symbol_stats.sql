-- title: Hourly statistics per symbol
-- description: Per symbol and scheduled hour: OHLC, volume, vwap and trade count from the hour's 1m bars, the ticks
-- the lake holds for the hour, and the realised volatility of the 1m log returns. Runs after the data quality
-- checks of ticks and bars (a failing blocking check stops it), and is itself tested by sql/tests/.
-- schedule: hourly
-- materialize: hourly_symbol_stats
-- param: interval_start  timestamp  optional  First instant of the hour (bound by the scheduler)
-- param: interval_end    timestamp  optional  End of the hour, excluded (bound by the scheduler)
-- requires_window: 1m
with b as (
  select symbol, window_start, open, high, low, close, volume, notional, trades, log_return
  from bars
  where "window" = '1m' and window_start >= $interval_start and window_start < $interval_end
), t as (
  select symbol, count(*) as ticks
  from ticks
  where ts >= $interval_start and ts < $interval_end
  group by symbol
)
select b.symbol,
       arg_min(open, window_start) as open,
       max(high) as high,
       min(low) as low,
       arg_max(close, window_start) as close,
       sum(volume)::bigint as volume,
       sum(notional) / nullif(sum(volume), 0) as vwap,
       sum(trades)::bigint as trades,
       any_value(coalesce(t.ticks, 0))::bigint as ticks,
       sqrt(sum(log_return * log_return)) as realized_vol
from b left join t using (symbol)
group by b.symbol
order by b.symbol
