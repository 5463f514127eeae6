-- title: VWAP and volatility summary
-- description: Per symbol over [$from, $to) from the 1m bars: VWAP = sum(notional) / sum(volume), volume, trades,
-- high, low, the sample standard deviation of the 1m log returns and that annualised by sqrt(525600).
-- param: from  timestamp  optional  First bar start included (UTC)
-- param: to    timestamp  optional  Bars starting before this are included (UTC)
-- requires_window: 1m
select symbol,
       count(*) as bars,
       min(window_start) as first_bar,
       max(window_start) as last_bar,
       sum(notional) / nullif(sum(volume), 0) as vwap,
       sum(volume) as volume,
       sum(trades)::bigint as trades,
       max(high) as high,
       min(low) as low,
       stddev_samp(log_return) as return_stddev,
       stddev_samp(log_return) * sqrt(525600) as annualized_vol
from bars
where "window" = '1m'
  and ($from is null or window_start >= $from)
  and ($to is null or window_start < $to)
group by symbol
order by symbol;
