-- title: Volume spikes
-- description: A bar whose volume exceeds $volume_spike_factor times the mean volume of the previous 20 bars of its symbol and window (only once 20 previous bars exist). value = volume / that mean, price = the bar's close.
-- stage: bars
-- output: anomalies
with hist as (
  select symbol, "window", window_start, close, volume, false as is_new from bar_hist
  union all
  select symbol, "window", window_start, close, volume, true as is_new from new_bars
),
scored as (
  select
    *,
    avg(volume) over w as prev_mean,
    count(*) over w as prev_n
  from hist
  window w as (partition by symbol, "window" order by window_start rows between 20 preceding and 1 preceding)
)
select
  symbol,
  window_start as ts,
  'VOLUME_SPIKE' as kind,
  'WARNING' as severity,
  "window",
  volume / prev_mean as value,
  $volume_spike_factor as threshold,
  close as price,
  null::integer as kafka_partition,
  null::bigint as kafka_offset
from scored
where is_new and prev_n = 20 and volume > $volume_spike_factor * prev_mean
