-- title: Ticks are fresh
-- description: Fails when the newest tick is older than $max_age before $now, or when there are no ticks at all.
-- Returns one row with the newest tick time and its age.
-- param: max_age  interval   optional  default=2h  Largest acceptable age of the newest tick (e.g. 30m, 2h, 1d)
-- param: now      timestamp  optional  Reference time (UTC), the current time when omitted
with newest as (select max(ts) as newest_ts from ticks)
select newest_ts,
       coalesce($now, make_timestamp(epoch_us(current_timestamp))) - newest_ts as age,
       $max_age as max_age
from newest
where newest_ts is null or newest_ts < coalesce($now, make_timestamp(epoch_us(current_timestamp))) - $max_age;
