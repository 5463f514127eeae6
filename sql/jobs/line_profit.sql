-- title: Invoice line profit
-- description: Every invoice line priced at the buy price in effect on its date: the latest version of the
--   product whose price_date (or upload time) falls on or before the end of the sale's day, else the product's
--   first known version (a first upload carries history). The sell price is the line's unit_price, else the list
--   price of that same version. revenue = quantity x sell price and cost = quantity x buy price, each rounded
--   to the cent; profit = revenue minus cost. Lines of unknown products keep a null cost and profit (sql/checks/unknown-references.sql).
-- key: invoice_id, line
-- partition_by: product_id
-- mysql: off
with sold as (
  select *, cast(invoice_date as timestamp) + interval 1 day - interval 1 microsecond as sold_by
  from invoice_lines
),
first_version as (
  select product_id, arg_min(category, _valid_from) as category, arg_min(buy_price, _valid_from) as buy_price,
    arg_min(sell_price, _valid_from) as sell_price
  from products_history group by product_id
),
priced as (
  select s.invoice_id, s.line, s.invoice_date, s.client_id, s.product_id, s.quantity, s.unit_price,
    case when h.product_id is null then f.category else h.category end as category,
    case when h.product_id is null then f.buy_price else h.buy_price end as buy_price,
    coalesce(s.unit_price, case when h.product_id is null then f.sell_price else h.sell_price end) as sell_price
  from sold s
  asof left join products_history h on s.product_id = h.product_id and s.sold_by >= h._valid_from
  left join first_version f on f.product_id = s.product_id
)
select invoice_id, line, invoice_date, client_id, product_id, category, quantity, sell_price, buy_price,
  revenue, cost, revenue - cost as profit
from (
  select *,
    cast(round(quantity * sell_price, 2) as decimal(14,2)) as revenue,
    cast(round(quantity * buy_price, 2) as decimal(14,2)) as cost
  from priced
)
