-- title: Enough symbols are trading
-- description: Fails when fewer than $min_symbols distinct symbols have a tick in the hour before $now. Returns
-- one row with the count seen.
-- param: min_symbols  integer    optional  default=1 min=0  Fewest distinct symbols expected in the last hour
-- param: now          timestamp  optional  Reference time (UTC), the current time when omitted
with seen as (
  select count(distinct symbol) as symbols
  from ticks
  where ts >= coalesce($now, make_timestamp(epoch_us(current_timestamp))) - interval 1 hour
    and ts <= coalesce($now, make_timestamp(epoch_us(current_timestamp)))
)
select symbols, $min_symbols as min_symbols
from seen
where symbols < $min_symbols;
