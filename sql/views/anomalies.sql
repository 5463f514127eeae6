-- View over the lake table anomalies (docs/lake.md); ticklake fills in the lake directory.
-- A table with no files yet is served as an empty view of the same columns (lake/session.ts).
create or replace view anomalies as
select symbol, ts, kind, severity, "window", value, threshold, price, kafka_partition, kafka_offset, date
from read_parquet('${lake}/anomalies/**/*.parquet', hive_partitioning = true, union_by_name = true,
                  hive_types = {'date': date});
