-- title: Stock at risk of loss
-- description: Products in stock that expire within 7 days of the latest upload's day (or have expired), or
--   have not moved for 30 days (the later of last_movement and the last sale); stock value at the current buy
--   price. reason lists expired or expiring and no movement. Measured from the day of the latest upload
--   (retail_as_of) until the engine has a clock of its own (docs/retail.md).
-- key: product_id
-- partition_by: product_id
with ref as (select max(as_of) as as_of from retail_as_of),
p as (
  select p.product_id, p.name, p.category, p.stock_qty, p.buy_price, p.expiry_date,
    greatest(p.last_movement, pp.last_sold) as last_movement, ref.as_of
  from products p cross join ref left join product_profit pp on pp.product_id = p.product_id
  where p.stock_qty > 0 and ref.as_of is not null
),
r as (
  select *,
    case when expiry_date < as_of then 'expired' when expiry_date <= as_of + 7 then 'expiring' end as expiry_reason,
    case when last_movement <= as_of - 30 then 'no movement' end as idle_reason
  from p
)
select product_id, name, category, stock_qty, buy_price,
  cast(round(stock_qty * buy_price, 2) as decimal(18,2)) as stock_value, expiry_date,
  expiry_date - as_of as days_to_expiry, last_movement, as_of - last_movement as days_idle,
  concat_ws(', ', expiry_reason, idle_reason) as reason, as_of
from r
where expiry_reason is not null or idle_reason is not null
