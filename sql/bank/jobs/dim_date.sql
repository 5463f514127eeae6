-- title: Date dimension
-- description: One row per day that has transactions.
-- key: date_key
select distinct
  cast(txn_time as date) as date_key,
  year(txn_time) as year,
  month(txn_time) as month,
  day(txn_time) as day,
  isodow(txn_time) as day_of_week,
  isodow(txn_time) >= 6 as is_weekend
from transactions
