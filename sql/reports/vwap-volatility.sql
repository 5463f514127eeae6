-- title: VWAP and volatility summary
-- description: Per symbol over [$from, $to) from the bars of one window ($window; default: 1m when the lake has 1m
-- bars, else its shortest window): VWAP = sum(notional) / sum(volume), volume, trades, high, low, the
-- sample standard deviation of the bars' log returns and that annualised by sqrt(bars per 365-day year)
-- (sqrt(525600) for 1m bars).
-- param: from    timestamp  optional  First bar start included (UTC)
-- param: to      timestamp  optional  Bars starting before this are included (UTC)
-- param: window  varchar    optional  Bar window, a label of --windows (e.g. 1m, 5m); default: 1m, else the shortest
-- requires_window: $window
with w as (
  select coalesce($window, (
    select "window" from bars
    group by "window"
    order by "window" <> '1m', min(epoch_ms(window_end) - epoch_ms(window_start)), "window"
    limit 1
  )) as w
)
select symbol,
       any_value("window") as "window",
       count(*) as bars,
       min(window_start) as first_bar,
       max(window_start) as last_bar,
       sum(notional) / nullif(sum(volume), 0) as vwap,
       sum(volume) as volume,
       sum(trades)::bigint as trades,
       max(high) as high,
       min(low) as low,
       stddev_samp(log_return) as return_stddev,
       stddev_samp(log_return) * sqrt(31536000000.0 / any_value(epoch_ms(window_end) - epoch_ms(window_start)))
         as annualized_vol
from bars, w
where "window" = w.w
  and ($from is null or window_start >= $from)
  and ($to is null or window_start < $to)
group by symbol
order by symbol;
