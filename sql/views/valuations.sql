-- View over the lake table valuations (docs/lake.md); ticklake fills in the lake directory.
-- A table with no files yet is served as an empty view of the same columns (lake/session.ts).
create or replace view valuations as
select portfolio_id, investor_id, "window", as_of, nav, change, change_pct, positions, missing_prices, date
from read_parquet('${lake}/valuations/**/*.parquet', hive_partitioning = true, union_by_name = true,
                  hive_types = {'date': date});
