-- title: OHLC bars are consistent
-- description: Bars where low <= open <= high and low <= close <= high does not hold, or low > high.
-- param: from  date  optional  First day checked
select symbol, "window", window_start, open, high, low, close
from bars
where ($from is null or date >= $from)
  and not (low <= open and open <= high and low <= close and close <= high and low <= high)
order by symbol, "window", window_start;
