-- title: Most profitable products
-- description: The 10 products with the highest profit over every invoice line, with their place (1 = most
--   profitable; ties by product_id). A product leaving the ten is deleted, one entering is created.
-- key: product_id
select place, product_id, name, category, revenue, cost, profit,
  case when revenue <> 0 then round(profit / revenue, 4) end as margin, units
from (
  select pp.*, p.name, p.category, row_number() over (order by pp.profit desc, pp.product_id) as place
  from product_profit pp
  left join products p on p.product_id = pp.product_id
  where pp.profit is not null
)
where place <= 10
