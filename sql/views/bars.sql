-- View over the lake table bars (docs/lake.md); ticklake fills in the lake directory.
-- A table with no files yet is served as an empty view of the same columns (lake/session.ts).
create or replace view bars as
select symbol, window_start, window_end, open, high, low, close, volume, notional, vwap, trades, trade_rate,
       volatility, log_return, "window", date
from read_parquet('${lake}/bars/**/*.parquet', hive_partitioning = true, union_by_name = true,
                  hive_types = {'window': varchar, 'date': date});
