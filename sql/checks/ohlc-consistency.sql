-- title: OHLC bars are consistent
-- description: Bars where low <= open <= high and low <= close <= high does not hold, or low > high.
-- schedule: hourly
-- severity: blocking
-- param: from  date  optional  First day checked
-- param: interval_start  timestamp  optional  Scheduled runs: only bars starting from here
-- param: interval_end    timestamp  optional  Scheduled runs: only bars starting before this
select symbol, "window", window_start, open, high, low, close
from bars
where ($from is null or date >= $from)
  and ($interval_start is null or window_start >= $interval_start)
  and ($interval_end is null or window_start < $interval_end)
  and not (low <= open and open <= high and low <= close and close <= high and low <= high)
order by symbol, "window", window_start;
