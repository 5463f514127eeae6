-- title: Ticks are fresh
-- description: Fails when the newest tick is older than $max_age before $now, or when there are no ticks at all.
-- Returns one row with the newest tick time and its age.
-- When scheduled, "now" is the end of the run's data interval (ticks after it do not count).
-- schedule: hourly
-- severity: blocking
-- param: max_age       interval   optional  default=2h  Largest acceptable age of the newest tick (e.g. 30m, 2h, 1d)
-- param: now           timestamp  optional  Reference time (UTC), the current time when omitted
-- param: interval_end  timestamp  optional  End of the scheduled run's data interval: the reference time when now is omitted
with ref as (select coalesce($now, $interval_end, make_timestamp(epoch_us(current_timestamp))) as now_ts),
newest as (select max(ts) as newest_ts from ticks, ref where ts <= ref.now_ts)
select newest_ts,
       ref.now_ts - newest_ts as age,
       $max_age as max_age
from newest, ref
where newest_ts is null or newest_ts < ref.now_ts - $max_age;
