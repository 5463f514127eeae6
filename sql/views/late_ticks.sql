-- View over the lake table late_ticks (docs/lake.md); ticklake fills in the lake directory.
-- A table with no files yet is served as an empty view of the same columns (lake/session.ts).
create or replace view late_ticks as
select symbol, exchange, asset_class, ts, price, size, kafka_partition, kafka_offset, "window", watermark, date
from read_parquet('${lake}/late_ticks/**/*.parquet', hive_partitioning = true, union_by_name = true,
                  hive_types = {'date': date});
