-- title: Price spikes and flash crashes
-- description: A tick whose price moved more than $spike_threshold (a fraction) from the previous tick of its symbol, in arrival order (prev_price); SPIKE up, FLASH_CRASH down, CRITICAL above $critical_threshold. value is the size of the move.
-- stage: ticks
-- output: anomalies
with moves as (
  select symbol, ts, price, kafka_partition, kafka_offset, price / prev_price - 1 as move
  from batch_ticks
  where prev_price is not null
)
select
  symbol,
  ts,
  case when move > 0 then 'SPIKE' else 'FLASH_CRASH' end as kind,
  case when abs(move) > $critical_threshold then 'CRITICAL' else 'WARNING' end as severity,
  null::varchar as "window",
  abs(move) as value,
  case when abs(move) > $critical_threshold then $critical_threshold else $spike_threshold end as threshold,
  price,
  kafka_partition,
  kafka_offset
from moves
where abs(move) > $spike_threshold
