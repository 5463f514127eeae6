-- Derived view: hourly bars rolled up from the 1m bars. Open is the first minute's open, close the last minute's
-- close; vwap = sum(notional) / sum(volume) (never an average of vwaps); realized_vol is the hour's realised
-- volatility sqrt(sum(r^2)) of the 1m log returns, annualized_vol that times sqrt(24 * 365) (markets trade around
-- the clock in the simulation).
-- requires_window: 1m
create or replace view bars_1h as
select symbol,
       time_bucket(interval 1 hour, window_start) as window_start,
       time_bucket(interval 1 hour, window_start) + interval 1 hour as window_end,
       arg_min(open, window_start) as open,
       max(high) as high,
       min(low) as low,
       arg_max(close, window_start) as close,
       sum(volume) as volume,
       sum(notional) as notional,
       sum(notional) / nullif(sum(volume), 0) as vwap,
       sum(trades)::bigint as trades,
       count(*) as minutes,
       sqrt(sum(log_return * log_return)) as realized_vol,
       sqrt(sum(log_return * log_return)) * sqrt(24 * 365) as annualized_vol
from bars
where "window" = '1m'
group by all;
