-- title: Enough symbols are trading
-- description: Fails when fewer than $min_symbols distinct symbols have a tick in the hour before $now. Returns
-- one row with the count seen.
-- param: min_symbols  integer    optional  default=1 min=0  Fewest distinct symbols expected in the last hour
-- schedule: hourly
-- severity: warn
-- param: now          timestamp  optional  Reference time (UTC), the current time when omitted
-- param: interval_end timestamp  optional  End of the scheduled run's data interval: the reference time when now is omitted
with ref as (select coalesce($now, $interval_end, make_timestamp(epoch_us(current_timestamp))) as now_ts),
seen as (
  select count(distinct symbol) as symbols
  from ticks, ref
  where ts >= ref.now_ts - interval 1 hour
    and ts <= ref.now_ts
)
select symbols, $min_symbols as min_symbols
from seen
where symbols < $min_symbols;
