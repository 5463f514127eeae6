-- title: Spending by category, hour and city
-- description: Purchases and amount per merchant category (MCC), hour of the day and merchant city (purchases
--   whose merchant has not arrived yet are counted once it has).
-- key: mcc, hour_of_day, city
select
  f.mcc,
  any_value(d.category) as category,
  f.hour_of_day,
  f.merchant_city as city,
  count(*) as purchases,
  sum(f.amount) as amount
from fact_transactions f
left join dim_mcc d on d.mcc = f.mcc
where f.mcc is not null and f.merchant_city is not null
group by f.mcc, f.hour_of_day, f.merchant_city
