-- title: Hourly statistics are consistent
-- description: Rows of the hour's hourly_symbol_stats that break low <= open, close <= high, low <= vwap <= high,
-- or volume > 0 and trades > 0 (a test of the model, run after it: "dbt test").
-- schedule: hourly
-- severity: error
-- param: interval_start  timestamp  optional  First instant of the hour (bound by the scheduler)
-- param: interval_end    timestamp  optional  End of the hour, excluded (bound by the scheduler)
select symbol, open, high, low, close, vwap, volume, trades
from hourly_symbol_stats
where interval_start = $interval_start and interval_end = $interval_end
  and not (low <= open and open <= high and low <= close and close <= high
           and vwap between low - 1e-9 and high + 1e-9 and volume > 0 and trades > 0)
order by symbol
