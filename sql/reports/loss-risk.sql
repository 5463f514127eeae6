-- title: Stock at risk of loss
-- description: Products in stock that expire within $expiry_days days of $as_of (or have expired), or have not
--   moved for $idle_days days (the later of their last_movement and their last sale): quantity, stock value at
--   the current buy price, and the reason. $as_of defaults to the day of the latest upload, else today; with the
--   defaults this is the hot table loss_risk_products.
-- param: as_of        date     optional             Reference day
-- param: expiry_days  integer  optional  default=7   Days ahead an expiry counts as a risk
-- param: idle_days    integer  optional  default=30  Days without movement that count as dead stock
with ref as (
  select coalesce($as_of, (select max(as_of) from retail_as_of), cast(make_timestamp(epoch_us(current_timestamp)) as date)) as as_of
),
last_sale as (
  select product_id, max(invoice_date) as last_sold from invoice_lines group by product_id
),
p as (
  select p.product_id, p.name, p.category, p.stock_qty, p.buy_price, p.expiry_date,
         greatest(p.last_movement, s.last_sold) as last_movement, ref.as_of
  from products p cross join ref
  left join last_sale s on s.product_id = p.product_id
  where p.stock_qty > 0
),
r as (
  select *,
         case when expiry_date < as_of then 'expired'
              when expiry_date <= as_of + $expiry_days then 'expiring' end as expiry_reason,
         case when last_movement <= as_of - $idle_days then 'no movement' end as idle_reason
  from p
)
select product_id, name, category, stock_qty, buy_price,
       cast(round(stock_qty * buy_price, 2) as decimal(18,2)) as stock_value, expiry_date,
       expiry_date - as_of as days_to_expiry, last_movement, as_of - last_movement as days_idle,
       concat_ws(', ', expiry_reason, idle_reason) as reason, as_of
from r
where expiry_reason is not null or idle_reason is not null
order by stock_value desc, product_id;
