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
    -- the 20 volumes added one after the other in bar order: avg(volume) over w adds them through DuckDB's segment
    -- tree, whose grouping depends on where the frame sits in the partition (how many bars bar_hist and new_bars
    -- hold, i.e. the batch cuts), and fractional volumes make that show in the last bits
    list_avg(list(volume) over w) as prev_mean,
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
