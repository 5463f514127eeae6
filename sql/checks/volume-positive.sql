-- title: Volumes are positive
-- description: Ticks whose size is not positive and bars whose volume is not positive (a bar exists only when
-- it has trades) or whose trade count is not positive.
-- schedule: hourly
-- severity: error
-- param: from  date  optional  First day checked
-- param: interval_start  timestamp  optional  Scheduled runs: only ticks and bars (by window start) from here
-- param: interval_end    timestamp  optional  Scheduled runs: only ticks and bars before this
select 'ticks' as source, symbol, ts as at_time, null as "window", size as volume, null::bigint as trades
from ticks
where (size is null or size <= 0) and ($from is null or date >= $from)
  and ($interval_start is null or ts >= $interval_start) and ($interval_end is null or ts < $interval_end)
union all
select 'bars', symbol, window_start, "window", volume, trades
from bars
where (volume is null or volume <= 0 or trades is null or trades <= 0) and ($from is null or date >= $from)
  and ($interval_start is null or window_start >= $interval_start)
  and ($interval_end is null or window_start < $interval_end)
order by source, symbol, at_time;
