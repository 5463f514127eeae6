-- View over the lake table rejected (docs/lake.md); ticklake fills in the lake directory.
-- A table with no files yet is served as an empty view of the same columns (lake/session.ts).
create or replace view rejected as
select kafka_topic, kafka_partition, kafka_offset, received_at, reason, key, value, date
from read_parquet('${lake}/rejected/**/*.parquet', hive_partitioning = true, union_by_name = true,
                  hive_types = {'date': date});
