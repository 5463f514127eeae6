-- title: Price spikes and flash crashes
-- description: A tick whose price moved more than $spike_threshold (a fraction) from the previous tick of its symbol, in arrival order; SPIKE up, FLASH_CRASH down, CRITICAL above $critical_threshold. value is the size of the move.
-- stage: ticks
-- output: anomalies
with moves as (
  select
    b.symbol, b.ts, b.price, b.kafka_partition, b.kafka_offset,
    b.price / coalesce(
      lag(b.price) over (partition by b.symbol order by b.kafka_partition, b.kafka_offset),
      l.price
    ) - 1 as move
  from batch_ticks b
  left join last_tick l on l.symbol = b.symbol
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
