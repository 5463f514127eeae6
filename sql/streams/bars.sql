-- title: OHLCV bars
-- description: One bar per symbol and closing window: OHLC by (ts, partition, offset), volume, notional, VWAP = notional / volume, trade rate per second, volatility = sample stddev of the log returns between consecutive ticks of the window (null under 2 returns), log return against the previous bar's close. Sums of doubles run in (ts, partition, offset) order: the same ticks give bit-identical bars whatever the batches.
-- stage: close
-- output: bars
with rets as (
  select
    *,
    ln(price / lag(price) over (
      partition by "window", symbol, window_start order by ts, kafka_partition, kafka_offset
    )) as r
  from closing
),
agg as (
  select
    "window", symbol, window_start,
    any_value(window_ms) as window_ms,
    first(price order by ts, kafka_partition, kafka_offset) as open,
    max(price) as high,
    min(price) as low,
    last(price order by ts, kafka_partition, kafka_offset) as close,
    -- the floating-point sums in one fixed order (not the order rows reach DuckDB's threads), so that the same
    -- ticks give the same bits however they were batched, buffered or restored after a restart; sizes are doubles
    -- with fractions (0.015 BTC), so volume is one of them, added like notional so that vwap = notional / volume is too
    kahan_sum(size order by ts, kafka_partition, kafka_offset) as volume,
    kahan_sum(price * size order by ts, kafka_partition, kafka_offset) as notional,
    count(*) as trades,
    stddev_samp(r order by ts, kafka_partition, kafka_offset) as volatility
  from rets
  group by "window", symbol, window_start
),
prev as (
  select "window", symbol, arg_max(close, window_start) as close
  from bar_hist
  group by "window", symbol
)
select
  a.symbol,
  a."window",
  a.window_start,
  a.window_start + to_milliseconds(a.window_ms) as window_end,
  a.open, a.high, a.low, a.close, a.volume, a.notional,
  a.notional / a.volume as vwap,
  a.trades,
  a.trades / (a.window_ms / 1000.0) as trade_rate,
  a.volatility,
  ln(a.close / coalesce(
    lag(a.close) over (partition by a."window", a.symbol order by a.window_start),
    p.close
  )) as log_return
from agg a
left join prev p on p."window" = a."window" and p.symbol = a.symbol
